"""Working days and the moments deadlines fall on: pure date arithmetic, no database, no clock.

A `Calendar` knows which days are worked: the weekend and public holidays of a country (from the `holidays`
package, which also knows the days Kazakhstan moves by decree), plus the days an administrator adds.
Deadlines counted in days end at the end of their last day in coop's zone (Asia/Almaty).
"""

import threading
from collections.abc import Container, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

KAZAKHSTAN = "KZ"
# Python weekday numbers (Monday is 0).
SATURDAY_SUNDAY = frozenset({5, 6})
END_OF_DAY = time(23, 59, 59)


class PackageHolidays:
    """The `holidays` package's calendar of one country, shared by every thread: it loads years as they are
    asked for, so each lookup holds a lock."""

    def __init__(self, known: holidays.HolidayBase):
        self._known = known
        self._lock = threading.Lock()
        self.weekend = frozenset(known.weekend)

    def get(self, day: date, default: str | None = None) -> str | None:
        with self._lock:
            return self._known.get(day, default)

    def is_worked_weekend_day(self, day: date) -> bool:
        """A weekend day worked by decree (the package knows Kazakhstan's moved days)."""
        with self._lock:
            self._known.get(day)  # loads the year
            return day in self._known.weekend_workdays

    def days_of_year(self, year: int) -> list[tuple[date, str, bool]]:
        """The year's holidays (day, name, False) and worked weekend days (day, "", True), in order."""
        with self._lock:
            self._known.get(date(year, 1, 1))
            days = [(day, name, False) for day, name in self._known.items() if day.year == year]
            days += [(day, "", True) for day in self._known.weekend_workdays if day.year == year]
        return sorted(days)


@dataclass(frozen=True)
class DayOff:
    """Why a day is not worked: a holiday's name, "weekend", or an administrator's note."""

    day: date
    reason: str  # "weekend", "holiday", "added"
    name: str = ""


@dataclass
class Calendar:
    """The working days of one country: weekend, public holidays, and days an administrator moved."""

    name: str = ""
    weekend: frozenset[int] = SATURDAY_SUNDAY
    # Public holidays: anything with `get(day)`, a dict or the package's (PackageHolidays).
    holidays: Mapping[date, str] | PackageHolidays = field(default_factory=dict)
    # Weekend days worked by decree (the package's `weekend_workdays`).
    weekend_workdays: Container[date] = frozenset()
    # Added by an administrator: they win over the package.
    added_days_off: Mapping[date, str] = field(default_factory=dict)
    added_working_days: Mapping[date, str] = field(default_factory=dict)

    def is_working_day(self, day: date) -> bool:
        return self.day_off(day) is None

    def day_off(self, day: date) -> DayOff | None:
        """Why `day` is not worked, or None when it is a working day."""
        if day in self.added_working_days:
            return None
        if day in self.added_days_off:
            return DayOff(day, "added", self.added_days_off[day])
        holiday = self.holidays.get(day)
        if day in self.weekend_workdays:
            return None
        if holiday:
            return DayOff(day, "holiday", holiday)
        if day.weekday() in self.weekend:
            return DayOff(day, "weekend")
        return None

    def days_off_between(self, start: date, end: date) -> list[DayOff]:
        """The days not worked after `start`, up to and including `end`."""
        return [off for day in _days_after(start, end) if (off := self.day_off(day)) is not None]

    def worked_weekend_days_between(self, start: date, end: date) -> list[date]:
        """Weekend days after `start`, up to `end`, that are worked (moved by decree or by an administrator)."""
        return [day for day in _days_after(start, end) if day.weekday() in self.weekend and self.is_working_day(day)]


def _days_after(start: date, end: date) -> Iterator[date]:
    day = start + timedelta(days=1)
    while day <= end:
        yield day
        day += timedelta(days=1)


@cache
def package_holidays(country: str) -> PackageHolidays | None:
    """The public holidays the `holidays` package knows for `country` (None when it knows none)."""
    try:
        return PackageHolidays(holidays.country_holidays(country))
    except NotImplementedError:
        return None


def build_calendar(country: str | None, weekend: frozenset[int] | None = None,
                   added_days: Mapping[date, tuple[bool, str]] | None = None) -> Calendar:
    """A calendar of `country`'s holidays and weekend, with the administrator's days (day -> (working, note))."""
    known = package_holidays(country.upper()) if country else None
    if weekend is None:
        weekend = frozenset(known.weekend) if known is not None else SATURDAY_SUNDAY
    added_days = added_days or {}
    return Calendar(
        name=(country or "").upper(),
        weekend=frozenset(weekend),
        holidays=known if known is not None else {},
        weekend_workdays=_WeekendWorkdays(known) if known is not None else frozenset(),
        added_days_off={day: note for day, (working, note) in added_days.items() if not working},
        added_working_days={day: note for day, (working, note) in added_days.items() if working},
    )


class _WeekendWorkdays:
    """The package's worked weekend days, as a container."""

    def __init__(self, known: PackageHolidays):
        self.known = known

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.known.is_worked_weekend_day(day)


def parse_iso_weekdays(text: str | None) -> frozenset[int] | None:
    """Python weekday numbers from ISO weekdays stored as "6,7" (None when nothing usable is stored)."""
    if not text:
        return None
    numbers = {int(part) - 1 for part in text.replace(" ", "").split(",") if part.isdigit() and 1 <= int(part) <= 7}
    return frozenset(numbers) or None


# --- counting --------------------------------------------------------------------------------------------------

def add_working_days(start: date, days: int, calendar: Calendar) -> date:
    """The date `days` working days after `start` in `calendar` (start itself not counted)."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    remaining = days
    while remaining:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: date, end: date, calendar: Calendar) -> int:
    """How many working days come after `start`, up to and including `end` (0 when `end` is not later)."""
    return sum(1 for day in _days_after(start, end) if calendar.is_working_day(day))


def previous_working_day(day: date, calendar: Calendar) -> date:
    """`day` if it is worked, else the last working day before it."""
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return day


def next_working_day(day: date, calendar: Calendar) -> date:
    """`day` if it is worked, else the first working day after it."""
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


# --- moments ---------------------------------------------------------------------------------------------------

def local_date(moment: datetime, zone: ZoneInfo) -> date:
    """The date it is in `zone` at `moment`."""
    return moment.astimezone(zone).date()


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The last second of `day` in `zone`, in UTC: when a deadline counted in days falls due."""
    return datetime.combine(day, END_OF_DAY, tzinfo=zone).astimezone(UTC)


def at_local_time(day: date, hour: int, zone: ZoneInfo) -> datetime:
    """`hour` o'clock on `day` in `zone`, in UTC."""
    return datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)


def in_zone(moment: datetime, zone_name: str | None) -> datetime | None:
    """`moment` on the wall clock of the IANA zone `zone_name` (None if the zone is unknown or not given)."""
    if not zone_name:
        return None
    try:
        return moment.astimezone(ZoneInfo(zone_name))
    except (KeyError, ValueError):
        return None
