"""Rate limits for socket events, which Flask-Limiter (HTTP only) does not see.

Counted with `limits`, the library under Flask-Limiter, in the storage Flask-Limiter
uses (RATELIMIT_STORAGE_URI: memory:// counts in this process, redis:// across every
process), and switched off with it by RATELIMIT_ENABLED.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

# The same budget as the API's POST /ideas/<id>/comments.
DEFAULT_COMMENT_LIMIT = "60 per minute"


@dataclass(frozen=True)
class Throttle:
    """One app's socket-event limiter: a strategy over the shared storage, and the limit for comments."""

    limiter: FixedWindowRateLimiter
    comment_limit: RateLimitItem
    prefix: str = ""

    def allow_comment(self, user_id: int) -> bool:
        """Count one post_comment by this user; False once they are over the limit."""
        return self.limiter.hit(self.comment_limit, self.prefix, "live", "post_comment", str(user_id))


def _enabled(value: object) -> bool:
    # The app may be configured from the environment's strings as well as from booleans.
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no", "off")
    return bool(value)


def init_throttle(app: Flask) -> Throttle | None:
    """This app's throttle, or None when rate limiting is off."""
    throttle = None
    if _enabled(app.config.get("RATELIMIT_ENABLED", True)):
        storage = storage_from_string(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
        limit = parse(app.config.get("LIVE_COMMENT_RATE_LIMIT") or DEFAULT_COMMENT_LIMIT)
        # Flask-Limiter's key prefix keeps several forums (or test runs) on one Redis apart.
        throttle = Throttle(FixedWindowRateLimiter(storage), limit, app.config.get("RATELIMIT_KEY_PREFIX") or "")
    app.extensions["forum_live_throttle"] = throttle
    return throttle


def throttle() -> Throttle | None:
    """The current app's throttle, made on first use (a memory:// storage starts a timer thread)."""
    extensions = current_app.extensions
    if "forum_live_throttle" in extensions:
        return extensions["forum_live_throttle"]
    return init_throttle(current_app)
