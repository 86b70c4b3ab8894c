"""How late each flag is, in working days, and the flag list as CSV (the dashboard's table and its export)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime, timedelta

from forum.followup.calendar import WorkCalendar
from forum.followup.rules import Rules
from forum.impact.exports import safe_cell
from forum.models import Flag

_JUST_BEFORE = timedelta(microseconds=1)


def due_at(flag: Flag, rules: Rules, calendar: WorkCalendar) -> datetime:
    """When the answer the flag waits for was due.

    An unanswered idea was due FOLLOWUP_RESPONSE_DAYS working days after it was posted; any other kind of
    flag (a stalled decision) is raised by the scan when its own deadline passes, so it was due when raised.
    """
    if flag.kind == "unanswered":
        return calendar.due_at(flag.idea.created_at, rules.response_days)
    return flag.created_at


def working_days_overdue(flags: Iterable[Flag], rules: Rules, calendar: WorkCalendar, now: datetime) -> dict[int, int]:
    """{flag id: working days past due}, up to now for an open flag and up to its resolution otherwise."""
    late = {}
    for flag in flags:
        due = due_at(flag, rules, calendar)
        end = flag.resolved_at if flag.status != "open" and flag.resolved_at else now
        # From the deadline's own day: a deadline is the midnight that ends its day.
        late[flag.id] = calendar.working_days_between(due - _JUST_BEFORE, end) if end >= due else 0
    return late


CSV_COLUMNS = (
    "reference", "title", "category", "posted", "kind", "level", "waiting_on", "status",
    "working_days_overdue", "flagged_at", "resolved_at", "resolution_note",
)  # fmt: skip


def flags_csv(flags: list[Flag], overdue: dict[int, int], status_label) -> str:
    """The listed flags as CSV with a BOM (spreadsheets then read Bangla right); user text is formula-safe."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for flag in flags:
        idea = flag.idea
        row = [
            idea.reference, idea.title, idea.category.name, idea.created_at.date().isoformat(), flag.kind, flag.level,
            flag.assigned_office.name, status_label(flag.status), overdue.get(flag.id, 0),
            flag.created_at.isoformat(), flag.resolved_at.isoformat() if flag.resolved_at else "",
            flag.resolution_note or "",
        ]  # fmt: skip
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()
