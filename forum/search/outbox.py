"""Record what the index must refresh, in the same transaction as the change."""

from forum.effects import after_commit
from forum.extensions import db
from forum.models import SearchOutbox


def record(doc_type: str, doc_id: int) -> None:
    """Mark a document for (re)indexing; the indexer is woken after the commit."""
    db.session.add(SearchOutbox(doc_type=doc_type, doc_id=doc_id))
    after_commit(_wake)


def _wake() -> None:
    from forum.search import worker

    worker.wake()
