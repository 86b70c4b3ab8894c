"""GET /healthz: answers "ok" without touching anything. GET /readyz: checks what the forum depends on."""

import sqlalchemy as sa
from flask import Blueprint, current_app

from forum.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Liveness: the process is up and serving requests."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


def _check_database() -> str:
    db.session.execute(sa.text("SELECT 1"))
    db.session.rollback()
    return "ok"


def _redis_urls() -> list[str]:
    urls = {current_app.config.get("SOCKETIO_MESSAGE_QUEUE"), current_app.config.get("RATELIMIT_STORAGE_URI")}
    return sorted(u for u in urls if u and u.startswith(("redis://", "rediss://", "unix://")))


def _check_redis() -> str:
    import redis

    urls = _redis_urls()
    if not urls:
        return "not configured"
    for url in urls:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
    return "ok"


class IndexNeedsRebuild(RuntimeError):
    """The index layout changed and no rebuild has filled the new one yet."""


def _check_index() -> str:
    if current_app.config.get("SEARCH_BACKEND", "whoosh") != "whoosh":
        return "not used"
    from forum.search import index

    index_dir = current_app.config["SEARCH_INDEX_DIR"]
    index.doc_count(index_dir)
    if index.rebuild_needed(index_dir):
        raise IndexNeedsRebuild("run `flask search reindex`")
    return "ok"


@bp.get("/readyz")
def readyz():
    """Readiness: the database, Redis (when configured) and the search index answer; says which is down."""
    checks, ready = {}, True
    for name, check in (("database", _check_database), ("redis", _check_redis), ("index", _check_index)):
        try:
            checks[name] = check()
        except Exception as exc:  # any failure of a dependency means "not ready", and says why
            current_app.logger.warning("readyz: %s is down: %s", name, exc)
            # The reason goes to the log only: driver messages can name hosts and users.
            checks[name] = f"down ({type(exc).__name__})"
            ready = False
    body = {"status": "ready" if ready else "not ready", "checks": checks}
    return body, 200 if ready else 503, {"Cache-Control": "no-store"}
