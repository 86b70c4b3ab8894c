"""Record what the index must refresh, in the same transaction as the change.

A service calls record() while it changes a post; when the transaction commits,
the refs are written for the configured engine, inside that transaction.
Whoosh: outbox rows, drained into the index after the commit (a crash in between
leaves the rows, so the index heals). PostgreSQL: the documents themselves, so a
post is searchable exactly when it is saved.
"""

from collections.abc import Iterable

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from forum.effects import after_commit
from forum.extensions import db
from forum.models import SearchOutbox, utcnow
from forum.search import documents, pg, service, worker

_PENDING = "forum_search_pending"
# A plain INSERT rather than new objects (at commit, those would cost a second unit-of-work flush); built
# once, as every post runs it.
_INSERT_ROWS = sa.insert(SearchOutbox.__table__)


def record(doc_type: str, doc_id: int) -> None:
    """Mark a document for (re)indexing when the current transaction commits."""
    db.session.info.setdefault(_PENDING, set()).add((doc_type, doc_id))


def write_pending(session: so.Session, refs: Iterable[tuple[str, int]], engine: service.Engine) -> None:
    """Write the engine's part of the transaction: the documents (PostgreSQL) or outbox rows and a wake (Whoosh)."""
    refs = sorted(refs)
    if engine.postgres:
        session.flush()
        docs, removed, removed_ideas = documents.documents_for(session, refs)
        pg.write(session.connection(), docs, removed, removed_ideas)
        return
    now = utcnow()
    session.execute(_INSERT_ROWS, [{"doc_type": t, "doc_id": i, "created_at": now} for t, i in refs])
    after_commit(worker.wake)


def _write_pending(session: so.Session) -> None:
    refs = session.info.pop(_PENDING, None)
    if refs:
        # A session event is the edge here: the app's settings are read once, then passed down.
        write_pending(session, refs, service.Engine.from_config(current_app.config))


def _drop_pending(session: so.Session) -> None:
    session.info.pop(_PENDING, None)


def install() -> None:
    """Write pending search work in the committing transaction, for either engine (idempotent)."""
    if not sa.event.contains(so.Session, "before_commit", _write_pending):
        sa.event.listen(so.Session, "before_commit", _write_pending)
        sa.event.listen(so.Session, "after_rollback", _drop_pending)
