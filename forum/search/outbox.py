"""Record what the index must refresh, in the same transaction as the change.

Whoosh: an outbox row, drained into the index after the commit. PostgreSQL: the
documents are written just before the commit, in the same transaction, so a post
is searchable exactly when it is saved.
"""

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from forum.effects import after_commit
from forum.extensions import db
from forum.models import SearchOutbox
from forum.search import pg, service, worker

_PENDING = "forum_search_pending"


def record(doc_type: str, doc_id: int) -> None:
    """Mark a document for (re)indexing; the indexer is woken after the commit."""
    if current_app.config.get("SEARCH_BACKEND") == "postgres":
        db.session.info.setdefault(_PENDING, set()).add((doc_type, doc_id))
        return
    db.session.add(SearchOutbox(doc_type=doc_type, doc_id=doc_id))
    after_commit(worker.wake)


def _write_pending(session: so.Session) -> None:
    refs = session.info.pop(_PENDING, None)
    if not refs:
        return
    session.flush()
    docs, removed, removed_ideas = service.documents_for(session, refs)
    pg.write(session.connection(), docs, removed, removed_ideas)


def _drop_pending(session: so.Session) -> None:
    session.info.pop(_PENDING, None)


def install() -> None:
    """Write PostgreSQL search documents in the committing transaction (idempotent)."""
    if not sa.event.contains(so.Session, "before_commit", _write_pending):
        sa.event.listen(so.Session, "before_commit", _write_pending)
        sa.event.listen(so.Session, "after_rollback", _drop_pending)
