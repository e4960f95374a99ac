"""Working days of Kazakhstan: properties of the arithmetic, and the holidays as the `holidays` package gives them."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coop.domain.calendars import (
    Calendar,
    add_working_days,
    build_calendar,
    next_working_day,
    parse_iso_weekdays,
    previous_working_day,
    working_days_between,
)

KZ = build_calendar("KZ")
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
amounts = st.integers(min_value=1, max_value=120)


@st.composite
def calendars(draw):
    """Kazakhstan's calendar with days an administrator moved (days off and worked weekend days)."""
    added = draw(st.dictionaries(days, st.tuples(st.booleans(), st.just("decree")), max_size=12))
    return build_calendar("KZ", added_days=added)


@settings(deadline=None, max_examples=200)
@given(start=days, amount=amounts, calendar=calendars())
def test_a_working_day_deadline_never_falls_on_a_weekend_or_holiday(start, amount, calendar):
    due = add_working_days(start, amount, calendar)
    assert calendar.is_working_day(due)
    assert due > start
    assert working_days_between(start, due, calendar) == amount


@settings(deadline=None, max_examples=200)
@given(start=days, fewer=amounts, more=amounts, calendar=calendars())
def test_more_working_days_never_give_an_earlier_date(start, fewer, more, calendar):
    fewer, more = sorted((fewer, more))
    assert add_working_days(start, fewer, calendar) <= add_working_days(start, more, calendar)


@settings(deadline=None, max_examples=100)
@given(day=days, calendar=calendars())
def test_the_nearest_working_days_are_working_days_on_the_right_side(day, calendar):
    before, after = previous_working_day(day, calendar), next_working_day(day, calendar)
    assert calendar.is_working_day(before) and calendar.is_working_day(after)
    assert before <= day <= after
    assert (before == day) == calendar.is_working_day(day) == (after == day)


def test_zero_working_days_is_the_start_and_negative_ones_are_refused():
    assert add_working_days(date(2026, 3, 7), 0, KZ) == date(2026, 3, 7)
    with pytest.raises(ValueError):
        add_working_days(date(2026, 3, 7), -1, KZ)


@pytest.mark.parametrize(("start", "expected", "why"), [
    (date(2025, 12, 31), date(2026, 1, 5), "New Year: 1 and 2 January, then the weekend"),
    (date(2026, 1, 6), date(2026, 1, 8), "Orthodox Christmas on 7 January"),
    (date(2026, 3, 6), date(2026, 3, 10), "8 March on a Sunday: the day off moves to Monday 9 March"),
    (date(2026, 3, 20), date(2026, 3, 26), "Nauryz 21-23 March, with the days off of the weekend moved to 24-25"),
    (date(2026, 4, 30), date(2026, 5, 4), "1 May, Unity Day, on a Friday"),
    (date(2026, 5, 6), date(2026, 5, 8), "7 May, Defender of the Fatherland Day"),
    (date(2026, 5, 8), date(2026, 5, 12), "Victory Day on a Saturday: the day off moves to Monday 11 May"),
    (date(2025, 6, 5), date(2025, 6, 9), "Kurban Ait, 6 June 2025"),
    (date(2025, 10, 24), date(2025, 10, 28), "Republic Day on a Saturday: the day off moves to Monday 27 October"),
    (date(2025, 12, 15), date(2025, 12, 17), "Independence Day, 16 December"),
    (date(2024, 12, 31), date(2025, 1, 5), "3 January 2025 off, Sunday 5 January worked instead (decree)"),
])
def test_kazakhstan_holidays_are_skipped(start, expected, why):
    assert add_working_days(start, 1, KZ) == expected, why


def test_the_days_not_worked_are_named():
    days_off = {off.day: off for off in KZ.days_off_between(date(2026, 3, 20), date(2026, 3, 26))}
    assert days_off[date(2026, 3, 23)].reason == "holiday"
    assert days_off[date(2026, 3, 23)].name == "Nowruz Holiday"
    assert days_off[date(2026, 3, 24)].name == "Nowruz Holiday (observed)"
    assert date(2026, 3, 26) not in days_off
    assert KZ.worked_weekend_days_between(date(2025, 1, 1), date(2025, 1, 10)) == [date(2025, 1, 5)]


def test_days_an_administrator_adds_win_over_the_package():
    decreed = build_calendar("KZ", added_days={date(2026, 4, 1): (False, "Постановление №1"),
                                               date(2026, 4, 4): (True, "Постановление №1")})
    assert add_working_days(date(2026, 3, 31), 1, KZ) == date(2026, 4, 1)
    assert add_working_days(date(2026, 3, 31), 1, decreed) == date(2026, 4, 2)
    assert add_working_days(date(2026, 4, 3), 1, decreed) == date(2026, 4, 4)  # a working Saturday
    assert decreed.day_off(date(2026, 4, 1)).name == "Постановление №1"
    # A holiday made a working day by decree is worked.
    worked_holiday = build_calendar("KZ", added_days={date(2026, 5, 7): (True, "перенос")})
    assert worked_holiday.is_working_day(date(2026, 5, 7))


def test_partner_calendars_use_their_own_holidays_and_weekend():
    germany = build_calendar("DE", parse_iso_weekdays("6,7"))
    assert not germany.is_working_day(date(2026, 10, 3))  # German Unity Day
    assert germany.is_working_day(date(2026, 3, 9))  # not a holiday in Germany
    gulf = build_calendar("AE", parse_iso_weekdays("6,7"))
    assert not gulf.is_working_day(date(2026, 3, 7))
    provider = Calendar()  # no country: weekends only
    assert add_working_days(date(2026, 3, 6), 1, provider) == date(2026, 3, 9)
    assert build_calendar("XX").holidays == {}


def test_iso_weekdays_are_read_leniently():
    assert parse_iso_weekdays("6,7") == frozenset({5, 6})
    assert parse_iso_weekdays("5, 6") == frozenset({4, 5})
    assert parse_iso_weekdays("") is None
    assert parse_iso_weekdays("x,9") is None


def test_a_long_stretch_counts_working_days_consistently():
    start = date(2026, 1, 1)
    for amount in range(1, 300, 17):
        due = add_working_days(start, amount, KZ)
        assert working_days_between(start, due, KZ) == amount
        assert working_days_between(start, due - timedelta(days=1), KZ) == amount - 1
