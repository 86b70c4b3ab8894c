"""Session lifetimes: an idle timeout and an absolute lifetime for every signed-in browser session."""

import time

from flask import Flask, session
from flask_login import logout_user, user_logged_in

# Stamps kept in the signed session cookie: when the user signed in, and when we last saw them.
AUTH_AT = "auth_at"
SEEN_AT = "seen_at"
# The last-seen stamp is refreshed at most this often, so a busy page does not rewrite the cookie every request.
SEEN_RESOLUTION = 60


def _stamp(sender: Flask, user: object, **extra: object) -> None:
    now = int(time.time())
    session[AUTH_AT] = now
    session[SEEN_AT] = now


def session_is_fresh(idle_seconds: int, max_seconds: int, now: float | None = None) -> bool:
    """True when the signed-in session is within both its idle timeout and its absolute lifetime."""
    now = time.time() if now is None else now
    auth_at, seen_at = session.get(AUTH_AT), session.get(SEEN_AT)
    if not isinstance(auth_at, int) or not isinstance(seen_at, int):
        return False  # a session from before these rules, or a forged one without stamps
    return now - auth_at <= max_seconds and now - seen_at <= idle_seconds


def init_sessions(app: Flask) -> None:
    """Stamp each login, and log out a session past its idle timeout or absolute lifetime."""
    user_logged_in.connect(_stamp, app)
    idle = int(app.config["SESSION_IDLE_MINUTES"]) * 60
    lifetime = int(app.config["SESSION_MAX_HOURS"]) * 3600

    @app.before_request
    def expire_stale_session() -> None:
        if "_user_id" not in session:
            return
        now = time.time()
        if not session_is_fresh(idle, lifetime, now):
            logout_user()
            session.pop(AUTH_AT, None)
            session.pop(SEEN_AT, None)
            return
        if now - session[SEEN_AT] >= SEEN_RESOLUTION:
            session[SEEN_AT] = int(now)


def socket_session_is_fresh(app: Flask) -> bool:
    """The same check for a Socket.IO handshake, which runs no before_request hooks."""
    return session_is_fresh(int(app.config["SESSION_IDLE_MINUTES"]) * 60, int(app.config["SESSION_MAX_HOURS"]) * 3600)
