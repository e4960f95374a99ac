"""What administrators edit: deadline rules (with what a change moves), days moved by decree, the outbox."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from coop.domain.calendars import build_calendar
from coop.extensions import db
from coop.models import (
    CalendarDay,
    Deadline,
    DeadlineKind,
    DeadlineRule,
    OutboxMessage,
    OutboxState,
    Reminder,
    ReminderKind,
    utcnow,
)


def rule_form(**overrides) -> dict:
    data = {"request_type": "mla_incoming", "legal_basis": "", "partner_code": "", "kind": "execution_deadline",
            "start_event": "received", "amount": "20", "unit": "working_days", "calendar": "kazakhstan",
            "series": "", "repeat_every": "", "stop_event": "answered", "extension_amount": "", "max_extensions": "0",
            "reminders": "D-5, D+1 head", "advice_ru": "Исполните запрос", "advice_en": "", "advice_kk": "", "note": "",
            "active": "y", "pauses": "",
            "save": "1"}
    data.update(overrides)
    return data


def execution_rule() -> DeadlineRule:
    key = "mla_incoming:*:*:execution_deadline"
    return db.session.scalar(select(DeadlineRule).where(DeadlineRule.scope_key == key))


@pytest.fixture
def incoming(dept):
    request = dept.request("mla_incoming", received_at=utcnow() - timedelta(days=2), now=utcnow() - timedelta(days=2))
    db.session.commit()
    return request


def due_of(request) -> date:
    db.session.expire_all()
    return db.session.scalar(select(Deadline.due_at).where(Deadline.request_id == request.id,
                                                           Deadline.kind == DeadlineKind.EXECUTION_DEADLINE))


@pytest.mark.parametrize("path", ["/admin/deadline-rules", "/admin/deadline-rules/new", "/admin/calendar-days",
                                  "/admin/outbox"])
def test_only_administrators_manage_deadlines(client, auth, dept, path):
    auth.login("officer")
    assert client.get(path).status_code == 403
    auth.logout()
    auth.login("admin")
    assert client.get(path).status_code == 200


def test_the_rules_page_shows_the_codes_of_types_bases_and_partners(client, auth, dept):
    auth.login("admin")
    html = client.get("/admin/deadline-rules").get_data(as_text=True)
    assert "mla_incoming" in html and "preservation_provider" in html
    assert "D-21, D-14, D-7, D-3, D+1 head" in html
    only = client.get("/admin/deadline-rules?type=mla_outgoing").get_data(as_text=True)
    assert 'data-testid="rule-mla_outgoing:' in only and 'data-testid="rule-preservation_provider:' not in only


@pytest.mark.parametrize(("change", "message"), [
    ({"reminders": "D-5, soon"}, "«soon» — не напоминание"),
    ({"reminders": "D-5, D-5"}, "«D-5» указано дважды."),
    ({"reminders": "S-2"}, "до начала срока"),
    ({"amount": ""}, "Укажите длительность срока."),
    ({"amount": "-3"}, ""),
    ({"partner_code": "ZZ"}, "Партнёра с таким кодом нет."),
    ({"series": "10, 5"}, "Каждое следующее значение должно быть больше"),
    ({"series": "ten"}, "Укажите целые числа через запятую"),
    ({"start_event": "entered", "series": "60"}, "Повторяться может только срок с длительностью."),
    ({"max_extensions": "1"}, "Укажите, на сколько продлевает одно продление."),
    ({"unit": "fortnights"}, ""),
])
def test_a_rule_with_bad_input_is_refused_field_by_field(client, auth, dept, change, message):
    auth.login("admin")
    before = db.session.scalar(select(func.count(DeadlineRule.id)))
    response = client.post("/admin/deadline-rules/new", data=rule_form(kind="head_review", **change))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'class="error"' in html
    assert message in html
    assert db.session.scalar(select(func.count(DeadlineRule.id))) == before


def test_a_second_rule_for_the_same_scope_is_refused(client, auth, dept):
    auth.login("admin")
    response = client.post("/admin/deadline-rules/new", data=rule_form())
    assert response.status_code == 400
    assert "Правило для этого срока, типа, основания и партнёра уже существует." in response.get_data(as_text=True)


def test_a_change_shows_which_deadlines_it_moves_before_it_moves_them(client, auth, dept, incoming):
    auth.login("admin")
    rule = execution_rule()
    before = due_of(incoming)
    preview = client.post(f"/admin/deadline-rules/{rule.id}/edit",
                          data=rule_form(version=str(rule.version), preview="1", save=None))
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert 'data-testid="rule-impact"' in html and incoming.reference in html
    assert "Пока ничего не сохранено." in html
    assert due_of(incoming) == before

    saved = client.post(f"/admin/deadline-rules/{rule.id}/edit", data=rule_form(version=str(rule.version)),
                        follow_redirects=True)
    assert "пересчитано сроков — 1, открытых запросов — 1" in saved.get_data(as_text=True)
    assert due_of(incoming) < before
    assert db.session.scalar(select(func.count(Reminder.id)).where(Reminder.kind == ReminderKind.MOVED)) == 1
    assert execution_rule().reminders == ["D-5", "D+1 head"]
    assert execution_rule().amount == 20


def test_saving_a_rule_someone_else_changed_meanwhile_is_refused(client, auth, dept):
    auth.login("admin")
    rule = execution_rule()
    stale = str(rule.version)
    rule.version += 1
    db.session.commit()
    response = client.post(f"/admin/deadline-rules/{rule.id}/edit", data=rule_form(version=stale, amount="5"))
    assert response.status_code == 400
    assert "Кто-то изменил это правило" in response.get_data(as_text=True)
    assert execution_rule().amount == 30


def test_a_partner_override_and_its_removal_move_that_partners_requests(client, auth, dept, incoming):
    auth.login("admin")
    before = due_of(incoming)
    created = client.post("/admin/deadline-rules/new", data=rule_form(partner_code="DE", amount="10"))
    assert created.status_code == 302
    key = "mla_incoming:*:DE:execution_deadline"
    override = db.session.scalar(select(DeadlineRule).where(DeadlineRule.scope_key == key))
    assert override is not None and due_of(incoming) < before
    deleted = client.post(f"/admin/deadline-rules/{override.id}/delete", follow_redirects=True)
    assert "удалено" in deleted.get_data(as_text=True)
    assert due_of(incoming) == before


def test_a_day_off_by_decree_moves_working_day_deadlines(client, auth, dept, incoming):
    auth.login("admin")
    before = due_of(incoming)
    day = before.date() - timedelta(days=7)
    while not build_calendar("KZ").is_working_day(day):
        day -= timedelta(days=1)
    page = client.get(f"/admin/calendar-days?year={day.year}").get_data(as_text=True)
    assert "Наурыз мейрамы" in page  # the package's holidays, named in Russian
    added = client.post(f"/admin/calendar-days?year={day.year}",
                        data={"day": day.isoformat(), "working": "0", "note": "Постановление № 1"},
                        follow_redirects=True)
    assert "сдвинуто сроков — 1" in added.get_data(as_text=True), added.get_data(as_text=True)[-3000:]
    assert due_of(incoming) > before
    entry = db.session.scalar(select(CalendarDay))
    removed = client.post(f"/admin/calendar-days/{entry.id}/delete", follow_redirects=True)
    assert removed.status_code == 200
    assert due_of(incoming) == before


@pytest.mark.parametrize(("data", "message"), [
    ({"day": "", "working": "0", "note": "x"}, "Укажите дату."),
    ({"day": "2026-03-08", "working": "0", "note": "x"}, "Этот день уже нерабочий."),
    ({"day": "2026-03-10", "working": "1", "note": "x"}, "Этот день уже рабочий."),
    ({"day": "2026-03-10", "working": "0", "note": " "}, "Укажите постановление, которым перенесён день."),
    ({"day": "2026-03-10", "working": "maybe", "note": "x"}, ""),
])
def test_a_day_with_bad_input_is_refused(client, auth, dept, data, message):
    auth.login("admin")
    response = client.post("/admin/calendar-days", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(CalendarDay.id))) == 0


def test_a_day_cannot_be_moved_twice(client, auth, dept):
    auth.login("admin")
    data = {"day": "2026-03-10", "working": "0", "note": "Постановление"}
    assert client.post("/admin/calendar-days", data=data).status_code == 302
    again = client.post("/admin/calendar-days", data=data)
    assert "Этот день уже перенесён" in again.get_data(as_text=True)


def test_the_outbox_page_shows_the_sweep_and_queues_a_test_message(client, auth, dept):
    auth.login("admin")
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "Рассылка ещё ни разу не запускалась" in page
    bad = client.post("/admin/outbox", data={"address": "not an address"})
    assert bad.status_code == 400 and "Это не адрес электронной почты." in bad.get_data(as_text=True)
    assert client.post("/admin/outbox", data={"address": "admin@police.kz"}).status_code == 302
    message = db.session.scalar(select(OutboxMessage))
    assert (message.to_address, message.state) == ("admin@police.kz", OutboxState.QUEUED)
    message.state = OutboxState.FAILED
    db.session.commit()
    assert client.post(f"/admin/outbox/{message.id}/retry").status_code == 302
    db.session.refresh(message)
    assert message.state == OutboxState.QUEUED
