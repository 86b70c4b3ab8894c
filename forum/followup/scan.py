"""The follow-up scan: flag, escalate and auto-resolve every tracked idea as of a moment, set-based.

Two clocks run through the same statements (SPEC section 7, flag `kind`):
- "unanswered": no senior answer FOLLOWUP_RESPONSE_DAYS working days after the idea was posted;
- "stalled": answered, but still open or under review FOLLOWUP_DECISION_DAYS working days after its
  first answer.
Both are assigned to the responsible office, escalate up the tree every FOLLOWUP_ESCALATE_DAYS working
days, notify its seniors, and resolve themselves when their clock stops.

The rules it applies live in rules.py; this module only turns them into few, large statements.
Every function flushes and never commits; the caller (the CLI or the scheduler) commits once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.effects import after_commit
from forum.extensions import db
from forum.followup import report
from forum.followup.rules import (
    MANUAL_ACTIONS,
    OfficeTree,
    Rules,
    Schedule,
    changed_by_hand_condition,
    load_calendar,
    responsible_office_column,
    tracked_condition,
)
from forum.followup.sql import dialect, local_day, lock_flags, upsert
from forum.models import Category, Flag, FlagEvent, Idea, Office, User, UTCDateTime
from forum.notifications.service import notify

# The stages the decision clock runs on (lifecycle.service.UNDECIDED; follow-up may not import services).
UNDECIDED = ("open", "under_review")
DECISION_DAYS_DEFAULT = 20

# Above this many flags for one office in one scan, its seniors get one digest instead of one note each.
DIGEST_OVER = 10


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


def decision_days(config: Mapping) -> int:
    """FOLLOWUP_DECISION_DAYS from the app config, read at the edge (CLI, scheduler, bench)."""
    return max(1, int(config.get("FOLLOWUP_DECISION_DAYS") or DECISION_DAYS_DEFAULT))


def decided_condition(now: datetime) -> sa.ColumnElement[bool]:
    """SQL: the ideas the decision clock runs on as of `now` (needs Idea joined to its author): answered
    (by the follow-up rule), still open or under review, not deleted, by a user who is not senior."""
    return sa.and_(
        Idea.status.in_(UNDECIDED),
        Idea.deleted_at.is_(None),
        Idea.first_response_at.is_not(None),
        Idea.first_response_at <= now,
        User.role != "senior",
    )


@dataclass(frozen=True)
class Clock:
    """One kind of flag: which ideas it runs on, from which moment, after how many working days."""

    kind: str
    condition: Callable[[datetime], sa.ColumnElement[bool]]
    start: so.InstrumentedAttribute
    days: int
    schedule: Schedule

    def reason(self, due: datetime, tz: ZoneInfo) -> str:
        """The flag's reason, with its deadline in the follow-up zone's local time."""
        local = f"{due.astimezone(tz):%Y-%m-%d %H:%M} {tz.key}"
        if self.kind == "stalled":
            return f"Answered but not decided within {self.days} working days of the first answer (due {local})."
        return f"No senior response within {self.days} working days (due {local})."


def clocks(rules: Rules, days_to_decide: int) -> list[Clock]:
    """The two clocks over one calendar: the decision clock is the first clock's schedule started at
    the first answer, with FOLLOWUP_DECISION_DAYS in place of FOLLOWUP_RESPONSE_DAYS."""
    calendar = load_calendar(rules)
    decision_rules = replace(rules, response_days=days_to_decide)
    return [
        Clock("unanswered", tracked_condition, Idea.created_at, rules.response_days, Schedule(rules, calendar)),
        Clock("stalled", decided_condition, Idea.first_response_at, days_to_decide, Schedule(decision_rules, calendar)),
    ]


_scan_meta = sa.MetaData()
# Per-transaction scratch table: for each (creation day, responsible office) group of overdue ideas,
# the level due as of `now` and its office. The flags are then written by two set-based statements.
_schedule = sa.Table(
    "followup_scan_schedule",
    _scan_meta,
    sa.Column("day", sa.String(10), primary_key=True),
    sa.Column("base_office_id", sa.Integer, primary_key=True),
    sa.Column("level", sa.Integer, nullable=False),
    sa.Column("office_id", sa.Integer, nullable=False),
    sa.Column("level_since", UTCDateTime, nullable=False),
    sa.Column("reason", sa.String(300), nullable=False),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)


def _lock_scan() -> None:
    """Serialise scans (and staff changes) and set up the scan's query plans."""
    lock_flags()
    if dialect() == "postgresql":
        # The scan inserts into tables it anti-joins (flags, events). A nested loop re-scans the rows the
        # statement itself is adding (invisible, still read): quadratic, 60 s at 64k flags. Hash joins
        # read the snapshot once. SET LOCAL ends with this transaction.
        db.session.execute(sa.text("SET LOCAL enable_nestloop = off"))


def _auto_resolve(now: datetime) -> int:
    """Resolve open flags whose clock stopped: set-based UPDATEs, one per (kind, cause)."""
    flags = Flag.__table__
    answered = sa.select(Idea.id).where(Idea.first_response_at.is_not(None), Idea.first_response_at <= now)
    gone = sa.select(Idea.id).where(sa.or_(Idea.deleted_at.is_not(None), Idea.status != "open"))
    # The lifecycle resolves a stalled flag when it moves the idea (flags.record_status_change); this
    # catches every other way out of open/under review (and deletions).
    decided = sa.select(Idea.id).where(sa.or_(Idea.deleted_at.is_not(None), Idea.status.not_in(UNDECIDED)))
    count = 0
    for kind, action, ideas, note in (
        ("unanswered", "answered", answered, "A senior user answered the idea."),
        ("unanswered", "withdrawn", gone, "The idea was closed, moved out of 'open' or deleted."),
        ("stalled", "decided", decided, "The idea moved on from open / under review, or was deleted."),
    ):
        rows = db.session.execute(
            sa.update(flags)
            .where(flags.c.status == "open", flags.c.kind == kind, flags.c.idea_id.in_(ideas))
            .values(status="resolved", resolved_at=now, resolution_note=note)
            .returning(flags.c.id, flags.c.level, flags.c.assigned_office_id)
        ).all()
        if rows:
            db.session.execute(
                sa.insert(FlagEvent.__table__),
                [
                    {"flag_id": r.id, "action": action, "level": r.level, "office_id": r.assigned_office_id}
                    | {"note": note, "actor_id": None, "created_at": now}
                    for r in rows
                ],
            )
        count += len(rows)
    return count


def _overdue_ideas(now: datetime, clock: Clock, rules: Rules):
    """Ideas that may need a new flag of this clock's kind or an escalation, joined to what decides
    their schedule."""
    base_office = responsible_office_column()
    query = (
        sa.select(Idea.id)
        .join(User, User.id == Idea.author_id)
        .join(Category, Category.id == Idea.category_id)
        .join(Office, Office.id == Idea.office_id)
        .outerjoin(Flag, sa.and_(Flag.idea_id == Idea.id, Flag.kind == clock.kind))
        # Nothing is due before `days` calendar days have passed: a cheap index-friendly filter.
        .where(clock.condition(now), clock.start < now - timedelta(days=clock.days))
        # A flag can escalate only escalate_days (calendar) after it reached its level.
        .where(
            sa.or_(
                Flag.id.is_(None),
                sa.and_(Flag.status == "open", Flag.level_since <= now - timedelta(days=rules.escalate_days)),
            )
        )
    )
    # The local day (FOLLOWUP_TIMEZONE) each clock started on, computed by the database over the span of
    # the stored start times (the earliest is one index lookup).
    first = db.session.scalar(sa.select(sa.func.min(clock.start))) or now
    return query, local_day(clock.start, rules.tz, first.date(), now.date()), base_office


def scan(now: datetime, rules: Rules, days_to_decide: int = DECISION_DAYS_DEFAULT) -> ScanResult:
    """Flag, escalate and auto-resolve every tracked idea as of `now`, on both clocks; idempotent for
    the same `now`.

    Set-based: per clock, one grouped SELECT, then per (start day, responsible office) group the level
    due is worked out in Python (working days, holidays, the tree), then one INSERT ... SELECT ... ON
    CONFLICT DO NOTHING raises the new flags and one conditional UPDATE ... FROM escalates the others.
    """
    result = ScanResult(now=now)
    _lock_scan()
    result.resolved = _auto_resolve(now)
    tree = OfficeTree.load()
    any_rows = False
    for clock in clocks(rules, days_to_decide):
        query, day, base_office = _overdue_ideas(now, clock, rules)
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
        raised, escalated = _write_flags(now, rows, clock, query, day, base_office) if rows else ([], [])
        # Flags changed by hand left the schedule: they escalate on their own clock (writes its events).
        escalated += _escalate_on_own_clock(now, clock, tree, rules)
        any_rows = any_rows or bool(rows)
        result.raised += len(raised)
        result.escalated += len(escalated)
        result.notified += _notify_offices(raised, "flag_raised", clock) + _notify_offices(
            escalated, "flag_escalated", clock
        )
    if any_rows:
        _record_level_events(now)
    result.open_flags = db.session.scalar(sa.select(sa.func.count(Flag.id)).where(Flag.status == "open"))
    _expire_flags()
    after_commit(report.invalidate_cache)
    return result


def _write_flags(
    now: datetime, rows: list[dict], clock: Clock, query, day, base_office
) -> tuple[list[dict], list[dict]]:
    """Raise and escalate through the schedule table; returns the flags each statement changed."""
    connection = db.session.connection()
    _schedule.drop(connection, checkfirst=True)
    _schedule.create(connection)
    # No try/finally: on an error the rollback discards the scratch table with everything else.
    connection.execute(sa.insert(_schedule), rows)
    if connection.dialect.name == "postgresql":
        # A temporary table has no statistics: without them the planner nests loops over 100k ideas.
        connection.execute(sa.text("ANALYZE followup_scan_schedule"))
    s, flags = _schedule, Flag.__table__
    on_schedule = sa.and_(s.c.day == day, s.c.base_office_id == base_office)
    new = query.where(Flag.id.is_(None)).join(s, on_schedule)
    new = new.with_only_columns(
        Idea.id,
        sa.literal(clock.kind),
        s.c.reason,
        s.c.level,
        s.c.office_id,
        sa.literal("open"),
        sa.literal(now, UTCDateTime),
        s.c.level_since,
    )
    # ON CONFLICT DO NOTHING: a racing scan (or a second run) cannot flag an idea twice on one clock.
    columns = ["idea_id", "kind", "reason", "level", "assigned_office_id", "status", "created_at", "level_since"]
    insert = (
        upsert(flags)
        .from_select(columns, new)
        .on_conflict_do_nothing(index_elements=["idea_id", "kind"])
        .returning(flags.c.id, flags.c.idea_id, flags.c.level, flags.c.assigned_office_id)
    )
    raised = [_changed(r) for r in connection.execute(insert)]
    # Conditional (open, below the level due): a flag only moves up, and a racing scan finds nothing to do.
    update = (
        sa.update(flags)
        .where(flags.c.idea_id == Idea.id, User.id == Idea.author_id, Category.id == Idea.category_id)
        .where(Office.id == Idea.office_id, clock.condition(now), on_schedule, flags.c.kind == clock.kind)
        .where(flags.c.status == "open", s.c.level > flags.c.level, ~changed_by_hand_condition())
        .values(level=s.c.level, assigned_office_id=s.c.office_id, level_since=s.c.level_since)
        .returning(flags.c.id, flags.c.idea_id, flags.c.level, flags.c.assigned_office_id)
    )
    escalated = [_changed(r) for r in connection.execute(update)]
    _schedule.drop(connection)
    return raised, escalated


def _escalate_on_own_clock(now: datetime, clock: Clock, tree: OfficeTree, rules: Rules) -> list[dict]:
    """Escalate the open flags of this kind changed by hand: one office up from where staff put them,
    every escalate_days working days after level_since. Few flags (hand-made), so one UPDATE per flag."""
    schedule = clock.schedule
    flags, events = Flag.__table__, FlagEvent.__table__
    # Start from the few hand-changed flags (one pass over the events), not from every open flag: joining
    # 64,000 open flags to their ideas cost 0.34 s per scan on PostgreSQL.
    by_hand = db.session.scalars(
        sa.select(events.c.flag_id)
        .where(events.c.actor_id.is_not(None), events.c.action.in_(MANUAL_ACTIONS))
        .distinct()
    ).all()
    candidates = []
    for start in range(0, len(by_hand), 1000):
        candidates += db.session.execute(
            sa.select(flags.c.id, flags.c.idea_id, flags.c.level, flags.c.assigned_office_id, flags.c.level_since)
            .join(Idea, Idea.id == flags.c.idea_id)
            .join(User, User.id == Idea.author_id)
            .where(flags.c.id.in_(by_hand[start : start + 1000]), flags.c.status == "open", clock.condition(now))
            .where(flags.c.kind == clock.kind)
            # Cheap prefilter: nothing escalates before escalate_days calendar days.
            .where(flags.c.level_since <= now - timedelta(days=rules.escalate_days))
        ).all()
    changed, events = [], []
    for flag in candidates:
        level, since, office = flag.level, flag.level_since, flag.assigned_office_id
        for parent in tree.chain(flag.assigned_office_id)[1:]:
            due = schedule.own_clock_due(since)
            if due > now:
                break
            level, since, office = level + 1, due, parent
        if office == flag.assigned_office_id:
            continue
        # Conditional on the state just read: the flag only moves up from where it was.
        moved = db.session.execute(
            sa.update(flags)
            .where(flags.c.id == flag.id, flags.c.status == "open", flags.c.level == flag.level)
            .where(flags.c.assigned_office_id == flag.assigned_office_id)
            .values(level=level, assigned_office_id=office, level_since=since)
        ).rowcount
        if not moved:
            continue
        changed.append({"id": flag.id, "idea_id": flag.idea_id, "level": level, "office_id": office})
        still = "undecided" if clock.kind == "stalled" else "unanswered"
        note = f"Still {still} {rules.escalate_days} working days after it was last moved."
        events.append(
            {"flag_id": flag.id, "actor_id": None, "action": "escalated", "level": level, "office_id": office}
            | {"note": note, "created_at": now}
        )
    if events:
        db.session.execute(sa.insert(FlagEvent.__table__), events)
    return changed


def _changed(row) -> dict:
    return {"id": row.id, "idea_id": row.idea_id, "level": row.level, "office_id": row.assigned_office_id}


def _record_level_events(now: datetime) -> None:
    """Audit trail, set-based: a flag without events was just raised; an open flag without an event
    at its current level was just escalated. Deriving the events from the flags keeps them exact."""
    flags, events = Flag.__table__, FlagEvent.__table__
    columns = ["flag_id", "actor_id", "action", "level", "office_id", "note", "created_at"]
    no_events = ~sa.exists().where(events.c.flag_id == flags.c.id)
    raised = sa.select(
        flags.c.id,
        sa.null(),
        sa.literal("raised"),
        flags.c.level,
        flags.c.assigned_office_id,
        flags.c.reason,
        sa.literal(now, UTCDateTime),
    ).where(flags.c.status == "open", flags.c.created_at == now, no_events)
    db.session.execute(sa.insert(events).from_select(columns, raised))
    at_level = sa.exists().where(events.c.flag_id == flags.c.id, events.c.level == flags.c.level)
    escalated = sa.select(
        flags.c.id,
        sa.null(),
        sa.literal("escalated"),
        flags.c.level,
        flags.c.assigned_office_id,
        sa.null(),
        sa.literal(now, UTCDateTime),
    ).where(flags.c.status == "open", flags.c.level > 0, flags.c.level_since <= now, ~at_level)
    db.session.execute(sa.insert(events).from_select(columns, escalated))


def _notify_offices(changed: list[dict], kind: str, clock: Clock) -> int:
    """Tell the senior users of each assigned office; one note per idea, or a digest for many."""
    if not changed:
        return 0
    by_office: dict[int, list[dict]] = defaultdict(list)
    for row in changed:
        by_office[row["office_id"]].append(row)
    seniors: dict[int, list[User]] = defaultdict(list)
    for user in db.session.scalars(
        sa.select(User).where(User.office_id.in_(list(by_office)), User.role == "senior", User.status == "active")
    ):
        seniors[user.office_id].append(user)
    offices = {o.id: o for o in db.session.scalars(sa.select(Office).where(Office.id.in_(list(by_office))))}
    wanted = [
        r["idea_id"]
        for office_id, rows in by_office.items()
        if seniors[office_id] and len(rows) <= DIGEST_OVER
        for r in rows
    ]
    ideas = {}
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start : start + 1000]
        ideas.update({i.id: i for i in db.session.scalars(sa.select(Idea).where(Idea.id.in_(chunk)))})
    sent = 0
    for office_id, rows in by_office.items():
        office = offices[office_id]
        for user in seniors[office_id]:
            if len(rows) > DIGEST_OVER:
                verb = "were flagged to" if kind == "flag_raised" else "were escalated to"
                what = "answered but not decided in time" if clock.kind == "stalled" else "without a senior response"
                text = f"{len(rows)} ideas {what} {verb} {office.name}."
                params = {"count": len(rows), "office": office.name, "clock": clock.kind}
                notify(user, kind, None, text, params=params)
                sent += 1
                continue
            for row in rows:
                idea = ideas[row["idea_id"]]
                params = {"office": office.name, "level": row["level"], "days": clock.days, "clock": clock.kind}
                notify(user, kind, idea, _note_text(kind, idea, office, row["level"], clock), params=params)
                sent += 1
    return sent


def _note_text(kind: str, idea: Idea, office: Office, level: int, clock: Clock) -> str:
    if clock.kind == "stalled":
        if kind == "flag_raised":
            return (
                f"{idea.reference} “{idea.title}” was answered but has had no decision for {clock.days} working "
                f"days; it is now waiting on {office.name} for a decision."
            )
        return f"{idea.reference} “{idea.title}” is still undecided and was escalated to {office.name} (level {level})."
    if kind == "flag_raised":
        return (
            f"{idea.reference} “{idea.title}” has had no senior response for {clock.days} working days; "
            f"it is now waiting on {office.name}."
        )
    return f"{idea.reference} “{idea.title}” is still unanswered and was escalated to {office.name} (level {level})."


def _expire_flags() -> None:
    """Core statements bypassed the ORM: make loaded flags re-read their rows."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Flag | FlagEvent):
            db.session.expire(obj)
