"""Structured request logs: one JSON line per request with its timing and user, never a secret.

Only the path is logged, never the query string, the headers or the body: those
can carry passwords, bearer tokens and what people searched for.
"""

import json
import logging
import sys
import time

import sqlalchemy as sa
from flask import Flask, g, request
from flask_login import current_user
from werkzeug.wrappers import Response

logger = logging.getLogger("forum.requests")


def _user_id() -> int | None:
    # Only a user already loaded, read from its identity key: the commit expired the object, and logging
    # must not cost a query to reload it.
    user = g.get("user")  # set by the API's bearer-token check
    if user is None and "_login_user" in g and not current_user.is_anonymous:
        user = current_user._get_current_object()
    if user is None:
        return None
    identity = sa.inspect(user).identity
    return identity[0] if identity else None


def init_request_log(app: Flask) -> None:
    """Log every request to `forum.requests` (stderr unless the operator configured a handler)."""
    if not app.config.get("REQUEST_LOG", True):
        return
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False

    @app.before_request
    def start_clock() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        started = g.get("request_started")
        record = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z",
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
            "user": _user_id(),
            "ip": request.remote_addr,
            "bytes": response.calculate_content_length(),
        }
        logger.info(json.dumps(record, separators=(",", ":")))
        return response
