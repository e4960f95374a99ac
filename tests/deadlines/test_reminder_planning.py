"""When a clock reminds: the codes of a rule, the morning of a working day, hours for emergencies."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coop.domain.calendars import build_calendar, end_of_day
from coop.domain.reminders import (
    ReminderCodeError,
    ReminderSpec,
    parse_reminder_code,
    parse_reminder_codes,
    plan_reminders,
    reminder_moment,
)
from coop.models import ReminderKind

ALMATY = ZoneInfo("Asia/Almaty")
KZ = build_calendar("KZ")


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=ALMATY).astimezone(UTC)


@pytest.mark.parametrize(("text", "spec"), [
    ("D-21", ReminderSpec("D", -21, False, False)),
    ("d+1 head", ReminderSpec("D", 1, False, True)),
    (" S+4h ", ReminderSpec("S", 4, True, False)),
    ("S+24h HEAD", ReminderSpec("S", 24, True, True)),
    ("D+0", ReminderSpec("D", 0, False, False)),
])
def test_reminder_codes_are_read(text, spec):
    assert parse_reminder_code(text) == spec
    assert parse_reminder_code(str(spec)) == spec


@pytest.mark.parametrize(("text", "code"), [("D-", "unreadable"), ("21", "unreadable"), ("X+1", "unreadable"),
                                            ("D+1 boss", "unreadable"), ("S-3", "before_start")])
def test_unreadable_reminder_codes_are_refused_with_a_reason(text, code):
    with pytest.raises(ReminderCodeError) as refused:
        parse_reminder_code(text)
    assert refused.value.code == code


def test_a_list_of_codes_refuses_duplicates():
    assert [str(spec) for spec in parse_reminder_codes("D-21, D-14,, D+1 head")] == ["D-21", "D-14", "D+1 head"]
    assert parse_reminder_codes(["D-3", "D+1 head"])[1].escalate
    assert parse_reminder_codes(None) == []
    with pytest.raises(ReminderCodeError) as refused:
        parse_reminder_codes("D-3, d-3")
    assert refused.value.code == "duplicate"


def test_day_reminders_come_in_the_morning_of_a_working_day():
    due = end_of_day(date(2026, 3, 30), ALMATY)  # a Monday
    start = at(date(2026, 1, 29), 10)
    # D-7 is Monday 23 March, inside Nauryz: it moves to the working day before, Friday 20 March.
    assert reminder_moment(parse_reminder_code("D-7"), start, due, KZ, ALMATY) == at(date(2026, 3, 20), 9)
    assert reminder_moment(parse_reminder_code("D-3"), start, due, KZ, ALMATY) == at(date(2026, 3, 27), 9)
    # After the date, a reminder on a weekend waits for Monday.
    saturday_due = end_of_day(date(2026, 4, 3), ALMATY)
    assert reminder_moment(parse_reminder_code("D+1"), start, saturday_due, KZ, ALMATY) == at(date(2026, 4, 6), 9)
    assert reminder_moment(parse_reminder_code("S+3"), start, due, KZ, ALMATY) == at(date(2026, 2, 2), 9)


def test_hour_reminders_are_absolute():
    start = datetime(2026, 3, 7, 20, 0, tzinfo=UTC)  # a Sunday 01:00 in Almaty: emergencies know no weekend
    due = start + timedelta(hours=8)
    planned = plan_reminders(parse_reminder_codes("S+2h, S+8h, S+24h head"), start, due, KZ, ALMATY)
    assert [(item.due_at - start, item.kind) for item in planned] == [
        (timedelta(hours=2), ReminderKind.BEFORE), (timedelta(hours=8), ReminderKind.AFTER),
        (timedelta(hours=24), ReminderKind.ESCALATION)]


@settings(deadline=None, max_examples=200)
@given(due_day=st.dates(min_value=date(2024, 1, 1), max_value=date(2029, 12, 31)),
       before=st.lists(st.integers(0, 60), min_size=1, max_size=5, unique=True),
       hours=st.booleans(),
       added=st.dictionaries(st.dates(min_value=date(2024, 1, 1), max_value=date(2029, 12, 31)),
                             st.tuples(st.booleans(), st.just("decree")), max_size=10))
def test_a_reminder_before_a_deadline_never_falls_after_it(due_day, before, hours, added):
    calendar = build_calendar("KZ", added_days=added)
    due = end_of_day(due_day, ALMATY)
    start = due - timedelta(days=90)
    specs = [ReminderSpec("D", -amount, hours, False) for amount in before]
    for planned in plan_reminders(specs, start, due, calendar, ALMATY):
        assert planned.due_at <= due
        assert planned.kind == (ReminderKind.BEFORE if planned.due_at < due else ReminderKind.AFTER)
        if not hours:
            assert calendar.is_working_day(planned.due_at.astimezone(ALMATY).date())
