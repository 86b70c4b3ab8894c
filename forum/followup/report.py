"""Response-time report per office and per category: one computation for the page, the CSV and the API.

An idea counts for the office responsible for it at level 0 (see rules.responsible_office_id),
so an office's row says how it handled the ideas that were its to answer; "open flags by level"
counts the open flags on those ideas at each level (a level-2 flag means it escalated twice past
that office). "Waiting for a decision" counts the open "stalled" flags (answered, not decided in
time) the same way, beside them. Ideas by senior users and deleted ideas are left out, as the scan leaves them out.
Times to first senior response are calendar days, over the answered ideas only.
"""

from __future__ import annotations

import csv
import io
import math
import threading
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from forum.extensions import db
from forum.followup.rules import OfficeTree
from forum.ideas.serializers import iso
from forum.models import Category, Flag, Idea, Office, User, utcnow

DAY = 86_400.0


def percentile(values: list[float], p: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default) over sorted values."""
    if not values:
        return None
    k = (len(values) - 1) * p
    low = math.floor(k)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (k - low)


@dataclass
class _Group:
    ideas: int = 0
    answered: int = 0
    waits: list[float] = field(default_factory=list)
    open_flags: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    stalled: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, wait_days: float | None, flag_level: int | None, stalled_level: int | None = None) -> None:
        self.ideas += 1
        if wait_days is not None:
            self.answered += 1
            self.waits.append(max(0.0, float(wait_days)))
        if flag_level is not None:
            self.open_flags[flag_level] += 1
        if stalled_level is not None:
            self.stalled[stalled_level] += 1

    def row(self, key: str, name: str, levels: list[int]) -> dict:
        waits = sorted(self.waits)
        median, p90 = percentile(waits, 0.5), percentile(waits, 0.9)
        return {
            "key": key,
            "name": name,
            "ideas": self.ideas,
            "answered": self.answered,
            "share_answered": round(self.answered / self.ideas, 4) if self.ideas else None,
            "median_days": round(median, 2) if median is not None else None,
            "p90_days": round(p90, 2) if p90 is not None else None,
            "open_flags": {str(level): self.open_flags.get(level, 0) for level in levels},
            "open_flags_total": sum(self.open_flags.values()),
            "stalled_flags": {str(level): self.stalled.get(level, 0) for level in levels},
            "stalled_flags_total": sum(self.stalled.values()),
        }


def _wait_days():
    """Days from posting to the first senior response, computed by the database (no datetime parsing
    of 100,000 rows in Python); NULL while unanswered."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.extract("epoch", Idea.first_response_at - Idea.created_at) / DAY
    return sa.func.julianday(Idea.first_response_at) - sa.func.julianday(Idea.created_at)


def _open_flag(flag, kind: str) -> sa.ColumnElement[bool]:
    return sa.and_(flag.idea_id == Idea.id, flag.kind == kind, flag.status == "open")


def compute_report(now: datetime) -> dict:
    """Ideas, share answered, median and p90 days to first senior response, open flags by level."""
    tree = OfficeTree.load()
    # One outer join per kind, each to its open flag only (at most one per idea and kind): no row doubles.
    unanswered, stalled = so.aliased(Flag), so.aliased(Flag)
    rows = db.session.execute(
        sa.select(
            Idea.office_id,
            Idea.category_id,
            Category.office_id.label("category_office_id"),
            _wait_days().label("wait_days"),
            unanswered.level.label("flag_level"),
            stalled.level.label("stalled_level"),
        )
        .join(User, User.id == Idea.author_id)
        .join(Category, Category.id == Idea.category_id)
        .outerjoin(unanswered, _open_flag(unanswered, "unanswered"))
        .outerjoin(stalled, _open_flag(stalled, "stalled"))
        .where(Idea.deleted_at.is_(None), User.role != "senior")
    )
    by_office: dict[int, _Group] = defaultdict(_Group)
    by_category: dict[int, _Group] = defaultdict(_Group)
    total = _Group()
    for r in rows:
        office_id = tree.responsible(r.category_office_id, r.office_id)
        for group in (by_office[office_id], by_category[r.category_id], total):
            group.add(r.wait_days, r.flag_level, r.stalled_level)
    levels = list(range(max([*total.open_flags, *total.stalled], default=0) + 1))
    offices = {o.id: o for o in db.session.scalars(sa.select(Office).where(Office.id.in_(list(by_office) or [0])))}
    categories = {c.id: c for c in db.session.scalars(sa.select(Category))}
    office_rows = [by_office[i].row(offices[i].code, offices[i].name, levels) for i in by_office]
    category_rows = [by_category[i].row(str(i), categories[i].name, levels) for i in by_category]
    return {
        "generated_at": iso(now),
        "computed_at": iso(now),
        "levels": levels,
        "offices": sorted(office_rows, key=lambda r: r["name"]),
        "categories": sorted(category_rows, key=lambda r: r["name"]),
        "totals": total.row("", "All", levels),
    }


_CACHE_KEY = "followup_report_cache"


def cached_report(ttl: float, now: datetime | None = None) -> dict:
    """The report, recomputed at most every `ttl` seconds (FOLLOWUP_REPORT_CACHE_SECONDS) in this process.

    It takes ~0.6 s at 100,000 ideas and staff reload the dashboard often; a minute-old report is good
    enough (the flag list beside it is always live). The answer carries "computed_at" and "cached".
    Staff changes and scans in this process drop it at once (invalidate_cache); other processes catch
    up within the TTL. Kept per app in app.extensions, so test apps (and databases) never share one.
    """
    app = current_app._get_current_object()
    if ttl <= 0:
        return {**compute_report(now or utcnow()), "cached": False, "cache_seconds": 0}
    store = app.extensions.setdefault(_CACHE_KEY, {"lock": threading.Lock(), "entry": None})
    # One computation at a time: concurrent dashboard views wait for it instead of all recomputing.
    with store["lock"]:
        entry = store["entry"]
        if entry is not None and time.monotonic() - entry[0] < ttl:
            return {**entry[1], "cached": True, "cache_seconds": ttl}
        report = compute_report(now or utcnow())
        store["entry"] = (time.monotonic(), report)
    return {**report, "cached": False, "cache_seconds": ttl}


def invalidate_cache() -> None:
    """Drop this process's cached report (after a flag change committed here)."""
    store = current_app.extensions.get(_CACHE_KEY)
    if store is not None:
        store["entry"] = None


def cache_seconds(config: Mapping) -> float:
    """The report cache's lifetime from the app config (default 60 s; 0 turns the cache off)."""
    return float(config.get("FOLLOWUP_REPORT_CACHE_SECONDS", 60) or 0)


CSV_COLUMNS = ("group", "key", "name", "ideas", "answered", "share_answered", "median_days", "p90_days")


def report_csv(report: dict) -> str:
    """The report's table as CSV: one line per office and per category, then the total."""
    out = io.StringIO()
    out.write("\ufeff")  # a BOM (utf-8-sig): without it Excel reads UTF-8 as ANSI and garbles Bangla
    writer = csv.writer(out, lineterminator="\r\n")
    level_columns = [f"open_flags_level_{level}" for level in report["levels"]]
    stalled_columns = [f"stalled_flags_level_{level}" for level in report["levels"]]
    writer.writerow([*CSV_COLUMNS, *level_columns, "open_flags_total", *stalled_columns, "stalled_flags_total"])
    lines = [("office", r) for r in report["offices"]] + [("category", r) for r in report["categories"]]
    for group, row in [*lines, ("total", report["totals"])]:
        values = [group] + [row[c] for c in CSV_COLUMNS[1:]]
        values = ["" if v is None else v for v in values]
        flags = [row["open_flags"][str(level)] for level in report["levels"]]
        stalled = [row["stalled_flags"][str(level)] for level in report["levels"]]
        writer.writerow(
            [_safe_cell(v) for v in values] + flags + [row["open_flags_total"]] + stalled + [row["stalled_flags_total"]]
        )
    return out.getvalue()


def _safe_cell(value: object) -> object:
    """Spreadsheets run cells starting with = + - @ (or a tab or CR before them) as formulas; names are user text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def bar_chart(rows: list[dict], value_key: str, limit: int = 15, width: int = 420, bar: int = 18) -> dict:
    """Geometry for a server-drawn horizontal SVG bar chart (no script: the CSP allows none inline)."""
    rows = [r for r in rows if r.get(value_key) is not None][:limit]
    top = max((float(r[value_key]) for r in rows), default=0.0) or 1.0
    bars = [
        {
            "label": r["name"],
            "value": r[value_key],
            "y": i * (bar + 6),
            "w": round(width * float(r[value_key]) / top, 1),
        }
        for i, r in enumerate(rows)
    ]
    return {"bars": bars, "height": max(1, len(bars)) * (bar + 6), "bar": bar, "width": width}


def level_chart(
    rows: list[dict], levels: list[int], limit: int = 15, width: int = 420, bar: int = 18, kind: str = "open_flags"
) -> dict:
    """Stacked bars of open flags by level for the offices with the most open flags; `kind` picks the
    clock: "open_flags" (waiting for a first answer) or "stalled_flags" (waiting for a decision)."""
    total = f"{kind}_total"
    rows = sorted((r for r in rows if r[total]), key=lambda r: -r[total])[:limit]
    top = max((r[total] for r in rows), default=0) or 1
    lines = []
    for i, r in enumerate(rows):
        x, parts = 0.0, []
        for level in levels:
            count = r[kind][str(level)]
            w = round(width * count / top, 1)
            if count:
                parts.append({"level": level, "count": count, "x": x, "w": w})
            x += w
        lines.append({"label": r["name"], "total": r[total], "y": i * (bar + 6), "parts": parts})
    return {"lines": lines, "height": max(1, len(lines)) * (bar + 6), "bar": bar, "width": width}
