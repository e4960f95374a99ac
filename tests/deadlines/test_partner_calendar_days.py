"""Days an administrator adds to one partner country's calendar: listed, added and removed on their page, linked
from the partner's page and Kazakhstan's calendar page; the open deadlines counted in that partner's working days
move (and only theirs), and bad input is refused with the form's errors."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from coop.domain.calendars import build_calendar
from coop.extensions import db
from coop.models import (
    CalendarDay,
    ClockUnit,
    Deadline,
    DeadlineKind,
    DeadlineRule,
    StartEvent,
    WorkingCalendar,
    utcnow,
)


@pytest.fixture
def sent_to_germany_and_usa(dept):
    """A request sent to Germany and one to the USA, each with a clock of 20 of the partner's working days."""
    rule = db.session.scalar(select(DeadlineRule).where(DeadlineRule.scope_key == "mla_outgoing:*:*:answer_expected"))
    rule.start_event, rule.amount, rule.unit, rule.calendar = (StartEvent.SENT, 20, ClockUnit.WORKING_DAYS,
                                                               WorkingCalendar.PARTNER)
    db.session.flush()
    sent_at = utcnow() - timedelta(days=2)
    germany = dept.request("mla_outgoing", dept.germany, now=sent_at)
    usa = dept.request("mla_outgoing", dept.usa, now=sent_at)
    for request in (germany, usa):
        dept.send(request, now=sent_at)
    db.session.commit()
    return germany, usa


def answer_due(request):
    db.session.expire_all()
    return db.session.scalar(select(Deadline.due_at).where(Deadline.request_id == request.id,
                                                           Deadline.kind == DeadlineKind.ANSWER_EXPECTED))


def working_day_before(due, calendar) -> date:
    day = due.date() - timedelta(days=7)
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return day


def test_a_day_off_in_a_partners_calendar_moves_that_partners_deadlines_only(client, auth, dept,
                                                                              sent_to_germany_and_usa):
    germany, usa = sent_to_germany_and_usa
    auth.login("admin")
    german_due, american_due = answer_due(germany), answer_due(usa)
    day = working_day_before(german_due, build_calendar("DE"))
    page = client.get("/admin/partner-calendar-days?partner=DE")
    assert page.status_code == 200 and "Ни одного дня в этом календаре" in page.get_data(as_text=True)

    added = client.post("/admin/partner-calendar-days?partner=DE", follow_redirects=True,
                        data={"partner": "DE", "day": day.isoformat(), "working": "0", "note": "Праздник земли"})
    text = added.get_data(as_text=True)
    assert "сдвинуто сроков — 1" in text, text[-3000:]
    assert "Праздник земли" in text
    assert answer_due(germany) > german_due and answer_due(usa) == american_due
    entry = db.session.scalar(select(CalendarDay))
    assert (entry.country, entry.day, entry.working) == ("DE", day, False)
    # Kazakhstan's calendar page does not list it, but links to this page.
    kazakhstan = client.get(f"/admin/calendar-days?year={day.year}").get_data(as_text=True)
    assert "Праздник земли" not in kazakhstan and "/admin/partner-calendar-days" in kazakhstan

    removed = client.post(f"/admin/partner-calendar-days/{entry.id}/delete", data={"partner": "DE"},
                          follow_redirects=True)
    assert removed.status_code == 200 and "удалён из календаря" in removed.get_data(as_text=True)
    assert answer_due(germany) == german_due
    assert db.session.scalar(select(func.count(CalendarDay.id))) == 0


def test_the_partner_page_links_administrators_to_its_calendar_days(client, auth, dept):
    auth.login("admin")
    page = client.get(f"/partners/{dept.germany.id}").get_data(as_text=True)
    assert "/admin/partner-calendar-days?partner=DE" in page
    auth.logout()
    auth.login("officer")
    assert "/admin/partner-calendar-days" not in client.get(f"/partners/{dept.germany.id}").get_data(as_text=True)
    assert client.get("/admin/partner-calendar-days").status_code == 403


BAD_INPUT = [
    ({"partner": "XX", "day": "2026-03-10", "working": "0", "note": "x"}, "Нет страны-партнёра с таким кодом."),
    ({"partner": "meta", "day": "2026-03-10", "working": "0", "note": "x"}, "Нет страны-партнёра с таким кодом."),
    ({"partner": "", "day": "2026-03-10", "working": "0", "note": "x"}, "Выберите страну-партнёра."),
    ({"partner": "DE", "day": "1950-03-10", "working": "0", "note": "x"}, "Укажите дату между 1990 и 2100 годами."),
    ({"partner": "DE", "day": "10.03.2026", "working": "0", "note": "x"}, ""),
    ({"partner": "DE", "day": "2026-03-08", "working": "0", "note": "x"}, "Этот день уже нерабочий."),
    ({"partner": "DE", "day": "2026-03-10", "working": "1", "note": "x"}, "Этот день уже рабочий."),
    ({"partner": "DE", "day": "2026-03-10", "working": "0", "note": " "}, "Укажите постановление или причину."),
    ({"partner": "DE", "day": "2026-03-10", "working": "maybe", "note": "x"}, ""),
]


def test_a_partner_day_with_bad_input_is_refused(client, auth, dept):
    auth.login("admin")
    for data, message in BAD_INPUT:  # one department for all of them: each refusal leaves nothing behind
        response = client.post("/admin/partner-calendar-days", data=data)
        assert response.status_code == 400, data
        assert message in response.get_data(as_text=True), data
        assert db.session.scalar(select(func.count(CalendarDay.id))) == 0


def test_a_partner_day_cannot_be_added_twice_and_english_readers_read_why(client, auth, dept):
    dept.admin.locale = "en"
    db.session.commit()
    auth.login("admin")
    data = {"partner": "DE", "day": "2026-03-10", "working": "0", "note": "Landesfeiertag"}
    assert client.post("/admin/partner-calendar-days", data=data).status_code == 302
    again = client.post("/admin/partner-calendar-days", data=data)
    assert again.status_code == 400
    assert "This day was moved already in this calendar" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count(CalendarDay.id))) == 1


def test_kazakhstans_days_are_not_removed_from_the_partner_page(client, auth, dept):
    auth.login("admin")
    day = CalendarDay(country="KZ", day=date(2026, 3, 10), working=False, note="Указ", created_at=utcnow())
    db.session.add(day)
    db.session.commit()
    assert client.post(f"/admin/partner-calendar-days/{day.id}/delete").status_code == 404
    assert db.session.scalar(select(func.count(CalendarDay.id))) == 1
