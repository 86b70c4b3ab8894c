"""The follow-up scan: flag, escalate and auto-resolve every tracked idea as of a moment, set-based.

Two clocks run through the same statements (SPEC section 7, flag `kind`):
- "unanswered": no senior answer FOLLOWUP_RESPONSE_DAYS working days after the idea was posted;
- "stalled": answered, but still open or under review FOLLOWUP_DECISION_DAYS working days after its
  first answer.
Both are assigned to the responsible office, escalate up the tree every FOLLOWUP_ESCALATE_DAYS working
days, notify its seniors, and resolve themselves when their clock stops.

The rules it applies live in rules.py, the two clocks in clocks.py; this module runs one scan: its
statements are in flag_writes.py and its notices in notices.py.
Every function flushes and never commits; the caller (the CLI or the scheduler) commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from forum.effects import after_commit
from forum.extensions import db
from forum.followup import report
from forum.followup.clocks import DECISION_DAYS_DEFAULT, clocks
from forum.followup.flag_writes import (
    auto_resolve,
    escalate_on_own_clock,
    overdue_ideas,
    record_level_events,
    write_flags,
)
from forum.followup.notices import notify_offices
from forum.followup.rules import OfficeTree, Rules
from forum.followup.sql import dialect, lock_flags
from forum.models import Flag, FlagEvent


@dataclass
class ScanResult:
    """What one scan changed, and its one-line summary for the CLI and the log."""

    now: datetime
    raised: int = 0
    escalated: int = 0
    resolved: int = 0
    notified: int = 0
    open_flags: int = 0

    def summary(self) -> str:
        return (
            f"followup scan as of {self.now.isoformat()}: {self.raised} raised, {self.escalated} escalated, "
            f"{self.resolved} resolved, {self.notified} notifications, {self.open_flags} open flags"
        )


def _lock_scan() -> None:
    """Serialise scans (and staff changes) and set up the scan's query plans."""
    lock_flags()
    if dialect() == "postgresql":
        # The scan inserts into tables it anti-joins (flags, events). A nested loop re-scans the rows the
        # statement itself is adding (invisible, still read): quadratic, 60 s at 64k flags. Hash joins
        # read the snapshot once. SET LOCAL ends with this transaction.
        db.session.execute(sa.text("SET LOCAL enable_nestloop = off"))


def scan(now: datetime, rules: Rules, days_to_decide: int = DECISION_DAYS_DEFAULT) -> ScanResult:
    """Flag, escalate and auto-resolve every tracked idea as of `now`, on both clocks; idempotent for
    the same `now`.

    Set-based: per clock, one grouped SELECT, then per (start day, responsible office) group the level
    due is worked out in Python (working days, holidays, the tree), then one INSERT ... SELECT ... ON
    CONFLICT DO NOTHING raises the new flags and one conditional UPDATE ... FROM escalates the others.
    """
    result = ScanResult(now=now)
    _lock_scan()
    result.resolved = auto_resolve(now)
    tree = OfficeTree.load()
    any_rows = False
    for clock in clocks(rules, days_to_decide):
        query, day, base_office = overdue_ideas(now, clock, rules)
        groups = db.session.execute(
            query.with_only_columns(day.label("day"), base_office.label("base")).group_by(day, base_office)
        ).all()
        schedule = clock.schedule
        rows = []
        for group in groups:
            started = date.fromisoformat(group.day)  # a local day
            chain = tree.chain(group.base)
            level = schedule.level_at(started, len(chain) - 1, now)
            if level is None:
                continue
            rows.append(
                {
                    "day": group.day,
                    "base_office_id": group.base,
                    "level": level,
                    "office_id": chain[level],
                    "level_since": schedule.due_on_day(started, level),
                    "reason": clock.reason(schedule.due_on_day(started, 0), rules.tz),
                }
            )
        raised, escalated = write_flags(now, rows, clock, query, day, base_office) if rows else ([], [])
        # Flags changed by hand left the schedule: they escalate on their own clock (writes its events).
        escalated += escalate_on_own_clock(now, clock, tree, rules)
        any_rows = any_rows or bool(rows)
        result.raised += len(raised)
        result.escalated += len(escalated)
        result.notified += notify_offices(raised, "flag_raised", clock) + notify_offices(
            escalated, "flag_escalated", clock
        )
    if any_rows:
        record_level_events(now)
    result.open_flags = db.session.scalar(sa.select(sa.func.count(Flag.id)).where(Flag.status == "open"))
    _expire_flags()
    after_commit(report.invalidate_cache)
    return result


def _expire_flags() -> None:
    """Core statements bypassed the ORM: make loaded flags re-read their rows."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Flag | FlagEvent):
            db.session.expire(obj)
