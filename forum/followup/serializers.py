"""The flag shape of SPEC section 3, shared by the API and the pages."""

from forum.ideas.serializers import iso
from forum.models import Flag, FlagEvent


def flag_dict(flag: Flag) -> dict:
    return {
        "id": flag.id,
        "idea_id": flag.idea_id,
        "kind": flag.kind,
        "reference": flag.idea.reference,
        "title": flag.idea.title,
        "reason": flag.reason,
        "level": flag.level,
        "assigned_office": flag.assigned_office.code,
        "created_at": iso(flag.created_at),
        "level_since": iso(flag.level_since),
        "status": flag.status,
        "resolved_at": iso(flag.resolved_at),
        "resolution_note": flag.resolution_note,
    }


def event_dict(event: FlagEvent) -> dict:
    return {
        "action": event.action,
        "level": event.level,
        "office": event.office.code if event.office else None,
        "actor": event.actor.name if event.actor else None,
        "note": event.note,
        "created_at": iso(event.created_at),
    }
