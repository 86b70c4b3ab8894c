"""The one way the server pushes live events; always after the database commit."""

from forum.effects import after_commit
from forum.extensions import socketio


def idea_room(idea_id: int) -> str:
    return f"idea:{idea_id}"


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def _emit(event: str, payload: dict, room: str) -> None:
    socketio.emit(event, payload, to=room)


def comment_event(event: str, comment: dict) -> None:
    """Queue comment_created/updated/deleted for everyone in the idea's room."""
    after_commit(_emit, event, {"idea_id": comment["idea_id"], "comment": comment}, idea_room(comment["idea_id"]))


def notification_event(user_id: int, payload: dict) -> None:
    """Queue a notification to every tab and process where the user is connected."""
    after_commit(_emit, "notification", payload, user_room(user_id))
