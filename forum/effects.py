"""Work that must happen only after the database commit: live events, index updates.

A service queues an effect with `after_commit(fn, *args)`; it runs once the
surrounding transaction commits, and is dropped if it rolls back. So no client
ever sees, and no index ever holds, a change that was rolled back.
"""

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import current_app

from forum.extensions import db

_KEY = "forum_after_commit"


def after_commit(fn: Callable[..., Any], *args: Any) -> None:
    """Run fn(*args) after the current transaction commits."""
    db.session.info.setdefault(_KEY, []).append((fn, args))


def after_commit_once(fn: Callable[..., Any], *args: Any) -> None:
    """Like after_commit, but a second call with the same fn and args in one transaction adds nothing."""
    effects = db.session.info.setdefault(_KEY, [])
    if (fn, args) not in effects:
        effects.append((fn, args))


def _run(session) -> None:
    effects = session.info.pop(_KEY, [])
    for fn, args in effects:
        try:
            fn(*args)
        except Exception:  # an effect must never turn a saved change into an error
            current_app.logger.exception("after-commit effect %s failed", getattr(fn, "__name__", fn))


def _drop(session) -> None:
    session.info.pop(_KEY, None)


def init_effects() -> None:
    """Hook the dispatcher to every session (idempotent)."""
    if not sa.event.contains(sa.orm.Session, "after_commit", _run):
        sa.event.listen(sa.orm.Session, "after_commit", _run)
        sa.event.listen(sa.orm.Session, "after_rollback", _drop)
