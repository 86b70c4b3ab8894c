"""Working-day clocks: weekends from FOLLOWUP_WEEKEND, holidays from the Holiday table."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


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


class WorkCalendar:
    """Counts working days. Days are UTC calendar days; a deadline is the midnight that ends its day."""

    def __init__(self, weekend: Iterable[int], holidays: Iterable[date] = ()):
        self.weekend = frozenset(weekend)
        self.holidays = frozenset(holidays)
        self._cache: dict[tuple[date, int], date] = {}

    def is_working_day(self, day: date) -> bool:
        return day.weekday() not in self.weekend and day not in self.holidays

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
        """The moment a day is over: midnight UTC at the start of the next day."""
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)

    def due_at(self, start: datetime, count: int) -> datetime:
        """When `count` working days after `start` have passed: the end of the count-th working day."""
        return self.end_of(self.add_working_days(start.astimezone(UTC).date(), count))

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Whole working days after start's day, up to and including end's day."""
        first, last = start.astimezone(UTC).date(), end.astimezone(UTC).date()
        count, current = 0, first
        while current < last:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count
