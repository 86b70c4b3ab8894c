"""JSON shapes of SPEC section 7 for an idea's history and adoptions."""

from forum.ideas.serializers import iso, user_dict
from forum.models import Adoption, IdeaStatusChange


def change_dict(change: IdeaStatusChange) -> dict:
    return {
        "status": change.status,
        "reason": change.reason,
        "duplicate_of": change.duplicate_of_id,
        "note": change.note,
        "by": user_dict(change.actor) if change.actor is not None else None,
        "at": iso(change.at),
    }


def adoption_dict(adoption: Adoption) -> dict:
    return {
        "id": adoption.id,
        "idea_id": adoption.idea_id,
        "office": adoption.office.code,
        "status": adoption.status,
        "note": adoption.note,
        "created_at": iso(adoption.created_at),
        "updated_at": iso(adoption.updated_at),
    }
