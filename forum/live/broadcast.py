"""The one way the server pushes live events; always after the database commit."""

from forum.effects import after_commit
from forum.extensions import socketio
from forum.live.registry import registry


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


def token_sockets_key(token_id: int) -> str:
    """The registry entry listing the sockets opened with one API token (revoking it ends them)."""
    return f"token:{token_id}"


def _disconnect(key: int | str) -> None:
    for sid in registry().sockets(key):
        socketio.server.disconnect(sid, namespace="/")


def disconnect_user(user_id: int) -> None:
    """Queue: disconnect every socket of this user, in every process (through the message queue)."""
    after_commit(_disconnect, user_id)


def disconnect_token(token_id: int) -> None:
    """Queue: disconnect every socket opened with this API token, in every process."""
    after_commit(_disconnect, token_sockets_key(token_id))
