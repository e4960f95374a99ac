"""Clocks on real requests: computed after every change, with reminder rows that are never duplicated."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from coop.domain.calendars import end_of_day
from coop.domain.deadlines import (
    DeadlineProblem,
    clocks_to_enter,
    extend_deadline,
    mark_enquiry_sent,
    on_request_changed,
    recompute_open_requests,
    requests_on_working_day_clocks,
    set_deadline_date,
)
from coop.extensions import db
from coop.models import (
    CalendarDay,
    ClockUnit,
    Deadline,
    DeadlineKind,
    DeadlineRule,
    DeadlineState,
    Reminder,
    ReminderKind,
    ReminderState,
    Status,
    Urgency,
    WorkingCalendar,
)
from tests.deadlines.conftest import NOW

ALMATY = ZoneInfo("Asia/Almaty")


def clocks(request) -> dict[tuple[DeadlineKind, int], Deadline]:
    return {(row.kind, row.sequence): row for row in db.session.scalars(
        select(Deadline).where(Deadline.request_id == request.id))}


def clock(request, kind: DeadlineKind, sequence: int = 0) -> Deadline:
    return clocks(request)[(kind, sequence)]


def reminder_rows(request, **filters) -> list[Reminder]:
    query = select(Reminder).where(Reminder.request_id == request.id).order_by(Reminder.due_at, Reminder.id)
    for name, value in filters.items():
        query = query.where(getattr(Reminder, name) == value)
    return list(db.session.scalars(query))


def local_day(moment: datetime) -> date:
    return moment.astimezone(ALMATY).date()


def test_an_incoming_request_gets_our_execution_deadline_in_working_days(dept):
    request = dept.request("mla_incoming", received_at=NOW, officers=[dept.colleague])
    deadline = clock(request, DeadlineKind.EXECUTION_DEADLINE)
    assert deadline.state == DeadlineState.OPEN
    assert local_day(deadline.due_at) == date(2026, 4, 17)  # 30 working days, Nauryz skipped
    assert deadline.unit == ClockUnit.WORKING_DAYS
    assert deadline.explanation["rule"]["type"] == "mla_incoming"

    rows = reminder_rows(request)
    officers = {(row.recipient_id, row.offset_code) for row in rows if row.kind != ReminderKind.ESCALATION}
    assert officers == {(person.id, code) for person in (dept.officer, dept.colleague) for code in ("D-10", "D-3")}
    escalations = [row for row in rows if row.kind == ReminderKind.ESCALATION]
    assert [(row.recipient_id, row.offset_code) for row in escalations] == [(dept.head.id, "D+1")]
    assert all(row.state == ReminderState.PENDING and not row.immediate for row in rows)
    assert all(row.deadline_due_at == deadline.due_at for row in rows)


def test_recomputing_again_changes_nothing_and_adds_no_reminder(dept):
    request = dept.request("mla_incoming", received_at=NOW)
    before = [(row.id, row.due_at, row.state) for row in clocks(request).values()]
    count = len(reminder_rows(request))
    for _ in range(3):
        on_request_changed(db.session, request, NOW + timedelta(hours=1))
    assert [(row.id, row.due_at, row.state) for row in clocks(request).values()] == before
    assert len(reminder_rows(request)) == count


def test_a_preservation_runs_from_the_partners_confirmation_until_the_follow_up_is_sent(dept):
    preservation = dept.request("preservation_state")
    assert clocks(preservation) == {}  # a draft owes nobody anything
    dept.send(preservation)
    confirmation = clock(preservation, DeadlineKind.CONFIRMATION_EXPECTED)
    assert local_day(confirmation.due_at) == date(2026, 3, 5)
    assert (DeadlineKind.PRESERVATION_EXPIRY, 0) not in clocks(preservation)

    acknowledged = NOW + timedelta(days=1)
    dept.move(preservation, Status.ACKNOWLEDGED, now=acknowledged)
    assert clock(preservation, DeadlineKind.CONFIRMATION_EXPECTED).state == DeadlineState.MET
    expiry = clock(preservation, DeadlineKind.PRESERVATION_EXPIRY)
    assert local_day(expiry.due_at) == date(2026, 5, 2)  # 60 calendar days after 3 March
    assert {row.offset_code for row in reminder_rows(preservation, deadline_id=expiry.id)} == {
        "D-21", "D-14", "D-7", "D-3", "D+1"}

    follow_up = dept.request("mla_outgoing", follows_id=preservation.id, now=acknowledged)
    assert clock(preservation, DeadlineKind.PRESERVATION_EXPIRY).state == DeadlineState.OPEN
    dept.send(follow_up, now=acknowledged + timedelta(days=20))
    expiry = clock(preservation, DeadlineKind.PRESERVATION_EXPIRY)
    assert (expiry.state, expiry.ended_reason) == (DeadlineState.MET, "follow_up_sent")
    assert {row.state for row in reminder_rows(preservation, deadline_id=expiry.id)} == {ReminderState.CANCELLED}


def test_the_clock_pauses_while_we_owe_information_and_its_reminders_wait(dept):
    request = dept.request("traffic_disclosure")
    dept.send(request)
    first_due = clock(request, DeadlineKind.ANSWER_EXPECTED).due_at
    assert len(reminder_rows(request)) == 2  # S+3 and S+7, to the officer

    dept.move(request, Status.ADDITIONAL_INFO_REQUESTED, now=NOW + timedelta(days=2))
    paused = clock(request, DeadlineKind.ANSWER_EXPECTED)
    assert paused.state == DeadlineState.PAUSED
    assert reminder_rows(request, state=ReminderState.PENDING) == []

    dept.move(request, Status.IN_EXECUTION, now=NOW + timedelta(days=6))
    resumed = clock(request, DeadlineKind.ANSWER_EXPECTED)
    assert resumed.state == DeadlineState.OPEN
    assert resumed.due_at - first_due == timedelta(days=4)
    pending = reminder_rows(request, state=ReminderState.PENDING)
    assert {row.deadline_due_at for row in pending} == {resumed.due_at}
    # The chase counted from sending moved with the pause: not the day after we answered.
    assert min(row.due_at for row in pending) > NOW + timedelta(days=6)


def test_a_moved_deadline_replaces_its_pending_reminders_and_keeps_the_ones_sent(dept):
    request = dept.request("preservation_provider", partner=dept.meta, officers=[dept.colleague])
    dept.send(request)
    dept.move(request, Status.ACKNOWLEDGED)
    expiry = clock(request, DeadlineKind.PRESERVATION_EXPIRY)
    assert local_day(expiry.due_at) == date(2026, 5, 31)
    sent = reminder_rows(request, offset_code="D-21", recipient_id=dept.officer.id)[0]
    sent.state, sent.sent_at = ReminderState.SENT, NOW + timedelta(days=69)
    db.session.flush()

    extend_deadline(db.session, expiry, request, dept.officer, "Meta agreed to 90 more days", NOW + timedelta(days=70))
    expiry = clock(request, DeadlineKind.PRESERVATION_EXPIRY)
    assert local_day(expiry.due_at) == date(2026, 8, 29)
    assert expiry.explanation["steps"][0]["reason"] == "Meta agreed to 90 more days"
    old = [row for row in reminder_rows(request) if row.deadline_due_at != expiry.due_at]
    assert [(row.offset_code, row.state) for row in old] == [("D-21", ReminderState.SENT)]
    new = reminder_rows(request, deadline_due_at=expiry.due_at)
    assert {row.offset_code for row in new if row.kind != ReminderKind.MOVED} == {"D-21", "D-10", "D-3", "D+1"}
    # The colleague is told the date moved; the officer who extended it knows.
    assert [row.recipient_id for row in new if row.kind == ReminderKind.MOVED] == [dept.colleague.id]


def test_extensions_need_a_reason_and_stop_at_the_rules_limit(dept):
    request = dept.request("preservation_provider", partner=dept.meta)
    dept.send(request)
    dept.move(request, Status.ACKNOWLEDGED)
    expiry = clock(request, DeadlineKind.PRESERVATION_EXPIRY)
    with pytest.raises(DeadlineProblem) as refused:
        extend_deadline(db.session, expiry, request, dept.officer, "  ", NOW)
    assert refused.value.code == "reason_required"
    extend_deadline(db.session, expiry, request, dept.officer, "Продлено", NOW)
    with pytest.raises(DeadlineProblem) as refused:
        extend_deadline(db.session, clock(request, DeadlineKind.PRESERVATION_EXPIRY), request, dept.officer,
                        "Ещё раз", NOW)
    assert refused.value.code == "no_extension_left"


def test_reminders_already_past_when_planned_come_as_one_catch_up_reminder(dept):
    # Entered late: received 35 days ago, due on 10 March; D-10 has passed, D-3 (Friday 6 March) has not.
    received = NOW - timedelta(days=35)
    request = dept.request("mla_incoming", received_at=received)
    deadline = clock(request, DeadlineKind.EXECUTION_DEADLINE)
    assert NOW < deadline.due_at < NOW + timedelta(days=10)
    mine = reminder_rows(request, recipient_id=dept.officer.id)
    assert [row.offset_code for row in mine] == ["D-10", "D-3"]

    later = NOW - timedelta(days=80)  # received long ago: every reminder is past
    old = dept.request("mla_incoming", received_at=later)
    assert [row.offset_code for row in reminder_rows(old, recipient_id=dept.officer.id)] == ["D-3"]
    assert [row.offset_code for row in reminder_rows(old, recipient_id=dept.head.id)] == ["D+1"]


def test_a_reminder_sent_is_never_inserted_twice_even_when_its_row_is_recomputed(dept):
    request = dept.request("mla_incoming", received_at=NOW)
    before = {(row.offset_code, row.recipient_id) for row in reminder_rows(request)}
    db.session.execute(Reminder.__table__.update().values(state=ReminderState.SENT, sent_at=NOW))
    on_request_changed(db.session, request, NOW + timedelta(days=1))
    on_request_changed(db.session, request, NOW + timedelta(days=60))
    rows = reminder_rows(request)
    assert {row.state for row in rows} == {ReminderState.SENT}
    assert sorted((row.offset_code, row.recipient_id) for row in rows) == sorted(before)


def test_status_enquiries_follow_one_another_until_the_answer(dept):
    request = dept.request("mla_outgoing")
    dept.send(request)
    first = clock(request, DeadlineKind.STATUS_ENQUIRY, 0)
    assert local_day(first.due_at) == date(2026, 4, 1)
    with pytest.raises(DeadlineProblem):
        mark_enquiry_sent(db.session, clock(request, DeadlineKind.HEAD_REVIEW), request, dept.officer, NOW)

    mark_enquiry_sent(db.session, first, request, dept.officer, NOW + timedelta(days=31), "by e-mail")
    assert clock(request, DeadlineKind.STATUS_ENQUIRY, 0).state == DeadlineState.MET
    second = clock(request, DeadlineKind.STATUS_ENQUIRY, 1)
    assert (second.state, local_day(second.due_at)) == (DeadlineState.OPEN, date(2026, 5, 1))

    # Sent late, after the third date: the next one is the first still ahead.
    mark_enquiry_sent(db.session, second, request, dept.officer, NOW + timedelta(days=95))
    assert (DeadlineKind.STATUS_ENQUIRY, 2) not in clocks(request)
    assert local_day(clock(request, DeadlineKind.STATUS_ENQUIRY, 3).due_at) == date(2026, 7, 30)

    dept.move(request, Status.ANSWERED, now=NOW + timedelta(days=100))
    assert clock(request, DeadlineKind.STATUS_ENQUIRY, 3).state == DeadlineState.MET
    assert clock(request, DeadlineKind.HEAD_REVIEW).state == DeadlineState.MET


def test_a_date_entered_for_each_request_starts_its_clock(dept):
    request = dept.request("realtime_collection")
    dept.send(request)
    assert [rule.kind for rule in clocks_to_enter(db.session, request)] == [DeadlineKind.AUTHORISATION_END]
    with pytest.raises(DeadlineProblem) as refused:
        set_deadline_date(db.session, None, request, DeadlineKind.AUTHORISATION_END, dept.officer,
                          end_of_day(date(2026, 5, 31), ALMATY), "", NOW)
    assert refused.value.code == "reason_required"
    with pytest.raises(DeadlineProblem) as refused:
        set_deadline_date(db.session, None, request, DeadlineKind.AGREEMENT_END, dept.officer,
                          end_of_day(date(2026, 5, 31), ALMATY), "Соглашение", NOW)
    assert refused.value.code == "no_such_clock"

    set_deadline_date(db.session, None, request, DeadlineKind.AUTHORISATION_END, dept.officer,
                      end_of_day(date(2026, 5, 31), ALMATY), "Санкция суда до 31.05.2026", NOW)
    authorisation = clock(request, DeadlineKind.AUTHORISATION_END)
    assert local_day(authorisation.due_at) == date(2026, 5, 31)
    assert clocks_to_enter(db.session, request) == []
    assert {row.offset_code for row in reminder_rows(request, deadline_id=authorisation.id)} == {"D-7", "D-2", "D+1"}

    set_deadline_date(db.session, authorisation, request, DeadlineKind.AUTHORISATION_END, dept.officer,
                      end_of_day(date(2026, 6, 30), ALMATY), "Санкция продлена", NOW + timedelta(days=80))
    assert local_day(clock(request, DeadlineKind.AUTHORISATION_END).due_at) == date(2026, 6, 30)
    assert len(clock(request, DeadlineKind.AUTHORISATION_END).explanation["steps"]) == 2


def test_emergencies_are_e_mailed_at_once_and_in_hours(dept):
    request = dept.request("emergency_provider", partner=dept.meta, urgency=Urgency.EMERGENCY,
                           emergency_justification="Угроза жизни")
    dept.send(request)
    deadline = clock(request, DeadlineKind.ANSWER_EXPECTED)
    assert deadline.due_at - request.sent_at == timedelta(hours=8)
    rows = reminder_rows(request)
    assert rows and all(row.immediate for row in rows)
    assert [(row.due_at - request.sent_at, row.kind) for row in rows if row.recipient_id == dept.head.id] == [
        (timedelta(hours=24), ReminderKind.ESCALATION)]


def test_with_nobody_assigned_the_heads_are_reminded(dept):
    request = dept.request("mla_incoming", received_at=NOW)
    request.officers = []
    on_request_changed(db.session, request, NOW)
    assert {row.recipient_id for row in reminder_rows(request, state=ReminderState.PENDING)} == {dept.head.id}


def test_a_rule_change_moves_the_open_requests_and_tells_their_officers(dept):
    request = dept.request("mla_incoming", received_at=NOW)
    closed = dept.request("mla_incoming", received_at=NOW)
    dept.move(closed, Status.WITHDRAWN, reason="Отозван")
    rule = db.session.scalar(select(DeadlineRule).where(DeadlineRule.kind == DeadlineKind.EXECUTION_DEADLINE))
    rule.amount = 20
    changes = recompute_open_requests(db.session, NOW + timedelta(days=1), request_type_ids=[rule.request_type_id],
                                      notify_moves=True)
    assert [(change.reference, change.moved) for change in changes] == [(request.reference, True)]
    assert local_day(clock(request, DeadlineKind.EXECUTION_DEADLINE).due_at) == date(2026, 4, 3)
    assert [row.recipient_id for row in reminder_rows(request, kind=ReminderKind.MOVED)] == [dept.officer.id]
    assert clock(closed, DeadlineKind.EXECUTION_DEADLINE).state == DeadlineState.CANCELLED


def test_a_partner_rule_can_count_the_partners_working_days(dept):
    rule = db.session.scalar(select(DeadlineRule).where(DeadlineRule.kind == DeadlineKind.EXECUTION_DEADLINE))
    db.session.add(DeadlineRule(
        scope_key="mla_incoming:*:US:execution_deadline", request_type_id=rule.request_type_id, partner=dept.usa,
        kind=DeadlineKind.EXECUTION_DEADLINE, start_event=rule.start_event, amount=1, unit=ClockUnit.WORKING_DAYS,
        calendar=WorkingCalendar.PARTNER, stop_event=rule.stop_event, reminders=["D-1"]))
    db.session.flush()
    received = datetime(2026, 7, 2, 5, 0, tzinfo=ALMATY)  # Thursday; Friday 3 July is a US holiday in 2026
    american = dept.request("mla_incoming", partner=dept.usa, received_at=received)
    german = dept.request("mla_incoming", partner=dept.germany, received_at=received)
    assert local_day(clock(american, DeadlineKind.EXECUTION_DEADLINE).due_at) == date(2026, 7, 6)
    # The others count Kazakhstan's working days: Capital Day, 6 July, is skipped.
    assert local_day(clock(german, DeadlineKind.EXECUTION_DEADLINE).due_at) == date(2026, 8, 14)


def test_a_day_off_added_later_moves_working_day_deadlines_and_tells_their_officers(dept):
    request = dept.request("mla_incoming", received_at=NOW)
    assert local_day(clock(request, DeadlineKind.EXECUTION_DEADLINE).due_at) == date(2026, 4, 17)
    db.session.add(CalendarDay(country="KZ", day=date(2026, 4, 1), working=False, note="Постановление №123"))
    db.session.flush()
    affected = requests_on_working_day_clocks(db.session, date(2026, 4, 1))
    assert affected == [request.id]
    recompute_open_requests(db.session, NOW + timedelta(days=5), request_ids=affected, notify_moves=True)
    deadline = clock(request, DeadlineKind.EXECUTION_DEADLINE)
    assert local_day(deadline.due_at) == date(2026, 4, 20)
    assert deadline.explanation["skipped"]["days_off"][-1] == {"day": "2026-04-01", "reason": "added",
                                                               "name": "Постановление №123"}
    assert [row.recipient_id for row in reminder_rows(request, kind=ReminderKind.MOVED)] == [dept.officer.id]


def test_a_request_that_no_rule_covers_has_no_clock(dept):
    request = dept.request("spontaneous_information", received_at=NOW)
    assert clocks(request) == {}
