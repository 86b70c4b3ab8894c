"""Follow-up rules: flagging, escalation, resolution, holidays and the job lease.

The rules (docs/followup.md has the long form):

- Tracked ideas: status "open", not deleted, posted by a user who is not senior.
- Answered: Idea.first_response_at is set (a senior user commented) at or before `now`.
- Responsible office (level 0): the office that owns the idea's category if it has one,
  else the parent of the idea's office, else the idea's office itself (a root office).
- Flagged (level 0) when still unanswered at the end of the FOLLOWUP_RESPONSE_DAYS-th working
  day after the day it was posted; escalated one office up for every further
  FOLLOWUP_ESCALATE_DAYS working days, stopping at the root of the tree.
- One flag per idea (Flag.idea_id is unique); a resolved flag stays resolved.

Every function flushes and never commits; the caller commits once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from werkzeug.exceptions import Conflict, Forbidden, NotFound

from forum.effects import after_commit
from forum.errors import ValidationError
from forum.extensions import db
from forum.followup.calendar import WorkCalendar, parse_weekend
from forum.models import Category, Comment, Flag, FlagEvent, Holiday, Idea, JobLease, Office, User, UTCDateTime
from forum.notifications.service import notify
from forum.validation import clean_text, id_or_404, parse_int

NOTE_MAX = 1000
# Above this many flags for one office in one scan, its seniors get one digest instead of one note each.
DIGEST_OVER = 10
_PG_SCAN_LOCK = 0x5F01_0A11  # pg_advisory_xact_lock key: one scan writes at a time


# Rules and clocks ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """The follow-up settings of SPEC section 3, read once from the app config."""

    response_days: int
    escalate_days: int
    weekend: frozenset[int]

    @classmethod
    def from_config(cls, config=None) -> Rules:
        config = config if config is not None else current_app.config
        return cls(
            response_days=int(config["FOLLOWUP_RESPONSE_DAYS"]),
            escalate_days=max(1, int(config["FOLLOWUP_ESCALATE_DAYS"])),
            weekend=parse_weekend(config["FOLLOWUP_WEEKEND"]),
        )


def load_calendar(rules: Rules) -> WorkCalendar:
    """The working-day calendar with the holidays kept by admins."""
    return WorkCalendar(rules.weekend, db.session.scalars(sa.select(Holiday.day)))


class OfficeTree:
    """A snapshot of the office tree: who is responsible, and the escalation chain."""

    def __init__(self) -> None:
        rows = db.session.execute(sa.select(Office.id, Office.parent_id)).all()
        self.parent = {office_id: parent_id for office_id, parent_id in rows}
        self._chains: dict[int, list[int]] = {}

    def responsible(self, category_office_id: int | None, idea_office_id: int) -> int:
        """Level-0 office: the category's owner, else the parent of the idea's office, else that office."""
        if category_office_id is not None:
            return category_office_id
        parent = self.parent.get(idea_office_id)
        return parent if parent is not None else idea_office_id

    def chain(self, office_id: int) -> list[int]:
        """The office, then each office above it up to the root (cycle-safe)."""
        if office_id not in self._chains:
            chain, node = [], office_id
            while node is not None and node not in chain:
                chain.append(node)
                node = self.parent.get(node)
            self._chains[office_id] = chain
        return self._chains[office_id]


class Schedule:
    """Due moments per level, computed once per distinct creation day (not per idea)."""

    def __init__(self, rules: Rules, calendar: WorkCalendar):
        self.rules, self.calendar = rules, calendar
        self._dues: dict[date, list[datetime]] = {}

    def due(self, created_at: datetime, level: int) -> datetime:
        """When an unanswered idea posted at created_at reaches `level` (0 = flagged)."""
        day = created_at.date()
        dues = self._dues.setdefault(day, [])
        while len(dues) <= level:
            working_days = self.rules.response_days + len(dues) * self.rules.escalate_days
            dues.append(self.calendar.due_at(created_at, working_days))
        return dues[level]

    def level_at(self, created_at: datetime, max_level: int, now: datetime) -> int | None:
        """The level due at `now` (capped at max_level), or None when not yet due."""
        level = None
        for candidate in range(max_level + 1):
            if self.due(created_at, candidate) > now:
                break
            level = candidate
        return level


# The scan ------------------------------------------------------------------------------------------------


@dataclass
class ScanResult:
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


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _insert(table: sa.Table):
    """INSERT with ON CONFLICT support on both databases."""
    if _dialect() == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def _day(column):
    """The UTC calendar day of a UTCDateTime column as 'YYYY-MM-DD' text, on either database."""
    if _dialect() == "postgresql":
        return sa.func.to_char(column, "YYYY-MM-DD")
    return sa.func.date(column)  # SQLite stores naive UTC text


def _lock_flags() -> None:
    """Serialise the writers of flags (scans and staff changes): PostgreSQL takes a transaction advisory
    lock; SQLite's BEGIN IMMEDIATE (forum/__init__.py) already holds the write lock for the transaction."""
    if _dialect() == "postgresql":
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_SCAN_LOCK})
    else:
        # Any statement starts the BEGIN IMMEDIATE transaction, which waits for other writers.
        db.session.execute(sa.select(sa.literal(1)))


def _lock_scan() -> None:
    """Serialise scans (and staff changes) and set up the scan's query plans."""
    _lock_flags()
    if _dialect() == "postgresql":
        # The scan inserts into tables it anti-joins (flags, events). A nested loop re-scans the rows the
        # statement itself is adding (invisible, still read): quadratic, 60 s at 64k flags. Hash joins
        # read the snapshot once. SET LOCAL ends with this transaction.
        db.session.execute(sa.text("SET LOCAL enable_nestloop = off"))


def _tracked(now: datetime):
    """The SQL condition for ideas the follow-up clock runs on, as of `now`."""
    return sa.and_(
        Idea.status == "open",
        Idea.deleted_at.is_(None),
        sa.or_(Idea.first_response_at.is_(None), Idea.first_response_at > now),
        User.role != "senior",
    )


def _auto_resolve(now: datetime) -> int:
    """Resolve open flags whose idea was answered, closed or deleted; two set-based UPDATEs."""
    flags = Flag.__table__
    answered = sa.select(Idea.id).where(Idea.first_response_at.is_not(None), Idea.first_response_at <= now)
    gone = sa.select(Idea.id).where(sa.or_(Idea.deleted_at.is_not(None), Idea.status != "open"))
    count = 0
    for action, ideas, note in (
        ("answered", answered, "A senior user answered the idea."),
        ("withdrawn", gone, "The idea was closed, moved out of 'open' or deleted."),
    ):
        rows = db.session.execute(
            sa.update(flags)
            .where(flags.c.status == "open", flags.c.idea_id.in_(ideas))
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


def _overdue_ideas(now: datetime, rules: Rules):
    """Ideas that may need a new flag or an escalation, joined to what decides their schedule."""
    base_office = sa.func.coalesce(Category.office_id, Office.parent_id, Office.id)
    query = (
        sa.select(Idea.id)
        .join(User, User.id == Idea.author_id)
        .join(Category, Category.id == Idea.category_id)
        .join(Office, Office.id == Idea.office_id)
        .outerjoin(Flag, Flag.idea_id == Idea.id)
        # Nothing is due before response_days calendar days have passed: a cheap index-friendly filter.
        .where(_tracked(now), Idea.created_at < now - timedelta(days=rules.response_days))
        # A flag can escalate only escalate_days (calendar) after it reached its level.
        .where(
            sa.or_(
                Flag.id.is_(None),
                sa.and_(Flag.status == "open", Flag.level_since <= now - timedelta(days=rules.escalate_days)),
            )
        )
    )
    return query, _day(Idea.created_at), base_office


def scan(now: datetime, rules: Rules | None = None) -> ScanResult:
    """Flag, escalate and auto-resolve every tracked idea as of `now`; idempotent for the same `now`.

    Set-based: one grouped SELECT, then per (creation day, responsible office) group the level due is
    worked out in Python (working days, holidays, the tree), then one INSERT ... SELECT ... ON CONFLICT
    DO NOTHING raises the new flags and one conditional UPDATE ... FROM escalates the others.
    """
    rules = rules or Rules.from_config()
    result = ScanResult(now=now)
    _lock_scan()
    result.resolved = _auto_resolve(now)

    query, day, base_office = _overdue_ideas(now, rules)
    groups = db.session.execute(
        query.with_only_columns(day.label("day"), base_office.label("base")).group_by(day, base_office)
    ).all()
    tree, calendar = OfficeTree(), load_calendar(rules)
    schedule = Schedule(rules, calendar)
    rows = []
    for group in groups:
        created = datetime.combine(date.fromisoformat(group.day), datetime.min.time(), tzinfo=UTC)
        chain = tree.chain(group.base)
        level = schedule.level_at(created, len(chain) - 1, now)
        if level is None:
            continue
        first_due = schedule.due(created, 0)
        rows.append(
            {
                "day": group.day,
                "base_office_id": group.base,
                "level": level,
                "office_id": chain[level],
                "level_since": schedule.due(created, level),
                "reason": f"No senior response within {rules.response_days} working days "
                f"(due {first_due:%Y-%m-%d %H:%M} UTC).",
            }
        )
    raised, escalated = _write_flags(now, rows, query, day, base_office) if rows else ([], [])
    # Flags changed by hand left the posting-day schedule: they escalate on their own clock (writes its events).
    escalated += _escalate_on_own_clock(now, rules, calendar, tree)
    if rows:
        _record_level_events(now)
    result.raised, result.escalated = len(raised), len(escalated)
    result.notified = _notify_offices(raised, "flag_raised", rules) + _notify_offices(
        escalated, "flag_escalated", rules
    )
    result.open_flags = db.session.scalar(sa.select(sa.func.count(Flag.id)).where(Flag.status == "open"))
    _expire_flags()
    after_commit(_report_changed)
    return result


def _report_changed() -> None:
    """After a flag change commits: this process's cached report is out of date."""
    from forum.followup import report  # report imports this module

    report.invalidate_cache()


def _write_flags(now: datetime, rows: list[dict], query, day, base_office) -> tuple[list[dict], list[dict]]:
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
        s.c.reason,
        s.c.level,
        s.c.office_id,
        sa.literal("open"),
        sa.literal(now, UTCDateTime),
        s.c.level_since,
    )
    # ON CONFLICT DO NOTHING: a racing scan (or a second run) cannot flag an idea twice.
    insert = (
        _insert(flags)
        .from_select(["idea_id", "reason", "level", "assigned_office_id", "status", "created_at", "level_since"], new)
        .on_conflict_do_nothing(index_elements=["idea_id"])
        .returning(flags.c.id, flags.c.idea_id, flags.c.level, flags.c.assigned_office_id)
    )
    raised = [_changed(r) for r in connection.execute(insert)]
    # Conditional (open, below the level due): a flag only moves up, and a racing scan finds nothing to do.
    update = (
        sa.update(flags)
        .where(flags.c.idea_id == Idea.id, User.id == Idea.author_id, Category.id == Idea.category_id)
        .where(Office.id == Idea.office_id, _tracked(now), on_schedule)
        .where(flags.c.status == "open", s.c.level > flags.c.level, ~_changed_by_hand())
        .values(level=s.c.level, assigned_office_id=s.c.office_id, level_since=s.c.level_since)
        .returning(flags.c.id, flags.c.idea_id, flags.c.level, flags.c.assigned_office_id)
    )
    escalated = [_changed(r) for r in connection.execute(update)]
    _schedule.drop(connection)
    return raised, escalated


MANUAL_ACTIONS = ("assigned", "escalated")


def _changed_by_hand():
    """SQL condition: a person (not the scan) reassigned or escalated the flag at some point."""
    events = FlagEvent.__table__
    # An uncorrelated IN (subquery): the databases build the (small) set once instead of probing the
    # events per flag, which cost ~0.3 s per scan over 64,000 open flags on SQLite.
    by_hand = sa.select(events.c.flag_id).where(events.c.actor_id.is_not(None), events.c.action.in_(MANUAL_ACTIONS))
    return Flag.__table__.c.id.in_(by_hand)


def changed_by_hand(flag: Flag) -> bool:
    """Whether a person reassigned or escalated this flag (it then follows its own escalation clock)."""
    query = sa.select(FlagEvent.id).where(
        FlagEvent.flag_id == flag.id, FlagEvent.actor_id.is_not(None), FlagEvent.action.in_(MANUAL_ACTIONS)
    )
    return db.session.scalar(query.limit(1)) is not None


def own_clock_due(flag: Flag, rules: Rules, calendar: WorkCalendar) -> datetime:
    """When a flag changed by hand next escalates: escalate_days working days after it reached its office."""
    return _own_clock_due(flag.level_since, rules, calendar)


def _own_clock_due(since: datetime, rules: Rules, calendar: WorkCalendar) -> datetime:
    # A level reached at a deadline (midnight) belongs to the day that just ended, as in the posting-day
    # schedule: level k+1 is due escalate_days working days after the day level k fell due.
    return calendar.due_at(since - timedelta(microseconds=1), rules.escalate_days)


def _escalate_on_own_clock(now: datetime, rules: Rules, calendar: WorkCalendar, tree: OfficeTree) -> list[dict]:
    """Escalate the open flags changed by hand: one office up from where staff put them, every
    escalate_days working days after level_since. Few flags (hand-made), so one UPDATE per flag."""
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
            .where(flags.c.id.in_(by_hand[start : start + 1000]), flags.c.status == "open", _tracked(now))
            # Cheap prefilter: nothing escalates before escalate_days calendar days.
            .where(flags.c.level_since <= now - timedelta(days=rules.escalate_days))
        ).all()
    changed, events = [], []
    for flag in candidates:
        level, since, office = flag.level, flag.level_since, flag.assigned_office_id
        for parent in tree.chain(flag.assigned_office_id)[1:]:
            due = _own_clock_due(since, rules, calendar)
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
        note = f"Still unanswered {rules.escalate_days} working days after it was last moved."
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


def _notify_offices(changed: list[dict], kind: str, rules: Rules) -> int:
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
                notify(user, kind, None, f"{len(rows)} ideas without a senior response {verb} {office.name}.")
                sent += 1
                continue
            for row in rows:
                idea = ideas[row["idea_id"]]
                notify(user, kind, idea, _note_text(kind, idea, office, row["level"], rules))
                sent += 1
    return sent


def _note_text(kind: str, idea: Idea, office: Office, level: int, rules: Rules) -> str:
    if kind == "flag_raised":
        return (
            f"{idea.reference} “{idea.title}” has had no senior response for {rules.response_days} working days; "
            f"it is now waiting on {office.name}."
        )
    return f"{idea.reference} “{idea.title}” is still unanswered and was escalated to {office.name} (level {level})."


def _expire_flags() -> None:
    """Core statements bypassed the ORM: make loaded flags re-read their rows."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Flag | FlagEvent):
            db.session.expire(obj)


# Responses and staff actions -----------------------------------------------------------------------------


def record_response(idea: Idea, comment: Comment) -> None:
    """A senior user answered the idea: resolve its open flag (if any)."""
    flag = db.session.scalar(sa.select(Flag).where(Flag.idea_id == idea.id, Flag.status == "open"))
    if flag is None:
        return
    note = f"Answered by {comment.author.name}."
    flag.status = "resolved"
    flag.resolved_at = comment.created_at
    flag.resolved_by = comment.author
    flag.resolution_note = note
    db.session.add(
        FlagEvent(
            flag=flag,
            actor=comment.author,
            action="answered",
            level=flag.level,
            office_id=flag.assigned_office_id,
            note=note,
            created_at=comment.created_at,
        )
    )
    db.session.flush()


def get_flag(flag_id: object) -> Flag:
    """A flag by id, or 404."""
    flag = db.session.get(Flag, id_or_404(flag_id, "flag"))
    if flag is None:
        raise NotFound("No such flag.")
    return flag


def resolve_flag(flag: Flag, actor: User, note: object, now: datetime) -> Flag:
    """Programme staff close a flag with a note; 409 if it is no longer open."""
    if not actor.is_staff:
        raise Forbidden("Only programme staff and admins may resolve flags.")
    note = clean_text(note, "note", max_len=NOTE_MAX)
    # Conditional on status so that two staff (or staff and a senior reply) cannot both resolve it.
    changed = db.session.execute(
        sa.update(Flag)
        .where(Flag.id == flag.id, Flag.status == "open")
        .values(status="resolved", resolved_at=now, resolved_by_id=actor.id, resolution_note=note)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    if not changed:
        raise Conflict("This flag is already resolved.")
    db.session.add(
        FlagEvent(
            flag_id=flag.id,
            actor_id=actor.id,
            action="resolved",
            level=flag.level,
            office_id=flag.assigned_office_id,
            note=note,
            created_at=now,
        )
    )
    db.session.flush()
    db.session.refresh(flag)
    after_commit(_report_changed)
    return flag


def _lock_open_flag(flag: Flag, actor: User, verb: str) -> None:
    """Staff only; waits for any running scan, re-reads the flag, and refuses (409) one no longer open."""
    if not actor.is_staff:
        raise Forbidden(f"Only programme staff and admins may {verb} flags.")
    _lock_flags()
    db.session.refresh(flag)
    if flag.status != "open":
        raise Conflict("This flag is already resolved.")


def _optional_note(note: object) -> str | None:
    return clean_text(note, "note", min_len=0, max_len=NOTE_MAX) or None


def _move_flag(flag: Flag, actor: User, action: str, office: Office, level: int, note: str | None, now: datetime):
    """Put the flag on `office` at `level` from now (the escalation clock restarts), audit it, tell the seniors."""
    flag.assigned_office = office
    flag.level = level
    flag.level_since = now
    db.session.add(
        FlagEvent(
            flag_id=flag.id,
            actor_id=actor.id,
            action=action,
            level=level,
            office_id=office.id,
            note=note,
            created_at=now,
        )
    )
    db.session.flush()
    after_commit(_report_changed)
    idea = flag.idea
    if action == "assigned":
        kind, text = "flag_assigned", f"{idea.reference} “{idea.title}” was assigned to {office.name} by {actor.name}."
    else:
        kind = "flag_escalated"
        text = f"{idea.reference} “{idea.title}” was escalated to {office.name} (level {level}) by {actor.name}."
    if note:
        text += f" Note: {note}"
    for user in db.session.scalars(
        sa.select(User).where(User.office_id == office.id, User.role == "senior", User.status == "active")
    ):
        notify(user, kind, idea, text)
    return flag


def assign_flag(flag: Flag, actor: User, office_code: object, note: object, now: datetime) -> Flag:
    """Programme staff reassign an open flag to another office (same level; the escalation clock restarts)."""
    _lock_open_flag(flag, actor, "assign")
    if not isinstance(office_code, str) or not office_code.strip():
        raise ValidationError("office", "office is required (an office code)")
    office = db.session.scalar(sa.select(Office).where(Office.code == office_code.strip()))
    if office is None:
        raise ValidationError("office", "office does not exist")
    if office.id == flag.assigned_office_id:
        raise ValidationError("office", f"office {office.code} is already the flag's assigned office")
    return _move_flag(flag, actor, "assigned", office, flag.level, _optional_note(note), now)


def escalate_flag(flag: Flag, actor: User, note: object, now: datetime) -> Flag:
    """Programme staff escalate an open flag one office up from its assigned office; 409 at the root."""
    _lock_open_flag(flag, actor, "escalate")
    note = _optional_note(note)
    parent = flag.assigned_office.parent
    if parent is None:
        raise Conflict(
            f"This flag is assigned to {flag.assigned_office.name}, the top of its office tree: "
            "there is no office above it to escalate to."
        )
    return _move_flag(flag, actor, "escalated", parent, flag.level + 1, note, now)


def flags_query(
    *,
    status: str | None = "open",
    office: str | None = None,
    level: int | None = None,
    category: int | None = None,
) -> sa.Select:
    """Flags with their ideas, oldest idea first, for lists and the API."""
    query = (
        sa.select(Flag)
        .join(Idea, Idea.id == Flag.idea_id)
        .options(
            so.joinedload(Flag.idea).joinedload(Idea.category),
            so.joinedload(Flag.assigned_office),
        )
        .order_by(Idea.created_at, Flag.id)
    )
    if status:
        query = query.where(Flag.status == status)
    if office:
        query = query.join(Office, Office.id == Flag.assigned_office_id).where(Office.code == office)
    if level is not None:
        query = query.where(Flag.level == level)
    if category is not None:
        query = query.where(Idea.category_id == category)
    return query


FLAG_STATUSES = ("open", "resolved")


def parse_flag_filters(args) -> dict:
    """Turn query-string filters into flags_query() arguments; bad values raise ValidationError."""
    status = args.get("status") or "open"
    if status not in FLAG_STATUSES and status != "all":
        raise ValidationError("status", "status must be open, resolved or all")
    filters: dict = {"status": None if status == "all" else status, "office": args.get("office") or None}
    if filters["office"] and db.session.scalar(sa.select(Office.id).where(Office.code == filters["office"])) is None:
        raise ValidationError("office", "office does not exist")
    for name in ("level", "category"):
        value = args.get(name)
        if value not in (None, ""):
            filters[name] = parse_int(value, name)
            if filters[name] < 0:
                raise ValidationError(name, f"{name} must not be negative")
    return filters


PER_PAGE_DEFAULT, PER_PAGE_MAX = 50, 100


def parse_page_args(args) -> tuple[int, int]:
    """`page` (from 1) and `per_page` (1 to 100, default 50) from a query string; bad values raise ValidationError."""
    values = {}
    for name, default, top in (("page", 1, 2**31 - 1), ("per_page", PER_PAGE_DEFAULT, PER_PAGE_MAX)):
        raw = args.get(name)
        value = default if raw in (None, "") else parse_int(raw, name)
        if not 1 <= value <= top:
            raise ValidationError(name, f"{name} must be between 1 and {top}")
        values[name] = value
    return values["page"], values["per_page"]


# The idea page -------------------------------------------------------------------------------------------


def senior_contacts(office_id: int) -> list[str]:
    """'Name, designation' of the active senior users of an office."""
    users = db.session.scalars(
        sa.select(User)
        .where(User.office_id == office_id, User.role == "senior", User.status == "active")
        .order_by(User.name)
    )
    return [f"{u.name}, {u.designation}" if u.designation else u.name for u in users]


def waiting_on(idea: Idea, now: datetime | None = None) -> dict | None:
    """Whom the idea is waiting on: its follow-up state for the idea page (None if answered)."""
    if idea.first_response_at is not None:
        return None
    from forum.models import utcnow

    now = now or utcnow()
    rules = Rules.from_config()
    schedule = Schedule(rules, load_calendar(rules))
    # The same rule as OfficeTree.responsible, through the few rows this idea needs.
    base = idea.category.office or idea.office.parent or idea.office
    chain = [base.id, *(office.id for office in base.ancestors())]
    flag = db.session.scalar(sa.select(Flag).where(Flag.idea_id == idea.id))
    tracked = idea.status == "open" and not idea.is_deleted and not idea.author.is_senior
    state = {
        "reference": idea.reference,
        "tracked": tracked,
        "flag": None,
        "level": None,
        "due": None,
        "next_office_name": None,
    }
    if flag is not None:
        office = flag.assigned_office
        state.update(
            flag=flag,
            level=flag.level,
            since=flag.level_since,
            status=flag.status,
        )
        by_hand = changed_by_hand(flag)
        if flag.status != "open":
            pass
        elif by_hand and office.parent is not None:
            state["due"] = own_clock_due(flag, rules, schedule.calendar)
            state["next_office_name"] = office.parent.name
        elif not by_hand and flag.level + 1 < len(chain):
            state["due"] = schedule.due(idea.created_at, flag.level + 1)
            state["next_office_name"] = db.session.get(Office, chain[flag.level + 1]).name
    else:
        office = db.session.get(Office, chain[0])
        state.update(since=idea.created_at, status="waiting")
        if tracked:
            state["due"] = schedule.due(idea.created_at, 0)
    if not tracked and flag is None:
        state["status"] = "senior_author" if idea.author.is_senior else "not_open"
    state.update(office_name=office.name, office_code=office.code, contacts=senior_contacts(office.id))
    return state


# Holidays ------------------------------------------------------------------------------------------------


def holidays_query() -> sa.Select:
    return sa.select(Holiday).order_by(Holiday.day.desc())


def add_holiday(day: object, name: object) -> Holiday:
    """Admins keep the public holidays; a day can be listed once."""
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day.strip())
        except ValueError:
            raise ValidationError("day", "day must be a date like 2026-12-16") from None
    if not isinstance(day, date):
        raise ValidationError("day", "day is required")
    name = clean_text(name, "name", max_len=120)
    if db.session.scalar(sa.select(Holiday.id).where(Holiday.day == day)) is not None:
        raise ValidationError("day", f"{day.isoformat()} is already a holiday")
    holiday = Holiday(day=day, name=name)
    db.session.add(holiday)
    db.session.flush()
    return holiday


def remove_holiday(holiday: Holiday) -> None:
    db.session.delete(holiday)
    db.session.flush()


# Job lease -----------------------------------------------------------------------------------------------


def acquire_lease(name: str, holder: str, now: datetime, seconds: float) -> bool:
    """Take or renew a named lease until now + seconds; False while another holder's lease runs.

    Both steps are single atomic statements, so of several processes at most one gets it.
    """
    until = now + timedelta(seconds=seconds)
    taken = db.session.execute(
        sa.update(JobLease)
        .where(JobLease.name == name, sa.or_(JobLease.expires_at <= now, JobLease.holder == holder))
        .values(holder=holder, expires_at=until)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken:
        return True
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT that DO NOTHING skipped.
    leases = JobLease.__table__
    inserted = db.session.execute(
        _insert(leases)
        .values(name=name, holder=holder, expires_at=until)
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(leases.c.name)
    ).first()
    return inserted is not None
