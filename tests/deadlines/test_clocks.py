"""How a clock is computed: units, start events, pauses, extensions, dates set by hand, what ends it."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from coop.deadlines.panel import partner_time
from coop.domain.calendars import add_working_days, build_calendar, end_of_day, working_days_between
from coop.domain.deadlines import (
    Adjustment,
    Pause,
    RequestFacts,
    applicable_rules,
    compute_clock,
    occurrence_amount,
)
from coop.models import (
    AdjustmentKind,
    ClockUnit,
    DeadlineKind,
    DeadlineState,
    Direction,
    StartEvent,
    Status,
    StopEvent,
)
from tests.deadlines.conftest import make_rule

ALMATY = ZoneInfo("Asia/Almaty")
KZ = build_calendar("KZ")
SENT = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)  # Monday 10:00 in Almaty


def facts(**fields) -> RequestFacts:
    values = {"status": Status.IN_EXECUTION, "direction": Direction.OUTGOING, "sent_at": SENT}
    values.update(fields)
    return RequestFacts(**values)


def local(moment: datetime) -> datetime:
    return moment.astimezone(ALMATY)


def test_a_clock_in_calendar_days_ends_at_the_end_of_its_last_day_in_almaty():
    clock = compute_clock(make_rule(amount=7), facts(), KZ, ALMATY)
    assert local(clock.due_at) == datetime(2026, 3, 9, 23, 59, 59, tzinfo=ALMATY)
    assert clock.state == DeadlineState.OPEN
    assert clock.explanation["start"] == {"event": "sent", "at": SENT.isoformat()}
    assert clock.explanation["skipped"] == {}  # calendar days skip nothing, not even 8 March


def test_a_clock_in_working_days_skips_weekends_and_holidays_and_says_which():
    rule = make_rule(kind=DeadlineKind.EXECUTION_DEADLINE, start_event=StartEvent.RECEIVED,
                     unit=ClockUnit.WORKING_DAYS, amount=30)
    clock = compute_clock(rule, facts(direction=Direction.INCOMING, received_at=SENT), KZ, ALMATY)
    assert local(clock.due_at).date() == add_working_days(date(2026, 3, 2), 30, KZ) == date(2026, 4, 17)
    skipped = clock.explanation["skipped"]
    assert {item["day"] for item in skipped["days_off"]} == {"2026-03-08", "2026-03-09", "2026-03-21", "2026-03-22",
                                                              "2026-03-23", "2026-03-24", "2026-03-25"}
    assert skipped["weekend_days"] == 9
    assert clock.explanation["rule"]["calendar"] == "KZ"


def test_a_clock_in_hours_is_absolute_and_the_partner_sees_its_own_wall_clock_across_dst():
    # The United States move their clocks forward at 02:00 on Sunday 8 March 2026.
    sent = datetime(2026, 3, 8, 5, 0, tzinfo=UTC)  # 00:00 EST in New York
    rule = make_rule(unit=ClockUnit.HOURS, amount=8)
    clock = compute_clock(rule, facts(sent_at=sent), KZ, ALMATY)
    assert clock.due_at - sent == timedelta(hours=8)
    assert partner_time(clock.due_at, "America/New_York") == "08.03.2026 09:00 EDT"  # 8 hours, but 9 on the clock
    assert partner_time(sent, "America/New_York") == "08.03.2026 00:00 EST"
    # Europe moves on 29 March: 24 hours from 23:00 CET end at 00:00 CEST two days later.
    sent = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)
    clock = compute_clock(make_rule(unit=ClockUnit.HOURS, amount=24), facts(sent_at=sent), KZ, ALMATY)
    assert clock.due_at == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
    assert partner_time(clock.due_at, "Europe/Berlin") == "30.03.2026 00:00 CEST"
    assert partner_time(clock.due_at, "Not/AZone") is None
    assert partner_time(clock.due_at, None) is None


def test_a_clock_does_not_start_before_its_start_event():
    assert compute_clock(make_rule(), facts(sent_at=None), KZ, ALMATY) is None
    preservation = make_rule(kind=DeadlineKind.PRESERVATION_EXPIRY, start_event=StartEvent.CONFIRMED, amount=60)
    assert compute_clock(preservation, facts(), KZ, ALMATY) is None
    confirmed = SENT + timedelta(days=2)
    clock = compute_clock(preservation, facts(confirmed_at=confirmed), KZ, ALMATY)
    assert local(clock.due_at).date() == date(2026, 5, 3)


def test_what_meets_a_clock_and_what_cancels_it():
    answered = facts(status=Status.ANSWERED, answered_at=SENT + timedelta(days=3))
    clock = compute_clock(make_rule(), answered, KZ, ALMATY)
    assert (clock.state, clock.met_at, clock.ended_reason) == (DeadlineState.MET, SENT + timedelta(days=3), "answered")

    partial = facts(status=Status.PARTIALLY_ANSWERED, answered_at=SENT + timedelta(days=3))
    assert compute_clock(make_rule(), partial, KZ, ALMATY).state == DeadlineState.OPEN

    withdrawn = facts(status=Status.WITHDRAWN, closed_at=SENT + timedelta(days=1))
    clock = compute_clock(make_rule(), withdrawn, KZ, ALMATY)
    assert (clock.state, clock.ended_reason) == (DeadlineState.CANCELLED, "withdrawn")

    expiry = make_rule(kind=DeadlineKind.PRESERVATION_EXPIRY, start_event=StartEvent.CONFIRMED,
                       stop_event=StopEvent.FOLLOW_UP_SENT, amount=60)
    followed = facts(confirmed_at=SENT, follow_up_sent_at=SENT + timedelta(days=20))
    assert compute_clock(expiry, followed, KZ, ALMATY).state == DeadlineState.MET
    # Closing a preservation whose follow-up never left cancels the clock; it does not meet it.
    closed = facts(status=Status.CLOSED, confirmed_at=SENT, closed_at=SENT + timedelta(days=5))
    assert compute_clock(expiry, closed, KZ, ALMATY).state == DeadlineState.CANCELLED


def test_a_pause_freezes_the_clock_and_it_resumes_with_the_time_it_had_left():
    rule = make_rule(amount=10, pauses=True)
    paused_at = SENT + timedelta(days=4)
    waiting = compute_clock(rule, facts(status=Status.ADDITIONAL_INFO_REQUESTED,
                                        pauses=(Pause(paused_at, None),)), KZ, ALMATY)
    assert waiting.state == DeadlineState.PAUSED and waiting.paused_at == paused_at
    assert local(waiting.due_at).date() == date(2026, 3, 12)  # as it stood when the pause began

    resumed = compute_clock(rule, facts(pauses=(Pause(paused_at, paused_at + timedelta(days=6)),)), KZ, ALMATY)
    assert resumed.state == DeadlineState.OPEN
    assert local(resumed.due_at).date() == date(2026, 3, 18)
    assert resumed.pause_shift == timedelta(days=6)
    assert resumed.explanation["steps"][0]["type"] == "pause"
    # A rule that does not pause ignores the pause.
    assert local(compute_clock(make_rule(amount=10), facts(pauses=(Pause(paused_at, None),)), KZ,
                               ALMATY).due_at).date() == date(2026, 3, 12)


def test_a_pause_after_the_date_passed_moves_nothing():
    rule = make_rule(amount=3, pauses=True)
    late = SENT + timedelta(days=10)
    clock = compute_clock(rule, facts(pauses=(Pause(late, late + timedelta(days=5)),)), KZ, ALMATY)
    assert local(clock.due_at).date() == date(2026, 3, 5)
    assert clock.explanation["steps"] == []


starts = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2029, 12, 31), timezones=st.just(UTC))


@settings(deadline=None, max_examples=150)
@given(start=starts, amount=st.integers(1, 90), into=st.integers(0, 89), length=st.integers(0, 60))
def test_a_pause_of_n_calendar_days_moves_the_date_by_n_days(start, amount, into, length):
    assume(into < amount)
    rule = make_rule(amount=amount, pauses=True)
    paused = start + timedelta(days=into)
    plain = compute_clock(rule, facts(sent_at=start), KZ, ALMATY)
    moved = compute_clock(rule, facts(sent_at=start, pauses=(Pause(paused, paused + timedelta(days=length)),)),
                          KZ, ALMATY)
    assert local(moved.due_at).date() - local(plain.due_at).date() == timedelta(days=length)


@settings(deadline=None, max_examples=150)
@given(start=starts, amount=st.integers(1, 60), into=st.integers(0, 59), length=st.integers(0, 40))
def test_a_pause_of_n_working_days_moves_the_date_by_n_working_days(start, amount, into, length):
    assume(into < amount)
    rule = make_rule(unit=ClockUnit.WORKING_DAYS, amount=amount, pauses=True)
    start_day = start.astimezone(ALMATY).date()
    pause_day = add_working_days(start_day, into, KZ)  # a working day inside the clock
    resume_day = add_working_days(pause_day, length, KZ)
    moment = time(11, 0)
    pause = Pause(datetime.combine(pause_day, moment, tzinfo=ALMATY).astimezone(UTC),
                  datetime.combine(resume_day, moment, tzinfo=ALMATY).astimezone(UTC))
    assume(pause.start >= start)
    plain = compute_clock(rule, facts(sent_at=start), KZ, ALMATY)
    moved = compute_clock(rule, facts(sent_at=start, pauses=(pause,)), KZ, ALMATY)
    old, new = local(plain.due_at).date(), local(moved.due_at).date()
    assert working_days_between(old, new, KZ) == length
    assert KZ.is_working_day(new)


@settings(deadline=None, max_examples=150)
@given(start=starts, amount=st.integers(1, 72), into=st.integers(0, 71), length=st.integers(0, 200))
def test_a_pause_of_n_hours_moves_the_date_by_n_hours(start, amount, into, length):
    assume(into < amount)
    rule = make_rule(unit=ClockUnit.HOURS, amount=amount, pauses=True)
    paused = start + timedelta(hours=into)
    plain = compute_clock(rule, facts(sent_at=start), KZ, ALMATY)
    moved = compute_clock(rule, facts(sent_at=start, pauses=(Pause(paused, paused + timedelta(hours=length)),)),
                          KZ, ALMATY)
    assert moved.due_at - plain.due_at == timedelta(hours=length)


def test_extensions_and_dates_set_by_hand_are_replayed_in_order_with_their_reasons():
    rule = make_rule(kind=DeadlineKind.PRESERVATION_EXPIRY, start_event=StartEvent.CONFIRMED, amount=90,
                     extension_amount=90, max_extensions=1)
    base = facts(confirmed_at=SENT)
    extended = compute_clock(rule, base, KZ, ALMATY, [
        Adjustment(AdjustmentKind.EXTENSION, SENT + timedelta(days=80), amount=90, reason="Meta agreed",
                   actor="Айдар")])
    assert local(extended.due_at).date() == date(2026, 8, 29)
    assert extended.extensions == 1
    assert extended.explanation["steps"][0] | {"due_after": None} == {
        "type": "extension", "at": (SENT + timedelta(days=80)).isoformat(), "by": "Айдар", "reason": "Meta agreed",
        "amount": 90, "unit": "calendar_days", "due_before": end_of_day(date(2026, 5, 31), ALMATY).isoformat(),
        "due_after": None}
    corrected = compute_clock(rule, base, KZ, ALMATY, [
        Adjustment(AdjustmentKind.EXTENSION, SENT + timedelta(days=80), amount=90),
        Adjustment(AdjustmentKind.DATE_SET, SENT + timedelta(days=81), new_due_at=end_of_day(date(2026, 8, 1),
                                                                                             ALMATY))])
    assert local(corrected.due_at).date() == date(2026, 8, 1)
    assert local(corrected.base_due_at).date() == date(2026, 5, 31)


def test_a_date_entered_per_request_starts_the_clock_when_it_is_entered():
    rule = make_rule(kind=DeadlineKind.AUTHORISATION_END, start_event=StartEvent.ENTERED, amount=0,
                     stop_event=StopEvent.NONE)
    assert compute_clock(rule, facts(), KZ, ALMATY) is None
    entered = SENT + timedelta(days=1)
    clock = compute_clock(rule, facts(), KZ, ALMATY, [
        Adjustment(AdjustmentKind.DATE_SET, entered, new_due_at=end_of_day(date(2026, 6, 30), ALMATY),
                   reason="Санкция суда")])
    assert clock.started_at == entered
    assert local(clock.due_at).date() == date(2026, 6, 30)
    assert clock.explanation["start"]["event"] == "entered"


def test_the_date_we_asked_for_is_a_clock_once_the_request_is_sent():
    rule = make_rule(start_event=StartEvent.REQUESTED_DATE, amount=0)
    assert compute_clock(rule, facts(), KZ, ALMATY) is None  # nothing asked
    assert compute_clock(rule, facts(sent_at=None, requested_by=date(2026, 5, 1)), KZ, ALMATY) is None
    clock = compute_clock(rule, facts(requested_by=date(2026, 5, 1)), KZ, ALMATY)
    assert local(clock.due_at).date() == date(2026, 5, 1)


def test_a_series_repeats_after_its_listed_occurrences():
    rule = make_rule(kind=DeadlineKind.STATUS_ENQUIRY, amount=30, series=[60, 90], repeat_every=60)
    assert [occurrence_amount(rule, n) for n in range(6)] == [30, 60, 90, 150, 210, 270]
    single = make_rule(amount=30)
    assert occurrence_amount(single, 1) is None
    assert compute_clock(single, facts(), KZ, ALMATY, sequence=1) is None
    clock = compute_clock(rule, facts(), KZ, ALMATY, sequence=3)
    assert local(clock.due_at).date() == date(2026, 7, 30)


def test_the_most_specific_active_rule_applies():
    generic = make_rule(request_type_id=1, legal_basis_id=None, partner_id=None, amount=30)
    for_basis = make_rule(request_type_id=1, legal_basis_id=7, partner_id=None, amount=20)
    for_partner = make_rule(request_type_id=1, legal_basis_id=None, partner_id=3, amount=10)
    inactive = make_rule(request_type_id=1, legal_basis_id=7, partner_id=3, amount=5, active=False)
    other_kind = make_rule(request_type_id=1, kind=DeadlineKind.HEAD_REVIEW, amount=180)
    rules = [generic, for_basis, for_partner, inactive, other_kind]
    assert applicable_rules(rules, 1, None, None) == [generic, other_kind]
    assert applicable_rules(rules, 1, 7, None) == [for_basis, other_kind]
    assert applicable_rules(rules, 1, 7, 3) == [for_partner, other_kind]
    assert applicable_rules(rules, 2, 7, 3) == []
