"""The scan's set-based statements: resolve the flags whose clock stopped, raise and escalate the flags
due through a scratch schedule table, escalate hand-changed flags on their own clock, and write the audit
events. Each flushes through the session's connection and never commits."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from forum.extensions import db
from forum.followup.clocks import UNDECIDED, Clock
from forum.followup.rules import MANUAL_ACTIONS, OfficeTree, Rules, changed_by_hand_condition, responsible_office_column
from forum.followup.sql import local_day, upsert
from forum.models import Category, Flag, FlagEvent, Idea, Office, User, UTCDateTime

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


def auto_resolve(now: datetime) -> int:
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


def overdue_ideas(
    now: datetime, clock: Clock, rules: Rules
) -> tuple[sa.Select, sa.ColumnElement[str], sa.ColumnElement[int]]:
    """Ideas that may need a new flag of this clock's kind or an escalation, joined to what decides
    their schedule; with the SQL of each one's local start day and of its responsible office."""
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


def write_flags(
    now: datetime,
    rows: list[dict],
    clock: Clock,
    query: sa.Select,
    day: sa.ColumnElement[str],
    base_office: sa.ColumnElement[int],
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


def escalate_on_own_clock(now: datetime, clock: Clock, tree: OfficeTree, rules: Rules) -> list[dict]:
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


def record_level_events(now: datetime) -> None:
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
