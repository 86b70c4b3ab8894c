"""The impact report: from idea to impact, in figures, for programme staff (page, CSV, PDF, API).

What is counted (filters: a date range, an office subtree, a category):

- The ideas: not deleted, posted by an office in the chosen subtree (all offices when none), in the
  chosen category. Deleted ideas and nothing else are left out.
- Stages over time: for each month of the range, how many of those ideas stood at each stage at the
  end of the month (the last month: at the end of the range), from the status history.
- Days are local days in FOLLOWUP_TIMEZONE (the follow-up clocks' days): the range, the months and every
  event's day. The database turns a moment into its local day with the follow-up clock's own expression
  (followup.sql.local_day: a CASE over the zone's offsets), so no per-row work reaches Python.
- Intervals, in working days (weekends and holidays skipped, as the follow-up clocks count them),
  measured for the events that fell inside the range: post -> first senior answer (ideas answered in
  the range), first answer -> decision (ideas decided in the range; a decision is the first move to
  piloting, implemented, replicated or closed other than the author withdrawing), implemented -> first
  adoption by another office (first adoptions in the range). Median and 90th percentile.
- Offices: per responsible office (the follow-up rule), the same medians for answers and decisions.
- Most adopted ideas: by offices with a live (not dropped) adoption.

Set-based: four grouped queries whatever the number of ideas; per-idea rows never reach Python except
the ideas with an event in the range, as (office, category office, day, day) tuples. Cached a minute.

The filters are in filters.py, the SQL in queries.py; the CSV in exports.py, the charts in charts.py.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from forum.extensions import db
from forum.followup.calendar import WorkCalendar, parse_weekend
from forum.followup.report import percentile
from forum.followup.rules import OfficeTree
from forum.ideas.serializers import iso
from forum.impact.filters import Filters
from forum.impact.queries import (
    LocalDays,
    events_in_range,
    idea_filter,
    most_adopted,
    office_subtree,
    stages_over_time,
    totals,
)
from forum.localtime import zone
from forum.models import IDEA_STATUSES, Holiday, Office, utcnow

INTERVALS = ("post_to_answer", "answer_to_decision", "implemented_to_adoption")


class WorkingDays:
    """Working days between two UTC days, counted as WorkCalendar.working_days_between counts them, in O(1)
    per distinct day: whole weeks by arithmetic, holidays by bisection."""

    ANCHOR = date(2000, 1, 1)

    def __init__(self, calendar: WorkCalendar):
        self.weekend = calendar.weekend
        self.holidays = sorted(d for d in calendar.holidays if d.weekday() not in calendar.weekend)
        self._index: dict[str, int] = {}

    def index(self, day: str) -> int:
        """Working days after ANCHOR up to and including `day`."""
        if day not in self._index:
            d = date.fromisoformat(day)
            weeks, rest = divmod((d - self.ANCHOR).days, 7)
            count = weeks * (7 - len(self.weekend))
            start = self.ANCHOR + timedelta(days=weeks * 7)
            count += sum(1 for i in range(1, rest + 1) if (start + timedelta(days=i)).weekday() not in self.weekend)
            count -= bisect.bisect_right(self.holidays, d) - bisect.bisect_right(self.holidays, self.ANCHOR)
            self._index[day] = count
        return self._index[day]

    def between(self, start: str, end: str) -> int:
        return max(0, self.index(end) - self.index(start))


@dataclass(frozen=True)
class ReportSettings:
    """The app settings the impact report reads, taken once at the edge (the page, the API)."""

    timezone: str  # FOLLOWUP_TIMEZONE: the zone whose local days the filters and the months are
    weekend: frozenset[int]  # FOLLOWUP_WEEKEND: the days the working-day intervals skip, with the holidays
    cache_seconds: float = 60  # IMPACT_REPORT_CACHE_SECONDS; 0 turns the cache off

    @classmethod
    def from_config(cls, config: Mapping) -> ReportSettings:
        return cls(
            timezone=zone(config.get("FOLLOWUP_TIMEZONE")).key,
            weekend=parse_weekend(config["FOLLOWUP_WEEKEND"]),
            cache_seconds=float(config.get("IMPACT_REPORT_CACHE_SECONDS", 60) or 0),
        )


def _calendar(weekend: frozenset[int]) -> WorkCalendar:
    return WorkCalendar(weekend, db.session.scalars(sa.select(Holiday.day)))


def _spread(values: list[int]) -> dict:
    values = sorted(values)
    median, p90 = percentile(values, 0.5), percentile(values, 0.9)
    return {
        "count": len(values),
        "median": round(median, 1) if median is not None else None,
        "p90": round(p90, 1) if p90 is not None else None,
    }


def compute_report(filters: Filters, weekend: frozenset[int], now: datetime | None = None) -> dict:
    """Every figure of the impact report for `filters` (see the module docstring); intervals skip the
    `weekend` days (FOLLOWUP_WEEKEND) and the holidays."""
    now = now or utcnow()
    tree = OfficeTree.load()
    where = idea_filter(filters, office_subtree(tree, filters.office))
    days = WorkingDays(_calendar(weekend))
    local = LocalDays.for_report(filters, now)
    waits: dict[str, list[int]] = {name: [] for name in INTERVALS}
    per_office: dict[int, dict[str, list[int]]] = defaultdict(lambda: {"answer": [], "decision": []})
    answered = decided = first_adoptions = 0
    for row in events_in_range(filters, where, local):
        office_id = row.responsible
        if row.answered:
            answered += 1
            wait = days.between(row.posted, row.answered)
            waits["post_to_answer"].append(wait)
            per_office[office_id]["answer"].append(wait)
        if row.decided:
            decided += 1
            if row.first_answer:
                wait = days.between(row.first_answer, row.decided)
                waits["answer_to_decision"].append(wait)
                per_office[office_id]["decision"].append(wait)
        if row.adopted:
            first_adoptions += 1
            if row.implemented:
                waits["implemented_to_adoption"].append(days.between(row.implemented, row.adopted))
    offices = {o.id: o for o in db.session.scalars(sa.select(Office).where(Office.id.in_(list(per_office) or [0])))}
    office_rows = []
    for office_id, lists in per_office.items():
        answer, decision = _spread(lists["answer"]), _spread(lists["decision"])
        office_rows.append(
            {
                "office": offices[office_id].code,
                "name": offices[office_id].name,
                "answered": answer["count"],
                "answer_median": answer["median"],
                "answer_p90": answer["p90"],
                "decided": decision["count"],
                "decision_median": decision["median"],
                "decision_p90": decision["p90"],
            }
        )
    ranked = sorted(
        (r for r in office_rows if r["answer_median"] is not None),
        key=lambda r: (r["answer_median"], r["decision_median"] if r["decision_median"] is not None else 1e9),
    )
    stages = stages_over_time(filters, where, local)
    return {
        "filters": {
            "since": filters.since.isoformat(),
            "until": (filters.until - timedelta(days=1)).isoformat(),
            "office": filters.office,
            "category": filters.category,
            "timezone": filters.timezone,
        },
        "computed_at": iso(now),
        "stages_now": stages[-1]["stages"] if stages else dict.fromkeys(IDEA_STATUSES, 0),
        "stages_over_time": stages,
        "totals": {
            **totals(filters, where, local),
            "answered": answered,
            "decided": decided,
            "first_adoptions": first_adoptions,
        },
        "working_days": {name: _spread(values) for name, values in waits.items()},
        "offices": sorted(office_rows, key=lambda r: r["name"]),
        "fastest_offices": ranked[:10],
        "slowest_offices": ranked[::-1][:10],
        "most_adopted": most_adopted(where),
    }


# The cache -----------------------------------------------------------------------------------------------

_CACHE_KEY = "impact_report_cache"
CACHE_ENTRIES = 32


def cached_report(filters: Filters, settings: ReportSettings) -> dict:
    """The report for these filters, recomputed at most every `settings.cache_seconds` (a minute by
    default) per process (a bounded cache).

    Staff change filters often; each combination keeps its own entry. "cached" says which it was.
    """
    app = current_app._get_current_object()
    ttl = settings.cache_seconds
    if ttl <= 0:
        return {**compute_report(filters, settings.weekend), "cached": False}
    store = app.extensions.setdefault(_CACHE_KEY, {"lock": threading.Lock(), "entries": {}})
    with store["lock"]:  # one computation at a time: concurrent first views wait instead of all computing
        entries = store["entries"]
        hit = entries.get(filters.key())
        if hit is not None and time.monotonic() - hit[0] < ttl:
            return {**hit[1], "cached": True}
        report = compute_report(filters, settings.weekend)
        entries[filters.key()] = (time.monotonic(), report)
        if len(entries) > CACHE_ENTRIES:
            oldest = min(entries, key=lambda k: entries[k][0])
            entries.pop(oldest)
    return {**report, "cached": False}
