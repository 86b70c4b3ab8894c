"""Who counts as answering an idea: the rule behind FOLLOWUP_ANSWER_SCOPE.

`responsible` (the default): a senior official of the idea's responsible office or of any office
above it, or of the office its flag was assigned to (or above that one). A senior reply from an
unrelated office is still an official reply, but the idea keeps waiting. `any`: every senior reply
stops the clock (the earlier rule).
"""

from __future__ import annotations

import sqlalchemy as sa

from forum.extensions import db
from forum.followup.rules import OfficeTree
from forum.models import Comment, Flag, Idea, User

SCOPES = ("responsible", "any")


def answer_scope(value: object) -> str:
    """FOLLOWUP_ANSWER_SCOPE as given (the callers read it from the config at their edge); unknown: responsible."""
    return value if value in SCOPES else "responsible"


def answering_offices(idea: Idea) -> set[int]:
    """Offices whose senior officials stop the idea's clock: the responsible chain and the flag's chain."""
    tree = OfficeTree.lazy()
    offices = set(tree.chain(tree.responsible(idea.category.office_id, idea.office_id)))
    flag_office = db.session.scalar(
        sa.select(Flag.assigned_office_id).where(Flag.idea_id == idea.id, Flag.kind == "unanswered")
    )
    if flag_office is not None:
        offices.update(tree.chain(flag_office))
    return offices


def counts_as_answer(idea: Idea, author: User, scope: str = "responsible") -> bool:
    """Whether a comment by `author` answers the idea (stops its follow-up clock)."""
    if not author.is_senior:
        return False
    if answer_scope(scope) == "any":
        return True
    return author.office_id in answering_offices(idea)


def unrelated_official_replies(idea: Idea) -> list[Comment]:
    """Official replies that did not stop the clock (seniors of offices outside the answering ones)."""
    offices = answering_offices(idea)
    comments = db.session.scalars(
        sa.select(Comment)
        .join(User, User.id == Comment.author_id)
        .where(Comment.idea_id == idea.id, Comment.official, Comment.deleted_at.is_(None))
        .order_by(Comment.created_at)
    )
    return [c for c in comments if c.author.office_id not in offices]
