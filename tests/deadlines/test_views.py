"""The pages: a request's deadlines, reminders to mark done or snooze, changes to a deadline, feeds."""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import select

from coop.extensions import db
from coop.models import (
    CalendarFeed,
    Deadline,
    DeadlineAdjustment,
    DeadlineKind,
    DeadlineState,
    Reminder,
    ReminderState,
    Status,
    utcnow,
)

ALMATY = ZoneInfo("Asia/Almaty")


def recent(days: int = 0) -> datetime:
    """A moment relative to the real clock: the pages read it."""
    return utcnow() - timedelta(days=days)


def deadline_of(request, kind: DeadlineKind) -> Deadline:
    return db.session.scalar(select(Deadline).where(Deadline.request_id == request.id, Deadline.kind == kind))


@pytest.fixture
def overdue_request(dept):
    """An incoming request received 60 days ago: its execution deadline has passed, its reminders are due."""
    request = dept.request("mla_incoming", received_at=recent(60), now=recent(60), officers=[dept.colleague])
    db.session.commit()
    return request


def test_the_request_page_shows_its_deadlines_and_how_they_were_computed(client, auth, dept, overdue_request):
    auth.login("officer")
    page = client.get(f"/requests/{overdue_request.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="request-deadlines"' in html
    assert 'data-testid="deadline-execution_deadline"' in html
    assert "Просрочено" in html  # overdue, in Russian
    assert "Как рассчитан срок" in html or "How it was computed" in html
    assert "mla_incoming" in html  # the rule's identifiers
    assert "Europe/Berlin" not in html or "Партнёр" in html


def test_the_partners_local_time_is_shown_beside_the_date(client, auth, dept):
    request = dept.request("traffic_disclosure", now=recent(1))
    dept.send(request, now=recent(1))
    db.session.commit()
    auth.login("officer")
    html = client.get(f"/requests/{request.id}").get_data(as_text=True)
    due = deadline_of(request, DeadlineKind.ANSWER_EXPECTED).due_at.astimezone(ZoneInfo("Europe/Berlin"))
    assert due.strftime("%d.%m.%Y %H:%M") in html


def test_an_officer_sees_the_reminder_counter_and_marks_a_reminder_done(client, auth, dept, overdue_request):
    auth.login("officer")
    home = client.get("/reminders").get_data(as_text=True)
    assert 'data-testid="reminder-count">1<' in home
    page = client.get("/reminders").get_data(as_text=True)
    assert overdue_request.reference in page
    deadline = deadline_of(overdue_request, DeadlineKind.EXECUTION_DEADLINE)
    done = client.post(f"/reminders/{deadline.id}/done", follow_redirects=True)
    assert done.status_code == 200
    assert 'data-testid="reminder-count">0<' in done.get_data(as_text=True)
    states = set(db.session.scalars(select(Reminder.state).where(Reminder.recipient_id == dept.officer.id,
                                                                Reminder.due_at <= utcnow())))
    assert states == {ReminderState.DONE}
    # The colleague's reminders are theirs to mark.
    colleague = set(db.session.scalars(select(Reminder.state).where(Reminder.recipient_id == dept.colleague.id,
                                                                   Reminder.due_at <= utcnow())))
    assert ReminderState.DONE not in colleague


def test_a_snoozed_reminder_comes_back_in_the_morning(client, auth, dept, overdue_request):
    auth.login("officer")
    deadline = deadline_of(overdue_request, DeadlineKind.EXECUTION_DEADLINE)
    bad = client.post(f"/reminders/{deadline.id}/snooze", data={"until": "forever"}, follow_redirects=True)
    assert "Выберите, на сколько отложить напоминание." in bad.get_data(as_text=True)
    response = client.post(f"/reminders/{deadline.id}/snooze", data={"until": "tomorrow"}, follow_redirects=True)
    assert 'data-testid="reminder-count">0<' in response.get_data(as_text=True)
    snoozed = db.session.scalar(select(Reminder).where(Reminder.recipient_id == dept.officer.id,
                                                       Reminder.state == ReminderState.SNOOZED))
    local = snoozed.snoozed_until.astimezone(ALMATY)
    assert (local.hour, local.date()) == (9, utcnow().astimezone(ALMATY).date() + timedelta(days=1))


def test_reminders_of_requests_a_person_cannot_see_are_not_theirs(client, auth, dept, overdue_request):
    auth.login("colleague")
    secret = dept.request("mla_incoming", received_at=recent(60), now=recent(60), restricted=True)
    db.session.commit()
    deadline = deadline_of(secret, DeadlineKind.EXECUTION_DEADLINE)
    assert client.post(f"/reminders/{deadline.id}/done").status_code == 404
    assert client.get(f"/deadlines/{deadline.id}").status_code == 404
    assert secret.reference not in client.get("/reminders").get_data(as_text=True)


def test_extending_needs_a_reason_and_records_it(client, auth, dept):
    request = dept.request("preservation_provider", partner=dept.meta, now=recent(10))
    dept.send(request, now=recent(10))
    dept.move(request, Status.ACKNOWLEDGED, now=recent(9))
    db.session.commit()
    expiry = deadline_of(request, DeadlineKind.PRESERVATION_EXPIRY)
    before = expiry.due_at
    auth.login("officer")
    assert client.get(f"/deadlines/{expiry.id}/extend").status_code == 200
    refused = client.post(f"/deadlines/{expiry.id}/extend", data={"reason": "  "})
    assert refused.status_code == 400
    assert "Укажите причину." in refused.get_data(as_text=True)
    saved = client.post(f"/deadlines/{expiry.id}/extend", data={"reason": "Письмо Meta от 12.03"})
    assert saved.status_code == 302
    db.session.expire_all()
    assert deadline_of(request, DeadlineKind.PRESERVATION_EXPIRY).due_at - before == timedelta(days=90)
    again = client.post(f"/deadlines/{expiry.id}/extend", data={"reason": "Ещё"})
    assert again.status_code == 400
    assert "Правило больше не допускает продления этого срока." in again.get_data(as_text=True)
    history = client.get(f"/deadlines/{expiry.id}").get_data(as_text=True)
    assert "Письмо Meta от 12.03" in history


def test_entering_a_date_by_hand_checks_the_form(client, auth, dept):
    request = dept.request("realtime_collection", now=recent(2))
    dept.send(request, now=recent(2))
    db.session.commit()
    auth.login("officer")
    page = client.get(f"/requests/{request.id}").get_data(as_text=True)
    assert 'data-testid="to-enter-authorisation_end"' in page
    url = f"/deadlines/request/{request.id}/enter/authorisation_end"
    empty = client.post(url, data={"due_date": "", "reason": ""})
    assert empty.status_code == 400
    text = empty.get_data(as_text=True)
    assert "Укажите дату." in text and "Укажите причину." in text
    garbage = client.post(url, data={"due_date": "31.02.2026", "reason": "x"})
    assert garbage.status_code == 400
    when = (utcnow() + timedelta(days=40)).astimezone(ALMATY).date()
    saved = client.post(url, data={"due_date": when.isoformat(), "due_time": "", "reason": "Санкция суда"})
    assert saved.status_code == 302
    deadline = deadline_of(request, DeadlineKind.AUTHORISATION_END)
    assert deadline.due_at.astimezone(ALMATY).date() == when
    assert db.session.scalar(select(DeadlineAdjustment.reason)) == "Санкция суда"
    assert client.get(f"/deadlines/request/{request.id}/enter/no_such_kind").status_code == 404


def test_admins_and_other_readers_cannot_change_a_deadline(client, auth, dept, overdue_request):
    deadline = deadline_of(overdue_request, DeadlineKind.EXECUTION_DEADLINE)
    auth.login("admin")
    assert client.get(f"/deadlines/{deadline.id}").status_code == 200
    assert client.post(f"/deadlines/{deadline.id}/date", data={"due_date": "2030-01-01",
                                                               "reason": "x"}).status_code == 403
    assert client.post(f"/deadlines/{deadline.id}/enquiry-sent").status_code == 403


def test_marking_a_status_enquiry_sent(client, auth, dept):
    request = dept.request("mla_outgoing", now=recent(40))
    dept.send(request, now=recent(40))
    db.session.commit()
    enquiry = deadline_of(request, DeadlineKind.STATUS_ENQUIRY)
    auth.login("officer")
    assert client.post(f"/deadlines/{enquiry.id}/enquiry-sent", data={"note": "x" * 600}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Deadline, enquiry.id).state == DeadlineState.OPEN  # too long a note: refused
    response = client.post(f"/deadlines/{enquiry.id}/enquiry-sent", data={"note": "по e-mail"},
                           follow_redirects=True)
    assert "Запрос о ходе исполнения отмечен" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Deadline, enquiry.id).state == DeadlineState.MET
    again = client.post(f"/deadlines/{enquiry.id}/enquiry-sent", follow_redirects=True)
    assert "Это не запрос о ходе исполнения" in again.get_data(as_text=True)


def test_one_requests_deadlines_download_as_icalendar(client, auth, dept, overdue_request):
    auth.login("officer")
    response = client.get(f"/deadlines/request/{overdue_request.id}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(response.data)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    assert overdue_request.reference in str(events[0]["SUMMARY"])
    assert overdue_request.title not in response.get_data(as_text=True)
    assert isinstance(events[0].decoded("DTSTART"), date)
    assert len(list(events[0].walk("VALARM"))) == 2  # D-10 and D-3 (not the head's escalation)


def test_a_private_feed_works_by_its_token_alone_and_can_be_revoked(client, auth, dept, overdue_request):
    auth.login("officer")
    page = client.post("/calendar/token").get_data(as_text=True)
    token = re.search(r"/calendar/([\w-]+)\.ics", page).group(1)
    assert db.session.scalar(select(CalendarFeed.token_hash)) != token  # only the hash is kept
    auth.logout()
    feed = client.get(f"/calendar/{token}.ics")
    assert feed.status_code == 200
    events = list(icalendar.Calendar.from_ical(feed.data).walk("VEVENT"))
    assert [overdue_request.reference in str(event["SUMMARY"]) for event in events] == [True]
    assert client.get("/calendar/wrong-token.ics").status_code == 404
    auth.login("officer")
    client.post("/calendar/token")  # a new link stops the old one
    assert client.get(f"/calendar/{token}.ics").status_code == 404
    client.post("/calendar/revoke")
    assert db.session.scalar(select(CalendarFeed)) is None


def test_a_deactivated_persons_feed_stops(client, dept):
    from coop.deadlines.feeds import issue_feed_token

    token = issue_feed_token(db.session, dept.officer, utcnow())
    dept.officer.active = False
    db.session.commit()
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_the_feed_lists_only_the_persons_own_requests(client, dept, overdue_request):
    from coop.deadlines.feeds import issue_feed_token

    other = dept.request("mla_incoming", received_at=recent(3), now=recent(3), actor=dept.head)
    token = issue_feed_token(db.session, dept.colleague, utcnow())
    db.session.commit()
    text = client.get(f"/calendar/{token}.ics").get_data(as_text=True)
    assert overdue_request.reference in text and other.reference not in text


def test_a_follow_up_warns_when_the_preservation_it_follows_is_about_to_lapse(client, auth, dept):
    preservation = dept.request("preservation_provider", partner=dept.meta, now=recent(80))
    dept.send(preservation, now=recent(80))
    dept.move(preservation, Status.ACKNOWLEDGED, now=recent(80))
    follow_up = dept.request("direct_disclosure", partner=dept.meta, follows_id=preservation.id, now=recent(1))
    db.session.commit()
    auth.login("officer")
    html = client.get(f"/requests/{follow_up.id}").get_data(as_text=True)
    assert 'data-testid="linked-preservation"' in html and preservation.reference in html
    dept.send(follow_up)
    db.session.commit()
    html = client.get(f"/requests/{follow_up.id}").get_data(as_text=True)
    assert 'data-testid="linked-preservation"' not in html  # the follow-up left: the preservation is safe


def test_a_paused_clock_says_why_on_the_request_page(client, auth, dept):
    request = dept.request("traffic_disclosure", now=recent(3))
    dept.send(request, now=recent(3))
    dept.move(request, Status.ADDITIONAL_INFO_REQUESTED, now=recent(1))
    db.session.commit()
    auth.login("officer")
    html = client.get(f"/requests/{request.id}").get_data(as_text=True)
    assert "Приостановлен" in html and "мы должны партнёру дополнительную информацию" in html
