"""What the search index holds: the document of each visible idea and comment, read from the database."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.models import Comment, Idea, Office, SearchOutbox, Tag, idea_tags
from forum.search import shared


def idea_doc(idea: Idea) -> dict:
    """The index document of an idea."""
    return {
        "key": f"idea:{idea.id}",
        "type": "idea",
        "id": idea.id,
        "idea_id": idea.id,
        "title": idea.title,
        "body": idea.body,
        "tags": [t.name for t in idea.tags],
        "author_id": idea.author_id,
        "office": idea.office.code if idea.office else "",
        "category": idea.category_id,
        "reference": idea.reference or "",
        "created": idea.created_at,
    }


def comment_doc(comment: Comment) -> dict:
    """The index document of a comment; filters (office, category) follow its idea."""
    idea = comment.idea
    return {
        "key": f"comment:{comment.id}",
        "type": "comment",
        "id": comment.id,
        "idea_id": comment.idea_id,
        # The idea's title is shown with the hit but not indexed: it would rank every comment as the idea.
        "title": "",
        "body": comment.body,
        "tags": [],
        "author_id": comment.author_id,
        "office": idea.office.code if idea.office else "",
        "category": idea.category_id,
        "reference": "",
        "created": comment.created_at,
    }


def documents_for(session: so.Session, refs: Iterable[tuple[str, int]]) -> tuple[list[dict], list[str], list[int]]:
    """Current state of the referenced posts: (docs to write, keys to remove, ideas whose docs all go)."""
    idea_ids = sorted({i for t, i in refs if t == "idea"})
    comment_ids = sorted({i for t, i in refs if t == "comment"})
    docs, removed, removed_ideas = [], [], []
    if idea_ids:
        found = session.scalars(
            sa.select(Idea).where(Idea.id.in_(idea_ids)).options(so.selectinload(Idea.tags), so.joinedload(Idea.office))
        ).all()
        seen = set()
        for idea in found:
            seen.add(idea.id)
            if idea.is_deleted:
                removed_ideas.append(idea.id)
            else:
                docs.append(idea_doc(idea))
        removed_ideas += [i for i in idea_ids if i not in seen]
    if comment_ids:
        found = session.scalars(
            sa.select(Comment)
            .where(Comment.id.in_(comment_ids))
            .options(so.joinedload(Comment.idea).joinedload(Idea.office))
        ).all()
        seen = set()
        for comment in found:
            seen.add(comment.id)
            if comment.is_deleted or comment.idea.is_deleted:
                removed.append(f"comment:{comment.id}")
            else:
                docs.append(comment_doc(comment))
        removed += [f"comment:{i}" for i in comment_ids if i not in seen]
    return docs, removed, removed_ideas


def all_documents(session: so.Session, batch: int = 2000) -> Iterator[dict]:
    """Every visible idea and comment, read in batches by id with plain column queries (fast for a rebuild)."""
    last = 0
    while True:
        rows = session.execute(
            sa.select(
                Idea.id,
                Idea.title,
                Idea.body,
                Idea.author_id,
                Office.code,
                Idea.category_id,
                Idea.reference,
                Idea.created_at,
            )
            .join(Office, Office.id == Idea.office_id)
            .where(Idea.id > last, Idea.deleted_at.is_(None))
            .order_by(Idea.id)
            .limit(batch)
        ).all()
        if not rows:
            break
        tags: dict[int, list[str]] = {}
        for idea_id, name in session.execute(
            sa.select(idea_tags.c.idea_id, Tag.name)
            .join(Tag, Tag.id == idea_tags.c.tag_id)
            .where(idea_tags.c.idea_id.in_([r.id for r in rows]))
        ):
            tags.setdefault(idea_id, []).append(name)
        for r in rows:
            yield {
                "key": f"idea:{r.id}", "type": "idea", "id": r.id, "idea_id": r.id, "title": r.title,
                "body": r.body, "tags": tags.get(r.id, []), "author_id": r.author_id, "office": r.code,
                "category": r.category_id, "reference": r.reference or "", "created": r.created_at,
            }  # fmt: skip
        last = rows[-1].id
    last = 0
    while True:
        rows = session.execute(
            sa.select(Comment.id, Comment.idea_id, Comment.body, Comment.author_id, Office.code, Idea.category_id,
                      Comment.created_at)
            .join(Idea, Idea.id == Comment.idea_id)
            .join(Office, Office.id == Idea.office_id)
            .where(Comment.id > last, Comment.deleted_at.is_(None), Idea.deleted_at.is_(None))
            .order_by(Comment.id)
            .limit(batch)
        ).all()  # fmt: skip
        if not rows:
            break
        for r in rows:
            yield {
                "key": f"comment:{r.id}", "type": "comment", "id": r.id, "idea_id": r.idea_id, "title": "",
                "body": r.body, "tags": [], "author_id": r.author_id, "office": r.code, "category": r.category_id,
                "reference": "", "created": r.created_at,
            }  # fmt: skip
        last = rows[-1].id


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
