"""Working-day clocks: weekends from FOLLOWUP_WEEKEND, holidays from the Holiday table, days in FOLLOWUP_TIMEZONE.

A working day is a local calendar day of the follow-up zone (default Asia/Dhaka), not a UTC day: a post
made at 23:30 on a Dhaka Thursday belongs to that Thursday, and a deadline is the local midnight that ends
its day. Conversions go through zoneinfo, so zones with daylight saving time get 23- and 25-hour days.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_ZONE = "Asia/Dhaka"


def parse_weekend(value: str) -> frozenset[int]:
    """'fri,sat' -> {4, 5} (Monday is 0); full names and any case are accepted."""
    days = set()
    for raw in (value or "").split(","):
        name = raw.strip().lower()[:3]
        if not name:
            continue
        if name not in WEEKDAY_NAMES:
            raise ValueError(f"FOLLOWUP_WEEKEND: unknown day {raw.strip()!r}")
        days.add(WEEKDAY_NAMES.index(name))
    if len(days) == 7:
        raise ValueError("FOLLOWUP_WEEKEND: at least one day of the week must be a working day")
    return frozenset(days)


def parse_zone(name: str | None) -> ZoneInfo:
    """FOLLOWUP_TIMEZONE as a zone; an unknown name is a configuration error, not a silent UTC."""
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (KeyError, ValueError) as error:  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"FOLLOWUP_TIMEZONE: unknown time zone {name!r}") from error


def local_date(moment: datetime, tz: tzinfo) -> date:
    """The calendar day `moment` falls on in zone `tz`."""
    return moment.astimezone(tz).date()


def start_of_day(day: date, tz: tzinfo) -> datetime:
    """The UTC moment local day `day` begins (its local midnight; the first instant after a DST gap)."""
    # fold=0 on a midnight skipped by a DST change takes the offset in force before it, which is exactly
    # the moment the day begins.
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


@lru_cache(maxsize=64)
def offset_periods(tz: tzinfo, first: date, last: date) -> tuple[tuple[datetime | None, int], ...]:
    """The zone's UTC offset (seconds) over [first, last], as (until UTC moment or None, offset) periods.

    For SQL that must turn a stored UTC time into a local day on SQLite and PostgreSQL alike
    (sql.local_day): between two transitions the offset is fixed, so the local day is the UTC time plus
    that offset. Transitions are found day by day, then to the second by bisection.
    """

    def offset(moment: datetime) -> int:
        return int(moment.astimezone(tz).utcoffset().total_seconds())

    periods: list[tuple[datetime | None, int]] = []
    moment = datetime.combine(first - timedelta(days=1), time(0), tzinfo=UTC)
    end = datetime.combine(last + timedelta(days=2), time(0), tzinfo=UTC)
    current = offset(moment)
    while moment < end:
        step = moment + timedelta(days=1)
        if offset(step) != current:
            low, high = moment, step  # offset(low) == current != offset(high)
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                low, high = (middle, high) if offset(middle) == current else (low, middle)
            periods.append((high.replace(microsecond=0), current))
            current = offset(high)
        moment = step
    periods.append((None, current))
    return tuple(periods)


class WorkCalendar:
    """Counts working days. Days are local calendar days in `tz`; a deadline is the local midnight
    that ends its day (returned as a UTC moment)."""

    def __init__(self, weekend: Iterable[int], holidays: Iterable[date] = (), tz: tzinfo = UTC):
        self.weekend = frozenset(weekend)
        self.holidays = frozenset(holidays)
        self.tz = tz
        self._cache: dict[tuple[date, int], date] = {}

    def is_working_day(self, day: date) -> bool:
        return day.weekday() not in self.weekend and day not in self.holidays

    def local_date(self, moment: datetime) -> date:
        """The local day of a moment (holidays and weekends are local dates)."""
        return local_date(moment, self.tz)

    def add_working_days(self, day: date, count: int) -> date:
        """The `count`-th working day after `day` (`day` itself never counts); `day` for 0."""
        key = (day, count)
        if key not in self._cache:
            current, left = day, count
            while left > 0:
                current += timedelta(days=1)
                if self.is_working_day(current):
                    left -= 1
            self._cache[key] = current
        return self._cache[key]

    def end_of(self, day: date) -> datetime:
        """The moment a local day is over: the local midnight starting the next day, in UTC."""
        return start_of_day(day + timedelta(days=1), self.tz)

    def due_on_day(self, day: date, count: int) -> datetime:
        """The end of the count-th working day after local day `day`."""
        return self.end_of(self.add_working_days(day, count))

    def due_at(self, start: datetime, count: int) -> datetime:
        """When `count` working days after `start` have passed: the end of the count-th working day."""
        return self.due_on_day(self.local_date(start), count)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Whole working days after start's local day, up to and including end's local day."""
        first, last = self.local_date(start), self.local_date(end)
        count, current = 0, first
        while current < last:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count
