"""Saved searches, and notifying their owners when a new idea or comment matches.

Matching runs after the commit, in the search worker (forum/search/worker.py), off the request:
a burst of posts is matched in one pass. It never scans every saved
search: each one that notifies has its query's terms in saved_search_terms, so
a post is tested only against the saved searches that share a term with it
(one indexed query), then exactly (every word, phrases in order, filters).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, current_app, has_app_context

from forum.domain_errors import ValidationError
from forum.effects import after_commit
from forum.extensions import db
from forum.models import Comment, Idea, SavedSearch, SavedSearchTerm, User
from forum.notifications.service import notify_many
from forum.search import documents, service, text, worker

MAX_PER_USER = 100
FILTER_KEYS = ("author", "office", "category")
_NEW_POSTS = "forum_saved_search_new_posts"
_QUEUE = "saved_search_queue"  # posts committed, not yet matched (app.extensions)
_QUEUE_LOCK = threading.Lock()


# Saving -------------------------------------------------------------------


def _clean_filters(filters: object) -> dict:
    if filters is None:
        return {}
    if not isinstance(filters, dict):
        raise ValidationError("filters", "filters must be an object with author, office or category")
    unknown = set(filters) - set(FILTER_KEYS)
    if unknown:
        raise ValidationError("filters", f"unknown filter: {sorted(unknown)[0]}")
    clean = {}
    for key in FILTER_KEYS:
        value = filters.get(key)
        if value is None or str(value).strip() == "":
            continue
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValidationError("filters", f"filters.{key} must be a string")
        value = str(value).strip()[:120]
        if key == "category" and not value.isdigit():
            raise ValidationError("filters", "filters.category must be a category id")
        clean[key] = value
    return clean


def _terms(q: str) -> set[str]:
    parsed = text.parse(q)
    terms = {text.stem(w) for w in parsed.words} | {text.stem(w) for p in parsed.phrases for w in p}
    return terms | set(parsed.references)


def create(user: User, q: object, filters: object = None, notify_me: object = False) -> SavedSearch:
    """Save a search for the user; ValidationError names a bad field."""
    if not isinstance(q, str) or not text.clean_query(q):
        raise ValidationError("q", "q must be a non-empty search")
    q = text.clean_query(q)
    if len(q) > text.MAX_QUERY_LENGTH:
        raise ValidationError("q", f"q must be at most {text.MAX_QUERY_LENGTH} characters")
    try:
        terms = _terms(q)
    except text.QueryError as exc:
        raise ValidationError("q", str(exc)) from None
    if not isinstance(notify_me, bool):
        raise ValidationError("notify", "notify must be true or false")
    clean = _clean_filters(filters)
    count = db.session.scalar(sa.select(sa.func.count(SavedSearch.id)).where(SavedSearch.user_id == user.id))
    if count >= MAX_PER_USER:
        raise ValidationError("q", f"at most {MAX_PER_USER} saved searches: delete one first")
    saved = SavedSearch(user_id=user.id, q=q, filters=clean, notify=notify_me)
    db.session.add(saved)
    db.session.flush()
    if notify_me:
        db.session.add_all(SavedSearchTerm(saved_search_id=saved.id, term=t[:200]) for t in terms)
    return saved


def for_user(user: User) -> list[SavedSearch]:
    """The user's saved searches, newest first."""
    query = sa.select(SavedSearch).where(SavedSearch.user_id == user.id).order_by(SavedSearch.id.desc())
    return list(db.session.scalars(query))


def delete(user: User, saved_id: int) -> bool:
    """Delete one of the user's saved searches; False when it is not theirs (or does not exist)."""
    saved = db.session.get(SavedSearch, saved_id)
    if saved is None or saved.user_id != user.id:
        return False
    db.session.execute(sa.delete(SavedSearchTerm).where(SavedSearchTerm.saved_search_id == saved.id))
    db.session.delete(saved)
    return True


def saved_dict(saved: SavedSearch) -> dict:
    """The API shape of a saved search (SPEC section 7)."""
    return {
        "id": saved.id,
        "q": saved.q,
        "filters": dict(saved.filters or {}),
        "notify": saved.notify,
        "created_at": saved.created_at.isoformat(),
    }


# Matching new posts -------------------------------------------------------


def _collect_new_posts(session: so.Session, _flush_context) -> None:
    """Remember the ideas and comments this flush inserted; match them once the transaction commits."""
    if not has_app_context() or session is not db.session.registry():
        return  # only the app's request/CLI session carries user posts and runs after-commit effects
    new = [("idea", o.id) for o in session.new if isinstance(o, Idea)]
    new += [("comment", o.id) for o in session.new if isinstance(o, Comment)]
    if new:
        note_new_posts(session, new)


def note_new_posts(session: so.Session, new: list[tuple[str, int]]) -> None:
    """Match these ("idea" | "comment", id) posts once the transaction commits: for a post INSERTed by a plain
    statement, which no flush sees."""
    pending = session.info.get(_NEW_POSTS)
    if pending is None:
        pending = session.info[_NEW_POSTS] = []
        after_commit(_match_after_commit, current_app._get_current_object(), pending)
    pending.extend(new)


def _drop(session: so.Session) -> None:
    session.info.pop(_NEW_POSTS, None)


def _match_after_commit(app: Flask, posts: list[tuple[str, int]]) -> None:
    """Hand the committed posts to the search worker: matching is no part of the request that posted."""
    db.session.info.pop(_NEW_POSTS, None)
    with _QUEUE_LOCK:
        app.extensions.setdefault(_QUEUE, []).extend(posts)
    worker.run_later(app, _match_queued, app)


def _match_queued(app: Flask) -> None:
    """Match every post queued so far (a burst of posts is one pass), in the worker's own app context."""
    with _QUEUE_LOCK:
        posts, app.extensions[_QUEUE] = app.extensions.get(_QUEUE, []), []
    if not posts:
        return
    with app.app_context():
        try:
            match_posts(posts)
            db.session.commit()
        except Exception:  # a saved-search notice must never turn a saved post into an error
            db.session.rollback()
            app.logger.exception("saved-search matching failed")
        finally:
            db.session.remove()


def install() -> None:
    """Match new posts against saved searches after each commit (idempotent)."""
    if not sa.event.contains(so.Session, "after_flush", _collect_new_posts):
        sa.event.listen(so.Session, "after_flush", _collect_new_posts)
        sa.event.listen(so.Session, "after_rollback", _drop)


def _posts_fields(posts: list[tuple[str, int]]) -> list[dict]:
    """The searchable fields of each visible post, read as the index reads them (documents.documents_for)."""
    docs, _removed, _removed_ideas = documents.documents_for(db.session, posts)
    fields = []
    for doc in docs:
        title_terms, body_terms = text.terms(doc["title"]), text.terms(doc["body"])
        tag_terms = [t for tag in doc["tags"] for t in text.terms(tag)]
        reference = doc["reference"].lower()
        fields.append(
            {
                "kind": doc["type"],
                "id": doc["id"],
                "idea_id": doc["idea_id"],
                "author_id": doc["author_id"],
                "office": doc["office"].lower(),
                "category": doc["category"],
                "sequences": (title_terms, body_terms),
                "terms": set(title_terms) | set(body_terms) | set(tag_terms) | ({reference} if reference else set()),
                "reference": reference,
            }
        )
    return fields


def _has_phrase(sequences: Iterable[list[str]], phrase: list[str]) -> bool:
    n = len(phrase)
    return any(seq[i : i + n] == phrase for seq in sequences for i in range(len(seq) - n + 1))


def matches(saved: SavedSearch, fields: dict) -> bool:
    """True when the post answers the saved query and its filters, as a search would."""
    try:
        parsed = text.parse(saved.q)
    except text.QueryError:
        return False
    if any(text.stem(w) not in fields["terms"] for w in parsed.words):
        return False
    if any(not _has_phrase(fields["sequences"], [text.stem(w) for w in p]) for p in parsed.phrases):
        return False
    if any(r != fields["reference"] for r in parsed.references):
        return False
    filters = saved.filters or {}
    if filters.get("office") and filters["office"].lower() != fields["office"]:
        return False
    if filters.get("category") and str(fields["category"]) != str(filters["category"]):
        return False
    if filters.get("author"):
        return fields["author_id"] in service.author_ids(db.session, filters["author"])
    return True


def match_posts(posts: Iterable[tuple[str, int]]) -> int:
    """Notify the owners of the saved searches each new post matches; answers how many notices.

    However many posts: one query for the posts, one for every saved search sharing a term with any of
    them, then one INSERT of notifications per post that matched.
    """
    all_fields = [f for f in _posts_fields(list(dict.fromkeys(posts))) if f["terms"]]
    if not all_fields:
        return 0
    terms = sorted({t[:200] for f in all_fields for t in f["terms"]})
    searches: dict[int, SavedSearch] = {}
    terms_of: dict[int, set[str]] = {}
    for saved, term in db.session.execute(
        sa.select(SavedSearch, SavedSearchTerm.term)
        .join(SavedSearchTerm, SavedSearchTerm.saved_search_id == SavedSearch.id)
        .where(SavedSearchTerm.term.in_(terms), SavedSearch.notify.is_(True))
    ):
        searches[saved.id] = saved
        terms_of.setdefault(saved.id, set()).add(term)
    sent = 0
    for fields in all_fields:
        post_terms = {t[:200] for t in fields["terms"]}
        recipients: dict[int, tuple[str, str]] = {}
        idea: Idea | None = None  # loaded for the first match only: most posts match no saved search
        for saved_id in sorted(searches):
            saved = searches[saved_id]
            if saved.user_id == fields["author_id"] or saved.user_id in recipients:
                continue
            if not terms_of[saved_id] & post_terms or not matches(saved, fields):
                continue
            idea = idea or db.session.get(Idea, fields["idea_id"])
            what = "idea" if fields["kind"] == "idea" else "comment on"
            recipients[saved.user_id] = (
                "saved_search",
                f"New {what} “{idea.title}” matches your saved search “{saved.q}”",
            )
        if recipients:
            comment = db.session.get(Comment, fields["id"]) if fields["kind"] == "comment" else None
            notify_many(recipients, idea, comment)
            sent += len(recipients)
    return sent
