"""The JSON shapes of SPEC section 3, shared by the API and the live events."""

from datetime import datetime

from forum.models import Category, Comment, Idea, User


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def user_dict(user: User) -> dict:
    return {"id": user.id, "name": user.name, "role": user.role, "office": user.office.code}


def category_dict(category: Category) -> dict:
    return {"id": category.id, "name": category.name, "office": category.office.code if category.office else None}


def idea_dict(idea: Idea, comments: list[Comment] | None = None) -> dict:
    data = {
        "id": idea.id,
        "reference": idea.reference,
        "title": idea.title,
        "body": idea.body,
        "body_html": idea.body_html,
        "category": {"id": idea.category.id, "name": idea.category.name},
        "tags": [t.name for t in idea.tags],
        "author": user_dict(idea.author),
        "office": idea.office.code,
        "status": idea.status,
        "closed_reason": idea.closed_reason,
        "duplicate_of": idea.duplicate_of_id,
        "created_at": iso(idea.created_at),
        "edited_at": iso(idea.edited_at),
        "comment_count": idea.comment_count,
        "endorsement_count": idea.endorsement_count,
        "responded": idea.responded,
        # The follow-up clock's state: under FOLLOWUP_ANSWER_SCOPE=responsible an unrelated office's senior
        # reply makes the idea `responded` but not `answered`.
        "answered": idea.answered,
        "first_response_at": iso(idea.first_response_at),
    }
    if comments is not None:
        data["comments"] = [comment_dict(c) for c in comments]
    return data


def comment_dict(comment: Comment) -> dict:
    return {
        "id": comment.id,
        "idea_id": comment.idea_id,
        "parent_id": comment.parent_id,
        "author": user_dict(comment.author),
        "body": comment.body,
        "body_html": comment.body_html,
        "created_at": iso(comment.created_at),
        "edited_at": iso(comment.edited_at),
        "deleted": comment.is_deleted,
        "official": comment.official,
        # Whether the idea is answered (its clock stopped) as of this comment: the live page marks it
        # answered only then, not for an unrelated office's official reply.
        "idea_answered": comment.idea.answered,
    }
