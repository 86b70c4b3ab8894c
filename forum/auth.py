"""Who is viewing: the signed-in user loaded once per request (with their unread count), and role checks."""

from collections.abc import Callable
from functools import wraps

import sqlalchemy as sa
from flask import abort, g, has_request_context
from flask_login import current_user, login_required

from forum.extensions import db
from forum.models import Notification, User


def _viewer_select() -> sa.Select:
    unread = (
        sa.select(sa.func.count(Notification.id))
        .where(Notification.user_id == User.id, Notification.read_at.is_(None))
        .correlate(User)
        .scalar_subquery()
    )
    return sa.select(User, unread).where(User.id == sa.bindparam("user_id"))


_VIEWER_SELECT = _viewer_select()  # built once: constructing it costs more than running it


def load_viewer(user_id: int, session_version: str) -> User | None:
    """The session's user, if the session is still valid, and their unread notifications, in one query.

    The count goes to `g` for the page header (forum/__init__.py inject_globals), as it stands when the
    request starts; the user goes to `g` for current_viewer().
    """
    row = db.session.execute(_VIEWER_SELECT, {"user_id": user_id}).one_or_none()
    if row is None or str(row[0].session_version) != session_version:
        return None
    g.unread_notifications = row[1]
    g.forum_viewer = row[0]
    return row[0]


def current_viewer():
    """current_user's own object, for templates that read it dozens of times (each proxy read is a lookup).

    It is the user load_viewer() loaded, while Flask-Login still has that user signed in; anything else
    (anonymous, a login or logout during the request, no request) gets the proxy itself.
    """
    if not has_request_context():
        return current_user
    viewer_id = current_user.get_id()  # loads the user on first use
    user = g.get("forum_viewer")
    if user is not None and viewer_id is not None and user.get_id() == viewer_id:
        return user
    return current_user


def role_required(*roles: str) -> Callable:
    """Logged in and holding one of `roles`, or 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
