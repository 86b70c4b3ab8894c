"""Follow-up rules: flagging, escalation, resolution."""

from forum.models import Comment, Idea


def record_response(idea: Idea, comment: Comment) -> None:
    """A senior user answered the idea: resolve its open flag (if any)."""


def waiting_on(idea: Idea) -> dict | None:
    """Whom the idea is waiting on: its follow-up state for the idea page (None if answered)."""
    return None
