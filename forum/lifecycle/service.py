"""The idea lifecycle: moves between statuses with owners and reasons, duplicates, adoptions, recognition.

Stages (SPEC section 7): open, under_review, piloting, implemented, replicated, closed (declined,
duplicate or withdrawn). Who may move an idea: a senior official of the office responsible for it (the
follow-up rule, forum.followup.rules.responsible_office_id) or of any office above it, programme
staff and admins; the author may withdraw an idea that has not been decided yet. Every move carries a
note and is kept in IdeaStatusChange, the idea's history.

Adoptions: another office takes up an implemented idea (started, running, dropped); the idea becomes
"replicated" once an office other than its own runs it.

Every function flushes and never commits; the caller commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.accounts.service import office_by_code
from forum.domain_errors import Forbidden, NotFound, ValidationError
from forum.extensions import db
from forum.followup.clocks import UNDECIDED as FOLLOWUP_UNDECIDED
from forum.followup.flags import record_status_change
from forum.followup.rules import OfficeTree
from forum.ideas import versions
from forum.models import (
    ADOPTION_STATUSES,
    CLOSED_REASONS,
    IDEA_STATUSES,
    Adoption,
    Endorsement,
    Follow,
    Idea,
    IdeaStatusChange,
    Office,
    User,
    utcnow,
)
from forum.notifications.service import notify
from forum.search import outbox
from forum.validation import clean_text, id_or_404, parse_int

NOTE_MAX = 1000
# The stages an idea may move to from each stage. "replicated" is reached through adoptions (or by hand
# once another office runs it); "closed" goes back to "open" when a decision is reopened.
MOVES: dict[str, tuple[str, ...]] = {
    "open": ("under_review", "piloting", "implemented", "closed"),
    "under_review": ("open", "piloting", "implemented", "closed"),
    "piloting": ("under_review", "implemented", "closed"),
    "implemented": ("piloting", "replicated", "closed"),
    "replicated": ("implemented", "closed"),
    "closed": ("open",),
}
# Before a decision: the stages the decision clock runs on, and the ones an author may withdraw from.
UNDECIDED = FOLLOWUP_UNDECIDED
# Moves that count as a decision for the report (an author withdrawing is not one).
DECIDED = ("piloting", "implemented", "replicated", "closed")


def _label(status: str) -> str:
    return status.replace("_", " ")


# Permissions -----------------------------------------------------------------------------------------


def responsible_office_id(idea: Idea, tree: OfficeTree | None = None) -> int:
    """The office that answers for the idea: the follow-up rule, imported, not restated."""
    tree = tree or OfficeTree.lazy()
    return tree.responsible(idea.category.office_id, idea.office_id)


def can_decide(idea: Idea, user: User, tree: OfficeTree | None = None) -> bool:
    """Staff, admins, and senior officials of the responsible office or any office above it."""
    if user.is_staff:
        return True
    if not user.is_senior:
        return False
    tree = tree or OfficeTree.lazy()
    return user.office_id in tree.chain(responsible_office_id(idea, tree))


def can_withdraw(idea: Idea, user: User) -> bool:
    return idea.author_id == user.id and idea.status in UNDECIDED


# Moves ---------------------------------------------------------------------------------------------------


def _record(idea: Idea, actor: User | None, note: str, now: datetime) -> IdeaStatusChange:
    change = IdeaStatusChange(
        idea_id=idea.id,
        status=idea.status,
        reason=idea.closed_reason,
        duplicate_of_id=idea.duplicate_of_id,
        note=note,
        actor_id=actor.id if actor else None,
        at=now,
    )
    db.session.add(change)
    return change


def record_posted(idea: Idea, author: User) -> None:
    """The first row of a new idea's history."""
    _record(idea, author, "Posted.", idea.created_at)


def _note(value: object) -> str:
    return clean_text(value, "note", max_len=NOTE_MAX)


def _duplicate_target(idea: Idea, value: object) -> Idea:
    if value is None or value == "":
        raise ValidationError("duplicate_of", "duplicate_of is required when the reason is duplicate")
    if isinstance(value, str) and value.strip().upper().startswith("PSI-"):
        target = db.session.scalar(sa.select(Idea).where(Idea.reference == value.strip().upper()))
    else:
        target = db.session.get(Idea, parse_int(value, "duplicate_of"))
    if target is None or target.is_deleted:
        raise ValidationError("duplicate_of", "duplicate_of is not an idea")
    if target.id == idea.id:
        raise ValidationError("duplicate_of", "an idea cannot be a duplicate of itself")
    if target.status == "closed" and target.closed_reason == "duplicate":
        raise ValidationError(
            "duplicate_of", f"{target.reference} is itself a duplicate: link {target.duplicate_of.reference}"
        )
    return target


def change_status(
    idea: Idea,
    actor: User,
    status: object,
    note: object,
    reason: object = None,
    duplicate_of: object = None,
    *,
    now: datetime | None = None,
) -> Idea:
    """Move an idea to `status` with a note; closing needs a reason, a duplicate the other idea.

    403 for someone not allowed; ValidationError (422) naming the field for an invalid move.
    """
    if not isinstance(status, str) or status not in IDEA_STATUSES:
        raise ValidationError("status", f"status must be one of {', '.join(IDEA_STATUSES)}")
    withdrawing = status == "closed" and reason == "withdrawn"
    if not can_decide(idea, actor) and not (withdrawing and idea.author_id == actor.id):
        if idea.author_id == actor.id:
            raise Forbidden("An author may only withdraw their idea (close it with the reason 'withdrawn').")
        raise Forbidden(
            "Only senior officials of the responsible office or above, programme staff and admins "
            "may change an idea's status."
        )
    if status == idea.status:
        raise ValidationError("status", f"the idea is already {_label(status)}")
    if status not in MOVES[idea.status]:
        allowed = ", ".join(MOVES[idea.status])
        raise ValidationError("status", f"an idea that is {_label(idea.status)} can move only to: {allowed}")
    if status == "closed":
        if reason not in CLOSED_REASONS:
            raise ValidationError("reason", f"reason must be one of {', '.join(CLOSED_REASONS)} when closing")
        if reason == "withdrawn" and idea.status not in UNDECIDED:
            raise ValidationError("reason", "an idea can be withdrawn only before a decision (open or under review)")
    elif reason not in (None, ""):
        raise ValidationError("reason", "reason is given only when closing")
    if reason != "duplicate" and duplicate_of not in (None, ""):
        raise ValidationError("duplicate_of", "duplicate_of is given only with the reason duplicate")
    if status == "replicated" and not _running_elsewhere(idea):
        raise ValidationError("status", "an idea is replicated once another office runs it (see its adoptions)")
    note = _note(note)
    target = _duplicate_target(idea, duplicate_of) if reason == "duplicate" else None
    now = now or utcnow()
    idea.status = status
    idea.closed_reason = reason if status == "closed" else None
    idea.duplicate_of_id = target.id if target is not None else None
    _record(idea, actor, note, now)
    if target is not None:
        _merge_into(idea, target)
    _changed(idea)
    db.session.flush()
    # The follow-up clocks stop when the idea moves on: its flags resolve in this same transaction.
    record_status_change(idea, actor, now)
    if idea.author_id != actor.id:
        text = f"{actor.name} moved your idea “{idea.title}” to {_label(status)}: {note}"
        notify(idea.author, "status", idea, text, params={"actor": actor.name, "status": status, "note": note})
    return idea


def _changed(idea: Idea) -> None:
    """The idea page cache is keyed on the version; status is a search filter."""
    idea.version = Idea.version + 1
    versions.idea_list_changed()
    outbox.record("idea", idea.id)


def _merge_into(idea: Idea, target: Idea) -> None:
    """A duplicate's followers and endorsements move to the idea it duplicates (set-based)."""
    for model in (Follow, Endorsement):
        table = model.__table__
        already = sa.select(table.c.user_id).where(table.c.idea_id == target.id)
        moved = sa.select(table.c.user_id, sa.literal(target.id), table.c.created_at).where(
            table.c.idea_id == idea.id, table.c.user_id.not_in(already)
        )
        db.session.execute(sa.insert(table).from_select(["user_id", "idea_id", "created_at"], moved))
        db.session.execute(sa.delete(table).where(table.c.idea_id == idea.id))
    for row in (idea, target):
        row.endorsement_count = (
            sa.select(sa.func.count()).select_from(Endorsement).where(Endorsement.idea_id == row.id).scalar_subquery()
        )
    target.version = Idea.version + 1


def history(idea: Idea) -> list[IdeaStatusChange]:
    """The idea's moves, oldest first, with who made them."""
    return list(
        db.session.scalars(
            sa.select(IdeaStatusChange)
            .where(IdeaStatusChange.idea_id == idea.id)
            .options(
                so.joinedload(IdeaStatusChange.actor).joinedload(User.office),
                so.joinedload(IdeaStatusChange.duplicate_of),
            )
            .order_by(IdeaStatusChange.at, IdeaStatusChange.id)
        )
    )


# Adoptions -----------------------------------------------------------------------------------------------


def _running_elsewhere(idea: Idea) -> bool:
    return (
        db.session.scalar(
            sa.select(Adoption.id).where(
                Adoption.idea_id == idea.id, Adoption.status == "running", Adoption.office_id != idea.office_id
            )
        )
        is not None
    )


def can_adopt_for(user: User, office: Office) -> bool:
    """Staff and admins for any office; others for their own office or, if senior, an office under theirs."""
    if user.is_staff or office.id == user.office_id:
        return True
    return user.is_senior and user.office_id in {o.id for o in office.ancestors()}


def adoptable_offices(idea: Idea, user: User) -> list[Office]:
    """Offices `user` may record an adoption for: not the idea's own, not one that already adopted it."""
    taken = set(db.session.scalars(sa.select(Adoption.office_id).where(Adoption.idea_id == idea.id)))
    offices = db.session.scalars(sa.select(Office).order_by(Office.name))
    return [o for o in offices if o.id != idea.office_id and o.id not in taken and can_adopt_for(user, o)]


def adopt(idea: Idea, actor: User, office_code: object, note: object, *, now: datetime | None = None) -> Adoption:
    """Another office takes up an implemented idea; its author and its office's seniors are told."""
    if idea.status not in ("implemented", "replicated"):
        raise ValidationError("status", "only an implemented idea can be adopted by another office")
    office = office_by_code(office_code)
    if not can_adopt_for(actor, office):
        raise Forbidden("You may record adoptions only for your own office (seniors: or an office under theirs).")
    if office.id == idea.office_id:
        raise ValidationError("office", "the idea's own office cannot adopt it")
    if db.session.scalar(sa.select(Adoption.id).where(Adoption.idea_id == idea.id, Adoption.office_id == office.id)):
        raise ValidationError("office", f"{office.name} has already adopted this idea")
    now = now or utcnow()
    adoption = Adoption(
        idea_id=idea.id, office=office, status="started", note=_note(note), created_by=actor, created_at=now
    )
    adoption.updated_at = now
    db.session.add(adoption)
    db.session.flush()
    text = f"{office.name} is adopting “{idea.title}” ({idea.reference})."
    told = {actor.id}
    seniors = db.session.scalars(
        sa.select(User).where(User.office_id == idea.office_id, User.role == "senior", User.status == "active")
    )
    for user in [idea.author, *seniors]:
        if user.id not in told:
            notify(user, "adoption", idea, text, params={"office": office.name})
            told.add(user.id)
    _changed(idea)
    return adoption


def get_adoption(idea: Idea, adoption_id: object) -> Adoption:
    adoption = db.session.get(Adoption, id_or_404(adoption_id, "adoption"))
    if adoption is None or adoption.idea_id != idea.id:
        raise NotFound("No such adoption.")
    return adoption


def update_adoption(
    adoption: Adoption, actor: User, status: object, note: object = None, *, now: datetime | None = None
) -> Adoption:
    """The adopting office reports how it is going; the idea becomes replicated once another office runs it."""
    if not can_adopt_for(actor, adoption.office):
        raise Forbidden("Only the adopting office (or programme staff) may update this adoption.")
    if status not in ADOPTION_STATUSES:
        raise ValidationError("status", f"status must be one of {', '.join(ADOPTION_STATUSES)}")
    now = now or utcnow()
    adoption.status = status
    if note not in (None, ""):
        adoption.note = _note(note)
    adoption.updated_at = now
    db.session.flush()
    idea = adoption.idea
    if status == "running" and idea.status == "implemented" and adoption.office_id != idea.office_id:
        idea.status = "replicated"
        _record(idea, actor, f"Running in {adoption.office.name} too.", now)
    _changed(idea)
    db.session.flush()
    return adoption


def adoptions(idea: Idea) -> list[Adoption]:
    return list(
        db.session.scalars(
            sa.select(Adoption)
            .where(Adoption.idea_id == idea.id)
            .options(so.joinedload(Adoption.office))
            .order_by(Adoption.created_at, Adoption.id)
        )
    )


@dataclass
class TreeNode:
    """One office of the "where it has spread" list: its adoption (if any) and the offices below it."""

    office: Office
    adoption: Adoption | None = None
    origin: bool = False
    children: list[TreeNode] | None = None


def spread_tree(idea: Idea, items: list[Adoption]) -> list[TreeNode]:
    """The idea's own office and the adopting offices, nested under their common ancestors."""
    nodes: dict[int, TreeNode] = {}
    roots: list[TreeNode] = []

    def node_for(office: Office) -> TreeNode:
        if office.id in nodes:
            return nodes[office.id]
        node = nodes[office.id] = TreeNode(office=office, children=[])
        if office.parent is None or office.parent.id == office.id:
            roots.append(node)
        else:
            node_for(office.parent).children.append(node)
        return node

    node_for(idea.office).origin = True
    for adoption in items:
        node_for(adoption.office).adoption = adoption
    return roots


# Recognition ---------------------------------------------------------------------------------------------


def _ever(status: str):
    return sa.exists().where(IdeaStatusChange.idea_id == Idea.id, IdeaStatusChange.status == status)


def outcomes(*, idea_id: int | None = None, author_id: int | None = None) -> dict:
    """What came of an idea, or of all of an author's ideas: posted, answered, piloted, implemented, adopted."""
    where = [Idea.deleted_at.is_(None)]
    where.append(Idea.id == idea_id if idea_id is not None else Idea.author_id == author_id)
    row = db.session.execute(
        sa.select(
            sa.func.count(Idea.id).label("posted"),
            sa.func.count(Idea.first_response_at).label("answered"),
            sa.func.count(sa.case((_ever("piloting"), 1))).label("piloted"),
            sa.func.count(
                sa.case((sa.or_(_ever("implemented"), Idea.status.in_(("implemented", "replicated"))), 1))
            ).label("implemented"),
        ).where(*where)
    ).one()
    adopted_offices = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Adoption.office_id)))
        .join(Idea, Idea.id == Adoption.idea_id)
        .where(*where, Adoption.status != "dropped")
    )
    return {
        "posted": row.posted,
        "answered": row.answered,
        "piloted": row.piloted,
        "implemented": row.implemented,
        "adopted_by_offices": adopted_offices or 0,
    }
