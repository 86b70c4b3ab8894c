"""Staff actions on flags (resolve, reassign, escalate), a senior reply resolving a flag, and flag lists.

Every function flushes and never commits; the caller commits once. Errors are domain errors
(forum.domain_errors): Forbidden for a non-staff actor, Conflict for a flag no longer open.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.domain_errors import Conflict, Forbidden, NotFound, ValidationError
from forum.effects import after_commit
from forum.extensions import db
from forum.followup import report
from forum.followup.clocks import UNDECIDED
from forum.followup.sql import lock_flags
from forum.limits import NOTE_MAX
from forum.models import FLAG_KINDS, Comment, Flag, FlagEvent, Idea, Office, User
from forum.notifications.service import notify
from forum.validation import clean_text, id_or_404, parse_int

FLAG_STATUSES = ("open", "resolved")
# Conflict.reason values of the staff actions, so that pages word each refusal without re-reading the flag.
ALREADY_RESOLVED, AT_ROOT = "already_resolved", "at_root"


def record_response(idea: Idea, comment: Comment) -> None:
    """A senior user answered the idea: resolve its open "unanswered" flag (if any)."""
    flag = db.session.scalar(
        sa.select(Flag).where(Flag.idea_id == idea.id, Flag.kind == "unanswered", Flag.status == "open")
    )
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


# The stages each clock runs in: a flag whose idea left them has nothing left to wait for.
CLOCK_STAGES = {"unanswered": ("open",), "stalled": UNDECIDED}


def record_status_change(idea: Idea, actor: User, now: datetime) -> int:
    """The idea moved (lifecycle): resolve its open flags whose clock no longer runs, in the same
    transaction as the move (the scan catches any other way out). Conditional on status, so a scan or a
    staff member resolving the same flag at once cannot resolve it twice. Returns how many it resolved."""
    done = 0
    for kind, stages in CLOCK_STAGES.items():
        if idea.status in stages and idea.deleted_at is None:
            continue
        action = "decided" if kind == "stalled" else "withdrawn"
        note = f"The idea moved to {idea.status.replace('_', ' ')}."
        rows = db.session.execute(
            sa.update(Flag)
            .where(Flag.idea_id == idea.id, Flag.kind == kind, Flag.status == "open")
            .values(status="resolved", resolved_at=now, resolved_by_id=actor.id, resolution_note=note)
            .returning(Flag.id, Flag.level, Flag.assigned_office_id)
            .execution_options(synchronize_session=False)
        ).all()
        for row in rows:
            db.session.add(
                FlagEvent(
                    flag_id=row.id,
                    actor_id=actor.id,
                    action=action,
                    level=row.level,
                    office_id=row.assigned_office_id,
                    note=note,
                    created_at=now,
                )
            )
        done += len(rows)
    if done:
        db.session.flush()
        for obj in list(db.session.identity_map.values()):
            if isinstance(obj, Flag) and obj.idea_id == idea.id:
                db.session.expire(obj)
        after_commit(report.invalidate_cache)
    return done


def get_flag(flag_id: object) -> Flag:
    """A flag by id, or NotFound (also for an id that cannot be one)."""
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
        raise Conflict("This flag is already resolved.", reason=ALREADY_RESOLVED)
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
    after_commit(report.invalidate_cache)
    return flag


def _lock_open_flag(flag: Flag, actor: User, verb: str) -> None:
    """Staff only; waits for any running scan, re-reads the flag, and refuses (409) one no longer open."""
    if not actor.is_staff:
        raise Forbidden(f"Only programme staff and admins may {verb} flags.")
    lock_flags()
    db.session.refresh(flag)
    if flag.status != "open":
        raise Conflict("This flag is already resolved.", reason=ALREADY_RESOLVED)


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
    after_commit(report.invalidate_cache)
    idea = flag.idea
    if action == "assigned":
        kind, text = "flag_assigned", f"{idea.reference} “{idea.title}” was assigned to {office.name} by {actor.name}."
    else:
        kind = "flag_escalated"
        text = f"{idea.reference} “{idea.title}” was escalated to {office.name} (level {level}) by {actor.name}."
    if note:
        text += f" Note: {note}"
    params = {"office": office.name, "level": level, "actor": actor.name, "note": note or ""}
    for user in db.session.scalars(
        sa.select(User).where(User.office_id == office.id, User.role == "senior", User.status == "active")
    ):
        notify(user, kind, idea, text, params=params)
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
            "there is no office above it to escalate to.",
            reason=AT_ROOT,
        )
    return _move_flag(flag, actor, "escalated", parent, flag.level + 1, note, now)


def flags_query(
    *,
    status: str | None = "open",
    kind: str | None = None,
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
    if kind:
        query = query.where(Flag.kind == kind)
    if office:
        query = query.join(Office, Office.id == Flag.assigned_office_id).where(Office.code == office)
    if level is not None:
        query = query.where(Flag.level == level)
    if category is not None:
        query = query.where(Idea.category_id == category)
    return query


def open_counts() -> dict[str, dict[int, int]]:
    """Open flags per kind and level, live (the dashboard's side-by-side summary): one grouped query."""
    counts: dict[str, dict[int, int]] = {kind: {} for kind in FLAG_KINDS}
    rows = db.session.execute(
        sa.select(Flag.kind, Flag.level, sa.func.count(Flag.id))
        .where(Flag.status == "open")
        .group_by(Flag.kind, Flag.level)
    )
    for kind, level, count in rows:
        counts.setdefault(kind, {})[level] = count
    return counts


def parse_flag_filters(args: Mapping[str, str]) -> dict:
    """Turn query-string filters into flags_query() arguments; bad values raise ValidationError."""
    status = args.get("status") or "open"
    if status not in FLAG_STATUSES and status != "all":
        raise ValidationError("status", "status must be open, resolved or all")
    filters: dict = {"status": None if status == "all" else status, "office": args.get("office") or None}
    kind = args.get("kind") or None
    if kind is not None and kind not in FLAG_KINDS:
        raise ValidationError("kind", f"kind must be one of {', '.join(FLAG_KINDS)}")
    filters["kind"] = kind
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
