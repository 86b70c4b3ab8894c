"""Socket.IO handlers of the default namespace: connect, idea rooms, posting comments.

A socket keeps the Flask session as it was at connect time, so every handler
re-checks its user against the database (session version, token revocation,
account status) and disconnects a user who logged out or was deactivated. On
top of that, ending a user's sessions disconnects their sockets everywhere
right after the commit (accounts.service.end_sessions queues live.broadcast.disconnect_user).
"""

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import current_app, request
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, disconnect, join_room, leave_room
from werkzeug.exceptions import HTTPException

from forum.accounts import service as accounts
from forum.domain_errors import DomainError, ValidationError
from forum.extensions import db, socketio
from forum.ideas import service as ideas
from forum.ideas.serializers import comment_dict
from forum.live.broadcast import idea_room, token_sockets_key, user_room
from forum.live.presence import presence
from forum.live.registry import registry
from forum.live.throttle import throttle
from forum.models import User
from forum.security.sessions import socket_session_is_fresh
from forum.security.unavailable import UNAVAILABLE, is_unavailable
from forum.validation import parse_int

# Per socket of this process: how it authenticated, and the idea rooms it joined.
# ("cookie", user_id, session_version) or ("token", user_id, raw token): enough to re-check later.
_identities: dict[str, tuple[str, int, int | str]] = {}
_joined: dict[str, set[int]] = {}
_token_ids: dict[str, int] = {}


def _token_max_age() -> timedelta:
    return timedelta(days=float(current_app.config["API_TOKEN_DAYS"]))


def _authenticate(auth: object) -> tuple[User, tuple[str, int, int | str], int | None] | None:
    """The user behind a handshake (an API token in `auth`, else the session cookie), and the token's id."""
    if isinstance(auth, dict) and auth.get("token") is not None:
        token = accounts.valid_token(auth["token"], _token_max_age())
        if token is None:
            return None
        return token.user, ("token", token.user.id, auth["token"]), token.id
    if current_user.is_authenticated and current_user.is_active and socket_session_is_fresh(current_app):
        return current_user._get_current_object(), ("cookie", current_user.id, current_user.session_version), None
    return None


def _recheck(identity: tuple[str, int, int | str] | None) -> User | None:
    """The socket's user if their session or token is still valid, else None."""
    if identity is None:
        return None
    kind, user_id, proof = identity
    if kind == "token":
        user = accounts.user_for_token(proof, _token_max_age())
        return user if user is not None and user.id == user_id else None
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or user.session_version != proof:
        return None
    return user


def authenticated(handler: Callable) -> Callable:
    """Pass the socket's re-checked user to the handler, or disconnect the socket."""

    @wraps(handler)
    def wrapped(*args: Any) -> Any:
        user = _recheck(_identities.get(request.sid))
        if user is None:
            _end_transaction()
            disconnect()
            return {"ok": False, "error": "not authenticated"}
        return handler(user, *args)

    return wrapped


def _end_transaction() -> None:
    """Close the read transaction before Redis or socket I/O.

    Under gevent, I/O yields to other greenlets; on SQLite every transaction
    holds the write lock (BEGIN IMMEDIATE), and a greenlet waiting for it blocks
    the whole process, so a transaction left open across I/O stalls the worker.
    """
    db.session.commit()


def _idea_id(data: object) -> int:
    if not isinstance(data, dict):
        raise ValidationError("data", "the event data must be an object")
    return parse_int(data.get("idea_id"), "idea_id")


@socketio.on("connect")
def on_connect(auth=None):
    """Sent by every client on opening; refused without a valid cookie or token. Joins the user's room."""
    found = _authenticate(auth)
    if found is None:
        raise ConnectionRefusedError("authentication required")
    user, identity, token_id = found
    user_id = user.id
    _end_transaction()
    _identities[request.sid] = identity
    join_room(user_room(user_id))
    registry().add_socket(user_id, request.sid)
    if token_id is not None:
        _token_ids[request.sid] = token_id
        registry().add_socket(token_sockets_key(token_id), request.sid)


@socketio.on("disconnect")
def on_disconnect(reason=None):
    """Sent when a client goes away (or the server drops it); updates the viewers of its rooms."""
    identity = _identities.pop(request.sid, None)
    rooms = _joined.pop(request.sid, set())
    token_id = _token_ids.pop(request.sid, None)
    if identity is not None:
        registry().remove_socket(identity[1], request.sid)
    if token_id is not None:
        registry().remove_socket(token_sockets_key(token_id), request.sid)
    for idea_id in rooms:
        registry().remove_viewer(idea_id, request.sid)
        presence().changed(idea_id)


@socketio.on("join_idea")
@authenticated
def join_idea(user: User, data=None):
    """Sent by a client opening an idea page; adds it to the idea's room. The room hears `viewers` (coalesced)."""
    idea_id = ideas.get_idea(_idea_id(data)).id
    user_id, name = user.id, user.name
    _end_transaction()
    join_room(idea_room(idea_id))
    _joined.setdefault(request.sid, set()).add(idea_id)
    registry().add_viewer(idea_id, request.sid, user_id, name)
    presence().changed(idea_id)
    return {"ok": True}


@socketio.on("leave_idea")
@authenticated
def leave_idea(user: User, data=None):
    """Sent by a client leaving an idea page; removes it from the room. The room hears `viewers` (coalesced)."""
    idea_id = _idea_id(data)
    _end_transaction()
    if idea_id not in _joined.get(request.sid, set()):
        return {"ok": False, "error": "not in this idea's room"}
    leave_room(idea_room(idea_id))
    _joined[request.sid].discard(idea_id)
    registry().remove_viewer(idea_id, request.sid)
    presence().changed(idea_id)
    return {"ok": True}


@socketio.on("post_comment")
@authenticated
def post_comment(user: User, data=None):
    """Sent by a client commenting; the room gets comment_created after the commit, as from a page or the API.

    Limited per user like the API's comment endpoint; past the limit the ack is {"ok": false, "error": "rate limited"}.
    """
    limits = throttle()
    if limits is not None:
        user_id = user.id
        _end_transaction()  # the count may live in Redis
        if not limits.allow_comment(user_id):
            return {"ok": False, "error": "rate limited"}
    idea = ideas.get_idea(_idea_id(data))
    comment = ideas.add_comment(
        idea, user, data.get("body"), data.get("parent_id"), answer_scope=current_app.config["FOLLOWUP_ANSWER_SCOPE"]
    )
    payload = comment_dict(comment)  # before the commit expires the attributes
    db.session.commit()
    return {"ok": True, "comment": payload}


@socketio.on_error_default
def on_error(error: Exception) -> dict:
    """Any handler's failure becomes an {"ok": false} ack; nothing half-written stays."""
    try:
        db.session.rollback()
    except UNAVAILABLE:
        pass  # the database is out of reach: nothing to roll back that it kept
    if is_unavailable(error):
        # PostgreSQL or Redis down for a moment: the client may send the same event again (nothing was saved).
        return {"ok": False, "error": "unavailable", "retry": True}
    if isinstance(error, ValidationError):
        return {"ok": False, "error": error.message, "field": error.field}
    if isinstance(error, DomainError):
        return {"ok": False, "error": error.message}
    if isinstance(error, HTTPException):
        return {"ok": False, "error": error.description}
    current_app.logger.exception("socket handler failed", exc_info=error)
    return {"ok": False, "error": "server error"}
