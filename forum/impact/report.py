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
"""

from __future__ import annotations

import bisect
import csv
import io
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

import sqlalchemy as sa
from flask import current_app

from forum.domain_errors import ValidationError
from forum.extensions import db
from forum.followup.calendar import WorkCalendar, parse_weekend, parse_zone, start_of_day
from forum.followup.report import percentile
from forum.followup.rules import OfficeTree, responsible_office_column
from forum.followup.sql import local_day
from forum.ideas.serializers import iso
from forum.lifecycle.service import DECIDED
from forum.localtime import DEFAULT_ZONE, zone
from forum.models import (
    IDEA_STATUSES,
    Adoption,
    Category,
    Holiday,
    Idea,
    IdeaStatusChange,
    Office,
    utcnow,
)

INTERVALS = ("post_to_answer", "answer_to_decision", "implemented_to_adoption")
MAX_RANGE_DAYS = 3 * 366


@dataclass(frozen=True)
class Filters:
    """The report's filters, checked: `until` is exclusive (the day after the last day shown)."""

    since: date
    until: date
    office: str | None = None
    category: int | None = None
    timezone: str = DEFAULT_ZONE

    def key(self) -> tuple:
        return (self.since, self.until, self.office, self.category, self.timezone)

    def query(self) -> dict:
        """The filters as query-string values (for links to the CSV and PDF)."""
        out = {"since": self.since.isoformat(), "until": (self.until - timedelta(days=1)).isoformat()}
        if self.office:
            out["office"] = self.office
        if self.category is not None:
            out["category"] = str(self.category)
        return out


def _date(args, name: str, default: date) -> date:
    raw = args.get(name)
    if raw in (None, ""):
        return default
    try:
        return date.fromisoformat(str(raw).strip()[:10])
    except ValueError:
        raise ValidationError(name, f"{name} must be a date like 2026-07-01") from None


def parse_filters(args, today: date | None = None, timezone: str | None = None) -> Filters:
    """`since` and `until` (inclusive local dates; default the last twelve months), `office` (a code),
    `category`. Dates are days in `timezone` (default: the app's FOLLOWUP_TIMEZONE)."""
    timezone = zone(timezone or current_app.config.get("FOLLOWUP_TIMEZONE")).key
    today = today or utcnow().astimezone(zone(timezone)).date()
    until = _date(args, "until", today) + timedelta(days=1)
    since = _date(args, "since", (until - timedelta(days=365)).replace(day=1))
    if since >= until:
        raise ValidationError("since", "since must be on or before until")
    if (until - since).days > MAX_RANGE_DAYS:
        raise ValidationError("since", "the range may span at most three years")
    office = (args.get("office") or "").strip() or None
    if office and db.session.scalar(sa.select(Office.id).where(Office.code == office.replace("\x00", ""))) is None:
        raise ValidationError("office", "office does not exist")
    category = None
    if args.get("category") not in (None, ""):
        from forum.validation import parse_int

        category = parse_int(args.get("category"), "category")
        if db.session.get(Category, category) is None:
            raise ValidationError("category", "category does not exist")
    return Filters(since=since, until=until, office=office, category=category, timezone=timezone)


# Helpers -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalDays:
    """SQL for the local day and month (FOLLOWUP_TIMEZONE) of stored UTC moments, through the follow-up
    clock's own expression (followup.sql.local_day: exact between `first` and `last`)."""

    tz: tzinfo
    first: date
    last: date

    @classmethod
    def for_report(cls, filters: Filters, now: datetime) -> LocalDays:
        """Every moment the report reads falls after the oldest idea was posted and before now (or the
        range's end, if later)."""
        oldest = db.session.scalar(sa.select(sa.func.min(Idea.created_at))) or now
        return cls(parse_zone(filters.timezone), oldest.date(), max(now.date(), filters.until))

    def day(self, column):
        return local_day(column, self.tz, self.first, self.last)

    def month(self, column):
        return sa.func.substr(self.day(column), 1, 7)

    def start(self, day: date) -> datetime:
        """The UTC moment a local day starts."""
        return start_of_day(day, self.tz)


def _subtree(tree: OfficeTree, code: str | None) -> list[int] | None:
    """Ids of the office named by `code` and every office below it (None: no office filter)."""
    if not code:
        return None
    top = db.session.scalar(sa.select(Office.id).where(Office.code == code))
    return [office_id for office_id in db.session.scalars(sa.select(Office.id)) if top in tree.chain(office_id)]


def _idea_filter(filters: Filters, offices: list[int] | None) -> list:
    where = [Idea.deleted_at.is_(None)]
    if offices is not None:
        where.append(Idea.office_id.in_(offices))
    if filters.category is not None:
        where.append(Idea.category_id == filters.category)
    return where


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


def _calendar() -> WorkCalendar:
    holidays = db.session.scalars(sa.select(Holiday.day))
    return WorkCalendar(parse_weekend(current_app.config["FOLLOWUP_WEEKEND"]), holidays)


def _spread(values: list[int]) -> dict:
    values = sorted(values)
    median, p90 = percentile(values, 0.5), percentile(values, 0.9)
    return {
        "count": len(values),
        "median": round(median, 1) if median is not None else None,
        "p90": round(p90, 1) if p90 is not None else None,
    }


# The computation -----------------------------------------------------------------------------------------


def _months(filters: Filters) -> list[str]:
    months, day = [], filters.since.replace(day=1)
    while day < filters.until:
        months.append(f"{day:%Y-%m}")
        day = (day + timedelta(days=32)).replace(day=1)
    return months


def _stages_over_time(filters: Filters, where: list, days: LocalDays) -> list[dict]:
    """Per month of the range, the number of ideas at each stage at the month's end (or the range's)."""
    h = IdeaStatusChange
    until = days.start(filters.until)
    # A status counts from the month it started until the month it was left: +1 then -1, summed in order.
    # Every history row starts its status (a plain GROUP BY); only the ideas that moved have rows that end
    # one, so the window (the status each move left) runs over those few, not over every idea's first row.
    starts = (
        sa.select(h.status, days.month(h.at).label("month"), sa.func.count().label("change"))
        .join(Idea, Idea.id == h.idea_id)
        .where(*where, h.at < until)
        .group_by(h.status, sa.literal_column("month"))
    )
    moved = sa.select(h.idea_id).group_by(h.idea_id).having(sa.func.count() > 1)
    left = sa.func.lag(h.status).over(partition_by=h.idea_id, order_by=(h.at, h.id))
    steps = (
        sa.select(left.label("status"), h.at.label("at"))
        .join(Idea, Idea.id == h.idea_id)
        .where(*where, h.at < until, h.idea_id.in_(moved))
        .subquery()
    )
    month = days.month(steps.c.at)
    stops = (
        sa.select(steps.c.status, month.label("month"), -sa.func.count())
        .where(steps.c.status.is_not(None))
        .group_by(steps.c.status, month)
    )
    rows = [*db.session.connection().execute(starts), *db.session.connection().execute(stops)]
    delta: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for status, month, change in rows:
        delta[month][status] += int(change)
    months = _months(filters)
    running = dict.fromkeys(IDEA_STATUSES, 0)
    for month in sorted(m for m in delta if m < months[0]):
        for status, change in delta[month].items():
            running[status] = running.get(status, 0) + change
    out = []
    for month in months:
        for status, change in delta.get(month, {}).items():
            running[status] = running.get(status, 0) + change
        out.append({"month": month, "stages": {s: running.get(s, 0) for s in IDEA_STATUSES}})
    return out


def _events(filters: Filters, where: list, days: LocalDays) -> list:
    """Per idea with an answer, a decision or a first adoption in the range: its offices and event days."""
    h = IdeaStatusChange
    decided = (
        sa.select(h.idea_id, sa.func.min(h.at).label("at"))
        .where(h.status.in_(DECIDED), sa.or_(h.reason.is_(None), h.reason != "withdrawn"))
        .group_by(h.idea_id)
        .subquery()
    )
    implemented = (
        sa.select(h.idea_id, sa.func.min(h.at).label("at"))
        .where(h.status == "implemented")
        .group_by(h.idea_id)
        .subquery()
    )
    adopted = (
        sa.select(Adoption.idea_id, sa.func.min(Adoption.created_at).label("at"))
        .join(Idea, Idea.id == Adoption.idea_id)
        .where(Adoption.office_id != Idea.office_id)
        .group_by(Adoption.idea_id)
        .subquery()
    )
    low, high = days.start(filters.since), days.start(filters.until)

    def inside(column):
        return sa.and_(column >= low, column < high)

    # Straight through the connection: ORM row loading cost more than the query for 30,000 rows.
    return (
        db.session.connection()
        .execute(
            sa.select(
                responsible_office_column().label("responsible"),
                days.day(Idea.created_at).label("posted"),
                sa.case((inside(Idea.first_response_at), days.day(Idea.first_response_at))).label("answered"),
                days.day(Idea.first_response_at).label("first_answer"),
                sa.case((inside(decided.c.at), days.day(decided.c.at))).label("decided"),
                days.day(implemented.c.at).label("implemented"),
                sa.case((inside(adopted.c.at), days.day(adopted.c.at))).label("adopted"),
            )
            .join(Category, Category.id == Idea.category_id)
            .join(Office, Office.id == Idea.office_id)
            .outerjoin(decided, decided.c.idea_id == Idea.id)
            .outerjoin(implemented, implemented.c.idea_id == Idea.id)
            .outerjoin(adopted, adopted.c.idea_id == Idea.id)
            .where(*where, sa.or_(inside(Idea.first_response_at), inside(decided.c.at), inside(adopted.c.at)))
        )
        .all()
    )


def _most_adopted(where: list, limit: int = 10) -> list[dict]:
    live = (
        sa.select(Adoption.idea_id, sa.func.count(sa.distinct(Adoption.office_id)).label("offices"))
        .where(Adoption.status != "dropped")
        .group_by(Adoption.idea_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Idea.id, Idea.reference, Idea.title, Idea.status, Office.name, live.c.offices)
        .join(live, live.c.idea_id == Idea.id)
        .join(Office, Office.id == Idea.office_id)
        .where(*where)
        .order_by(live.c.offices.desc(), Idea.id)
        .limit(limit)
    ).all()
    return [
        {"id": r[0], "reference": r[1], "title": r[2], "status": r[3], "office": r[4], "adopted_by": r[5]} for r in rows
    ]


def _totals(filters: Filters, where: list, days: LocalDays) -> dict:
    low, high = days.start(filters.since), days.start(filters.until)
    posted = db.session.scalar(
        sa.select(sa.func.count(Idea.id)).where(*where, Idea.created_at >= low, Idea.created_at < high)
    )
    adoptions = db.session.scalar(
        sa.select(sa.func.count(Adoption.id))
        .join(Idea, Idea.id == Adoption.idea_id)
        .where(*where, Adoption.created_at >= low, Adoption.created_at < high)
    )
    return {"posted": posted or 0, "adoptions": adoptions or 0}


def compute_report(filters: Filters, now: datetime | None = None) -> dict:
    """Every figure of the impact report for `filters` (see the module docstring)."""
    now = now or utcnow()
    tree = OfficeTree.load()
    where = _idea_filter(filters, _subtree(tree, filters.office))
    days = WorkingDays(_calendar())
    local = LocalDays.for_report(filters, now)
    waits: dict[str, list[int]] = {name: [] for name in INTERVALS}
    per_office: dict[int, dict[str, list[int]]] = defaultdict(lambda: {"answer": [], "decision": []})
    answered = decided = first_adoptions = 0
    for row in _events(filters, where, local):
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
    stages = _stages_over_time(filters, where, local)
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
            **_totals(filters, where, local),
            "answered": answered,
            "decided": decided,
            "first_adoptions": first_adoptions,
        },
        "working_days": {name: _spread(values) for name, values in waits.items()},
        "offices": sorted(office_rows, key=lambda r: r["name"]),
        "fastest_offices": ranked[:10],
        "slowest_offices": ranked[::-1][:10],
        "most_adopted": _most_adopted(where),
    }


# The cache -----------------------------------------------------------------------------------------------

_CACHE_KEY = "impact_report_cache"
CACHE_ENTRIES = 32


def cached_report(filters: Filters) -> dict:
    """The report for these filters, recomputed at most once a minute per process (a bounded cache).

    Staff change filters often; each combination keeps its own entry. "cached" says which it was.
    """
    app = current_app._get_current_object()
    ttl = float(app.config.get("IMPACT_REPORT_CACHE_SECONDS", 60) or 0)
    if ttl <= 0:
        return {**compute_report(filters), "cached": False}
    store = app.extensions.setdefault(_CACHE_KEY, {"lock": threading.Lock(), "entries": {}})
    with store["lock"]:  # one computation at a time: concurrent first views wait instead of all computing
        entries = store["entries"]
        hit = entries.get(filters.key())
        if hit is not None and time.monotonic() - hit[0] < ttl:
            return {**hit[1], "cached": True}
        report = compute_report(filters)
        entries[filters.key()] = (time.monotonic(), report)
        if len(entries) > CACHE_ENTRIES:
            oldest = min(entries, key=lambda k: entries[k][0])
            entries.pop(oldest)
    return {**report, "cached": False}


def invalidate_cache() -> None:
    store = current_app.extensions.get(_CACHE_KEY)
    if store is not None:
        store["entries"].clear()


# CSV -----------------------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Spreadsheets run a cell starting with = + - @ (or tab, CR) as a formula: user text gets a quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def report_csv(report: dict) -> bytes:
    """The report as one CSV (UTF-8 with a BOM, so that spreadsheets read Bangla right), section by section."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")

    def row(*values: object) -> None:
        writer.writerow([safe_cell(v) for v in values])

    f = report["filters"]
    row("PSI Forum impact report", f["since"], f["until"], f["office"] or "all offices", f["category"] or "all")
    row()
    row("stages over time", "month", *IDEA_STATUSES)
    for point in report["stages_over_time"]:
        row("", point["month"], *(point["stages"][s] for s in IDEA_STATUSES))
    row()
    row("working days", "interval", "count", "median", "p90")
    for name in INTERVALS:
        spread = report["working_days"][name]
        row("", name, spread["count"], spread["median"], spread["p90"])
    row()
    row("offices", "office", "name", "answered", "answer_median", "answer_p90", "decided", "decision_median")
    for r in report["offices"]:
        row(
            "",
            r["office"],
            r["name"],
            r["answered"],
            r["answer_median"],
            r["answer_p90"],
            r["decided"],
            r["decision_median"],
        )
    row()
    row("most adopted", "reference", "title", "office", "status", "adopted_by")
    for r in report["most_adopted"]:
        row("", r["reference"], r["title"], r["office"], r["status"], r["adopted_by"])
    return out.getvalue().encode("utf-8-sig")


# Charts (server-drawn SVG geometry; the CSP allows no script) ---------------------------------------------

STAGE_COLOURS = {
    "open": "#9aa5b1",
    "under_review": "#f0b429",
    "piloting": "#3e8ed0",
    "implemented": "#006a4e",
    "replicated": "#7b3fa0",
    "closed": "#d64545",
}


def stage_chart(points: list[dict], width: int = 640, height: int = 200) -> dict:
    """Stacked columns, one per month, of the ideas at each stage."""
    top = max((sum(p["stages"].values()) for p in points), default=0) or 1
    slot = width / max(1, len(points))
    columns = []
    for i, point in enumerate(points):
        y, parts = float(height), []
        for status in IDEA_STATUSES:
            h = round(height * point["stages"][status] / top, 1)
            if h:
                y -= h
                parts.append({"status": status, "y": round(y, 1), "h": h, "count": point["stages"][status]})
        columns.append(
            {"x": round(i * slot + 2, 1), "w": round(max(1.0, slot - 4), 1), "label": point["month"], "parts": parts}
        )
    return {"columns": columns, "width": width, "height": height, "top": top, "colours": STAGE_COLOURS}


def interval_chart(working_days: dict, width: int = 420, bar: int = 16) -> dict:
    """Median and p90 bars for each interval."""
    top = max((v["p90"] or 0 for v in working_days.values()), default=0) or 1
    lines = []
    for i, name in enumerate(INTERVALS):
        spread = working_days[name]
        lines.append(
            {
                "name": name,
                "y": i * (2 * bar + 14),
                "median": spread["median"],
                "p90": spread["p90"],
                "wm": round(width * (spread["median"] or 0) / top, 1),
                "wp": round(width * (spread["p90"] or 0) / top, 1),
            }
        )
    return {"lines": lines, "bar": bar, "width": width, "height": len(INTERVALS) * (2 * bar + 14)}
