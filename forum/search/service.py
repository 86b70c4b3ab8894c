"""Search rules: user queries to result pages (what is indexed: forum/search/documents.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.domain_errors import ValidationError
from forum.ideas.rendering import markdown_text
from forum.models import Category, Comment, Idea, Office, User
from forum.search import index, pg, text

MAX_QUERY_LENGTH = index.MAX_QUERY_LENGTH
PER_PAGE = 10


@dataclass(frozen=True)
class Engine:
    """Which engine answers (SEARCH_BACKEND) and where Whoosh keeps its index: the settings every search takes."""

    backend: str = "whoosh"
    index_dir: str = ""

    @classmethod
    def from_config(cls, config: Mapping) -> Engine:
        return cls(backend=config.get("SEARCH_BACKEND") or "whoosh", index_dir=str(config.get("SEARCH_INDEX_DIR", "")))

    @property
    def postgres(self) -> bool:
        return self.backend == "postgres"


# Queries ------------------------------------------------------------------


def _parse_day(value: str | None, field: str, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(field, f"{field} must be an ISO date such as 2026-01-31") from None
    try:
        if len(value.strip()) == 10:  # a bare date: the whole day counts
            day = date.fromisoformat(value.strip())
            parsed = datetime.combine(day + timedelta(days=1) if end else day, time.min)
        # In UTC now, so that a date at either end of the calendar fails here and not in a query.
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:
        raise ValidationError(field, f"{field} is outside the calendar this search covers") from None


def author_ids(session: so.Session, value: str) -> list[int]:
    """An author given as a user id or a name (exact, then partial, ignoring case)."""
    value = value.strip()
    if value.isdigit() and len(value) <= 18:  # longer is no row id (and overflows a 64-bit parameter)
        return [int(value)]
    name = sa.func.lower(User.name)
    ids = session.scalars(sa.select(User.id).where(name == value.lower())).all()
    if not ids:
        escaped = value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        ids = session.scalars(sa.select(User.id).where(name.like(f"%{escaped}%", escape="\\")).limit(50)).all()
    return list(ids)


def parse_filters(session: so.Session, args: dict) -> dict:
    """Search filters from request arguments; ValidationError names a bad one."""
    filters: dict = {}
    if (args.get("author") or "").strip():
        filters["author_ids"] = author_ids(session, str(args["author"]))
    if (args.get("office") or "").strip():
        filters["office"] = str(args["office"]).strip()
    if (args.get("category") or "").strip():
        raw = str(args["category"]).strip()
        if not raw.isdigit():
            raise ValidationError("category", "category must be a category id")
        filters["category"] = int(raw)
    if args.get("type") in ("idea", "comment"):
        filters["type"] = args["type"]
    filters["since"] = _parse_day(args.get("since"), "since")
    filters["until"] = _parse_day(args.get("until"), "until", end=True)
    return filters


def parse_page(value: object) -> int:
    """A page number; anything else is page 1."""
    try:
        return max(1, min(int(str(value)), index.MAX_PAGES))
    except (TypeError, ValueError):
        return 1


def search(session: so.Session, args: dict, engine: Engine) -> dict:
    """Run a search from request arguments.

    Answers {"items", "total", "page", "pages", "suggestion", "message"}; an
    unsearchable query (empty, only common words) gives no items and a message.
    Raises ValidationError for a query over MAX_QUERY_LENGTH or a bad filter.
    """
    q = str(args.get("q") or "")
    page = parse_page(args.get("page") or 1)
    if len(q) > MAX_QUERY_LENGTH:
        raise ValidationError("q", f"q must be at most {MAX_QUERY_LENGTH} characters")
    filters = parse_filters(session, args)
    empty = {"items": [], "total": 0, "page": page, "pages": 0, "suggestion": None, "message": None}
    try:
        if not text.clean_query(q) and any(filters.get(k) is not None for k in BROWSE_FILTERS):
            found = browse(session, filters, page, PER_PAGE)
        else:
            found = run_query(session, engine, q, filters, page, PER_PAGE)
    except text.QueryError as exc:
        return {**empty, "message": str(exc)}
    items = result_items(session, found["hits"], found["terms"])
    # Hits whose post was deleted since the last index update are dropped (the worker removes them soon).
    dropped = len(found["hits"]) - len(items)
    total = max(found["total"] - dropped, len(items) + (page - 1) * PER_PAGE) if found["total"] else 0
    pages = max(found["pages"], page) if items else found["pages"]
    return {
        "items": items,
        "total": total,
        "total_exact": found["total_exact"],
        "page": page,
        "pages": pages,
        "suggestion": found["suggestion"],
        "message": None,
    }


# Filters that list posts on their own, without words (newest first, from the database).
BROWSE_FILTERS = ("author_ids", "office", "category", "since", "until")


def browse(session: so.Session, filters: dict, page: int, per_page: int = PER_PAGE) -> dict:
    """Posts matching the filters alone, newest first, in the engine's answer shape (exact total)."""
    idea_where = [Idea.deleted_at.is_(None)]
    if filters.get("office"):
        office_id = sa.select(Office.id).where(sa.func.lower(Office.code) == filters["office"].lower())
        idea_where.append(Idea.office_id.in_(office_id.scalar_subquery()))
    if filters.get("category") is not None:
        idea_where.append(Idea.category_id == filters["category"])
    ideas_q = sa.select(
        sa.literal("idea").label("type"),
        Idea.id.label("id"),
        Idea.id.label("idea_id"),
        Idea.created_at.label("created"),
        Idea.author_id.label("author_id"),
    ).where(*idea_where)
    comments_q = (
        sa.select(
            sa.literal("comment").label("type"),
            Comment.id.label("id"),
            Comment.idea_id.label("idea_id"),
            Comment.created_at.label("created"),
            Comment.author_id.label("author_id"),
        )
        .join(Idea, Idea.id == Comment.idea_id)
        .where(Comment.deleted_at.is_(None), *idea_where)
    )
    parts = {"idea": ideas_q, "comment": comments_q}
    if filters.get("type") in parts:
        parts = {filters["type"]: parts[filters["type"]]}
    posts = sa.union_all(*parts.values()).subquery()
    where = []
    if filters.get("author_ids") is not None:
        where.append(posts.c.author_id.in_(filters["author_ids"] or [-1]))
    if filters.get("since") is not None:
        where.append(posts.c.created >= filters["since"])
    if filters.get("until") is not None:
        where.append(posts.c.created < filters["until"])
    total = session.scalar(sa.select(sa.func.count()).select_from(posts).where(*where)) or 0
    rows = session.execute(
        sa.select(posts.c.type, posts.c.id, posts.c.idea_id)
        .where(*where)
        .order_by(posts.c.created.desc(), posts.c.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    hits = [{"type": r.type, "id": r.id, "idea_id": r.idea_id, "score": None} for r in rows]
    pages = -(-total // per_page)
    return {"hits": hits, "total": total, "total_exact": True, "pages": pages, "suggestion": None,
            "terms": (set(), set())}  # fmt: skip


def run_query(  # noqa: PLR0913
    session: so.Session,
    engine: Engine,
    q: str,
    filters: dict,
    page: int,
    per_page: int = PER_PAGE,
    any_words: bool = False,
) -> dict:
    """The engine's answer (hits, total, pages, suggestion, terms; shared.answer's shape)."""
    if engine.postgres:
        return pg.search(session.connection(), q, filters, page, per_page=per_page, any_words=any_words)
    return index.search(q, filters, page, engine.index_dir, per_page=per_page, any_words=any_words)


SIMILAR_LIMIT = 5


def similar_ideas(  # noqa: PLR0913
    session: so.Session,
    engine: Engine,
    title: str,
    body: str = "",
    exclude_id: int | None = None,
    limit: int = SIMILAR_LIMIT,
) -> list[Idea]:
    """Up to `limit` visible ideas most like this title and body (more-like-this over title and body)."""
    words = text.more_like_this_words(title or "", body or "")
    if not words:
        return []
    try:
        found = run_query(session, engine, " ".join(words), {"type": "idea"}, 1, per_page=limit + 1, any_words=True)
    except text.QueryError:
        return []
    ids = [h["id"] for h in found["hits"] if h["id"] != exclude_id][:limit]
    if not ids:
        return []
    rows = session.scalars(sa.select(Idea).where(Idea.id.in_(ids), Idea.deleted_at.is_(None)))
    by_id = {i.id: i for i in rows}
    return [by_id[i] for i in ids if i in by_id]


def indexed_digests(session: so.Session, engine: Engine) -> dict[str, str]:
    """Every document key the engine holds, with the digest of the content it was indexed from."""
    if engine.postgres:
        return pg.all_digests(session.connection())
    return index.all_digests(engine.index_dir)


def indexed_keys(session: so.Session, engine: Engine) -> set[str]:
    """Every document key the engine holds."""
    return set(indexed_digests(session, engine))


def result_items(session: so.Session, hits: list[dict], terms: tuple[set[str], set[str]]) -> list[dict]:
    """The page items of engine hits: title, escaped snippets, reference; hits of deleted posts are dropped."""
    idea_ids = {h["idea_id"] for h in hits}
    comment_ids = {h["id"] for h in hits if h["type"] == "comment"}
    ideas = {i.id: i for i in session.scalars(sa.select(Idea).where(Idea.id.in_(idea_ids)))} if idea_ids else {}
    comments = (
        {c.id: c for c in session.scalars(sa.select(Comment).where(Comment.id.in_(comment_ids)))} if comment_ids else {}
    )
    items = []
    for hit in hits:
        idea = ideas.get(hit["idea_id"])
        if idea is None or idea.is_deleted:
            continue
        if hit["type"] == "comment":
            comment = comments.get(hit["id"])
            if comment is None or comment.is_deleted:
                continue
            author = comment.author
            body_text = comment.body
        else:
            author = idea.author
            body_text = idea.body
        items.append(
            {
                "type": hit["type"],
                "id": hit["id"],
                "idea_id": idea.id,
                "title": idea.title,
                "title_html": text.snippet(idea.title, terms, length=400),
                # What a reader sees of the Markdown, so no `**` or `##` shows in a snippet.
                "snippet": text.snippet(markdown_text(body_text), terms),
                "author": author.name if author is not None else None,
                "score": hit["score"],
                "reference": idea.reference,
                "created_at": (comment.created_at if hit["type"] == "comment" else idea.created_at).isoformat(),
            }
        )
    return items


def filter_choices(session: so.Session) -> dict:
    """Offices and categories for the search form."""
    return {
        "offices": session.scalars(sa.select(Office).order_by(Office.name)).all(),
        "categories": session.scalars(sa.select(Category).order_by(Category.name)).all(),
    }
