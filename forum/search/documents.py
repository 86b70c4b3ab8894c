"""What the search index holds: the document of each visible idea and comment, read from the database."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.models import Comment, Idea, Office, SearchOutbox, Tag, idea_tags
from forum.search import shared

# Plain column queries, not mapped objects: the drain after every burst of posts reads its documents with them
# (loading ORM objects with their ideas and offices was most of a drain's database time), and a rebuild reads
# every post with them.
_IDEA_COLUMNS = (
    Idea.id, Idea.title, Idea.body, Idea.author_id, Office.code, Idea.category_id, Idea.reference, Idea.created_at,
    Idea.deleted_at,
)  # fmt: skip
_COMMENT_COLUMNS = (
    Comment.id, Comment.idea_id, Comment.body, Comment.author_id, Office.code, Idea.category_id, Comment.created_at,
    Comment.deleted_at, Idea.deleted_at.label("idea_deleted_at"),
)  # fmt: skip


def _idea_docs(session: so.Session, where: sa.ColumnElement[bool], limit: int | None = None) -> list[dict]:
    """The documents of the ideas matching `where` (deleted ones included; see "deleted"), in id order."""
    query = sa.select(*_IDEA_COLUMNS).join(Office, Office.id == Idea.office_id).where(where).order_by(Idea.id)
    rows = session.execute(query.limit(limit)).all()
    tags: dict[int, list[str]] = {}
    if rows:
        for idea_id, name in session.execute(
            sa.select(idea_tags.c.idea_id, Tag.name)
            .join(Tag, Tag.id == idea_tags.c.tag_id)
            .where(idea_tags.c.idea_id.in_([r.id for r in rows]))
        ):
            tags.setdefault(idea_id, []).append(name)
    return [
        {
            "key": f"idea:{r.id}",
            "type": "idea",
            "id": r.id,
            "idea_id": r.id,
            "title": r.title,
            "body": r.body,
            "tags": tags.get(r.id, []),
            "author_id": r.author_id,
            "office": r.code or "",
            "category": r.category_id,
            "reference": r.reference or "",
            "created": r.created_at,
            "deleted": r.deleted_at is not None,
        }
        for r in rows
    ]


def _comment_docs(session: so.Session, where: sa.ColumnElement[bool], limit: int | None = None) -> list[dict]:
    """The documents of the comments matching `where`, in id order; filters (office, category) follow the idea.

    The idea's title is shown with a hit but not indexed: it would rank every comment as the idea.
    """
    query = (
        sa.select(*_COMMENT_COLUMNS)
        .join(Idea, Idea.id == Comment.idea_id)
        .join(Office, Office.id == Idea.office_id)
        .where(where)
        .order_by(Comment.id)
    )
    return [
        {
            "key": f"comment:{r.id}",
            "type": "comment",
            "id": r.id,
            "idea_id": r.idea_id,
            "title": "",
            "body": r.body,
            "tags": [],
            "author_id": r.author_id,
            "office": r.code or "",
            "category": r.category_id,
            "reference": "",
            "created": r.created_at,
            "deleted": r.deleted_at is not None or r.idea_deleted_at is not None,
        }
        for r in session.execute(query.limit(limit))
    ]


def documents_for(session: so.Session, refs: Iterable[tuple[str, int]]) -> tuple[list[dict], list[str], list[int]]:
    """Current state of the referenced posts: (docs to write, keys to remove, ideas whose docs all go)."""
    idea_ids = sorted({i for t, i in refs if t == "idea"})
    comment_ids = sorted({i for t, i in refs if t == "comment"})
    docs, removed, removed_ideas = [], [], []
    if idea_ids:
        seen = set()
        for doc in _idea_docs(session, Idea.id.in_(idea_ids)):
            seen.add(doc["id"])
            if doc.pop("deleted"):
                removed_ideas.append(doc["id"])
            else:
                docs.append(doc)
        removed_ideas += [i for i in idea_ids if i not in seen]
    if comment_ids:
        seen = set()
        for doc in _comment_docs(session, Comment.id.in_(comment_ids)):
            seen.add(doc["id"])
            if doc.pop("deleted"):
                removed.append(doc["key"])
            else:
                docs.append(doc)
        removed += [f"comment:{i}" for i in comment_ids if i not in seen]
    return docs, removed, removed_ideas


def all_documents(session: so.Session, batch: int = 2000) -> Iterator[dict]:
    """Every visible idea and comment, read in batches by id (fast for a rebuild)."""
    for model, read in ((Idea, _idea_docs), (Comment, _comment_docs)):
        last = 0
        while True:
            docs = read(session, sa.and_(model.id > last, model.deleted_at.is_(None), Idea.deleted_at.is_(None)), batch)
            if not docs:
                break
            for doc in docs:
                del doc["deleted"]
                yield doc
            last = docs[-1]["id"]


def database_digests(session: so.Session) -> dict[str, str]:
    """The key and content digest of every visible idea and comment: what the index must hold, no more, no less."""
    return {doc["key"]: shared.digest(doc) for doc in all_documents(session)}


def document_count(session: so.Session) -> int:
    """How many documents a full reindex writes (for its progress bar)."""
    ideas = session.scalar(sa.select(sa.func.count(Idea.id)).where(Idea.deleted_at.is_(None))) or 0
    comments = session.scalar(sa.select(sa.func.count(Comment.id)).where(Comment.deleted_at.is_(None))) or 0
    return ideas + comments


def requeue_changed_since(session: so.Session, since: datetime) -> int:
    """Queue every post created, edited or deleted since `since` (catch-up after a rebuild)."""
    n = 0
    for model, kind in ((Idea, "idea"), (Comment, "comment")):
        changed = sa.or_(model.created_at >= since, model.edited_at >= since, model.deleted_at >= since)
        for doc_id in session.scalars(sa.select(model.id).where(changed)):
            session.add(SearchOutbox(doc_type=kind, doc_id=doc_id))
            n += 1
    return n
