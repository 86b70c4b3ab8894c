"""The PostgreSQL search engine (SEARCH_BACKEND=postgres): full-text search in the forum's own database.

Same inputs and outputs as the Whoosh adapter (forum/search/index.py), same
terms: each document's tsvector is built in Python from forum/search/text.py
(stemmed words with positions; title weight A, tags B, body D) and stored as is,
so PostgreSQL only matches and ranks (the `simple` configuration is never asked
to stem). Documents are written in the transaction that changes the post, so a
post is searchable exactly when it commits.

Ranking at scale: scoring every match of a common word is what made ranked
queries slow (docs/search.md). A cheap candidate stage takes, through the GIN
indexes and without reading any tsvector, the newest CANDIDATES documents whose
title matches and the newest CANDIDATES whose text matches; only those are
ranked with ts_rank_cd. Below CANDIDATES matches that is exact; above it the
total is the planner's estimate and the ranking is over the newest matches.
"""

from __future__ import annotations

import json
import multiprocessing
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSVECTOR

from forum.search import shared, text
from forum.search.text import ParsedQuery

MAX_PAGES = shared.MAX_PAGES
CANDIDATES = 1000
# ts_rank_cd weights for {D, C, B, A}: body, (unused), tags, title. Title over body about 3x, as in Whoosh.
WEIGHTS = "{0.3, 0.3, 0.6, 1.0}"
_MAX_POSITION = 16383  # PostgreSQL's limit for a position in a tsvector
_MAX_POSITIONS_PER_WORD = 256
_MAX_LEXEME_BYTES = 500
_MAX_WORD = 200  # search_words.word's length
_TITLE_GAP = 10  # body positions start after the title's, so a phrase never spans the two

metadata = sa.MetaData()
documents = sa.Table(
    "search_documents",
    metadata,
    sa.Column("key", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("doc_id", sa.Integer, nullable=False),
    sa.Column("idea_id", sa.Integer, nullable=False, index=True),
    sa.Column("author_id", sa.Integer),
    sa.Column("office", sa.String(64), nullable=False),
    sa.Column("category_id", sa.Integer),
    sa.Column("reference", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("title_tsv", TSVECTOR, nullable=False),
    sa.Column("tsv", TSVECTOR, nullable=False),
    # Of the source fields (shared.digest): `flask search check` finds entries not updated after an edit.
    sa.Column("digest", sa.String(32)),
    sa.Index("ix_search_documents_tsv", "tsv", postgresql_using="gin"),
    sa.Index("ix_search_documents_title_tsv", "title_tsv", postgresql_using="gin"),
    # Lets the candidate stage walk a common word's matches newest first and stop at CANDIDATES.
    sa.Index("ix_search_documents_created_at", "created_at"),
)
# Every word ever indexed, unstemmed, for "did you mean" by trigram similarity.
vocabulary = sa.Table(
    "search_words",
    metadata,
    sa.Column("word", sa.String(200), primary_key=True),
    sa.Index("ix_search_words_trgm", "word", postgresql_using="gin", postgresql_ops={"word": "gin_trgm_ops"}),
)
_COLUMNS = [c.name for c in documents.columns]


def create_schema(connection: sa.Connection) -> None:
    """Create the engine's tables and the pg_trgm extension if missing (tests; migrations do it in production)."""
    connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    metadata.create_all(connection)


# Documents to rows ---------------------------------------------------------


@lru_cache(maxsize=200_000)
def _lexeme(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def _tsvector(parts: Iterable[tuple[list[str], int, str]]) -> str:
    """A tsvector literal from (terms, first position, weight letter) parts."""
    positions: dict[str, list[str]] = {}
    for terms, first, weight in parts:
        for pos, term in enumerate(terms, start=first):
            found = positions.get(term)
            if found is None:
                if len(term) * 4 > _MAX_LEXEME_BYTES and len(term.encode()) > _MAX_LEXEME_BYTES:
                    continue
                found = positions[term] = []
            if len(found) < _MAX_POSITIONS_PER_WORD:
                found.append(f"{pos if pos < _MAX_POSITION else _MAX_POSITION}{weight}")
    lexeme = _lexeme
    return " ".join([f"{lexeme(term)}:{','.join(pos)}" for term, pos in positions.items()])


def _analyse(doc: dict) -> tuple[dict, list[str]]:
    """The search_documents row of an index document, and its unstemmed words (for did-you-mean)."""
    stem = text.stem
    title_words = text.words(doc.get("title") or "")
    body_words = text.words(doc.get("body") or "")
    title_terms = [stem(w) for w in title_words]
    body_terms = [stem(w) for w in body_words]
    tag_terms = [t for tag in doc.get("tags") or () for t in text.terms(tag)]
    body_start = len(title_terms) + _TITLE_GAP
    created = doc.get("created") or datetime(1970, 1, 1, tzinfo=UTC)
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    found = {
        "key": doc["key"],
        "kind": doc["type"],
        "doc_id": doc["id"],
        "idea_id": doc["idea_id"],
        "author_id": doc.get("author_id"),
        "office": (doc.get("office") or "").lower(),
        "category_id": doc.get("category") or None,
        "reference": (doc.get("reference") or "").lower(),
        "created_at": created,
        "digest": shared.digest(doc),
        "title_tsv": _tsvector([(title_terms, 1, "A")]),
        "tsv": _tsvector(
            [
                (title_terms, 1, "A"),
                (body_terms, body_start, "D"),
                (tag_terms, body_start + len(body_terms) + _TITLE_GAP, "B"),
            ]
        ),
    }
    return found, title_words + body_words


def row(doc: dict) -> dict:
    """The search_documents row of an index document (the dict documents.py builds)."""
    return _analyse(doc)[0]


_UPSERT = sa.text(
    f"INSERT INTO search_documents ({', '.join(_COLUMNS)}) VALUES ("  # nosec B608
    + ", ".join(f"CAST(:{c} AS tsvector)" if c.endswith("tsv") else f":{c}" for c in _COLUMNS)
    + ") ON CONFLICT (key) DO UPDATE SET "  # nosec B608
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS if c != "key")
)
_ADD_WORDS = sa.text("INSERT INTO search_words (word) SELECT unnest(CAST(:words AS text[])) ON CONFLICT DO NOTHING")


def write(
    connection: sa.Connection, docs: list[dict], removed: Iterable[str] = (), removed_ideas: Iterable[int] = ()
) -> None:
    """Add, replace and remove documents in the caller's transaction."""
    removed, removed_ideas = list(removed), list(removed_ideas)
    if removed:
        connection.execute(sa.text("DELETE FROM search_documents WHERE key = ANY(:keys)"), {"keys": removed})
    if removed_ideas:
        connection.execute(sa.text("DELETE FROM search_documents WHERE idea_id = ANY(:ids)"), {"ids": removed_ideas})
    if docs:
        analysed = [_analyse(d) for d in docs]
        connection.execute(_UPSERT, [r for r, _ in analysed])
        words = {w for _, doc_words in analysed for w in doc_words if len(w) <= _MAX_WORD}
        connection.execute(_ADD_WORDS, {"words": sorted(words)})


def _rows_of(batch: list[dict]) -> tuple[list[tuple], set[str]]:
    """Rows for COPY, and the batch's words (run in the indexing processes)."""
    rows, words = [], set()
    for doc in batch:
        found, doc_words = _analyse(doc)
        rows.append(tuple(found[c] for c in _COLUMNS))
        words.update(doc_words)
    return rows, {w for w in words if len(w) <= _MAX_WORD}


_PART = 1000  # documents per task sent to an indexing process
_COPY_DOCUMENTS = f"COPY search_documents ({', '.join(_COLUMNS)}) FROM STDIN"


def _chunks(docs: Iterable[dict], size: int) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for doc in docs:
        batch.append(doc)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def rebuild(
    connection: sa.Connection,
    docs: Iterable[dict],
    procs: int = 2,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Replace every document with docs in the caller's transaction; searches see the old ones until it commits.

    docs may read from the same connection. The work is pipelined: while the
    `procs` processes analyse one chunk (the slow part), this process reads the
    next chunk and writes the previous one with COPY.
    """
    connection.execute(sa.text("DELETE FROM search_documents"))
    connection.execute(sa.text("DELETE FROM search_words"))
    raw = connection.connection.driver_connection  # psycopg's connection: COPY is not in SQLAlchemy
    words: set[str] = set()
    n = 0

    def copy_in(analysed: Iterable[tuple[list[tuple], set[str]]]) -> None:
        nonlocal n
        with raw.cursor() as cur, cur.copy(_COPY_DOCUMENTS) as copy:
            for rows, part_words in analysed:
                for r in rows:
                    copy.write_row(r)
                words.update(part_words)
                n += len(rows)
                if progress:
                    progress(len(rows))

    pool = multiprocessing.get_context("spawn").Pool(procs) if procs > 1 else None
    try:
        in_flight = None
        for chunk in _chunks(docs, _PART * max(1, procs)):  # reading the next chunk overlaps the analysis
            parts = [chunk[i : i + _PART] for i in range(0, len(chunk), _PART)]
            if pool is None:
                copy_in(map(_rows_of, parts))
                continue
            submitted = pool.map_async(_rows_of, parts)
            if in_flight is not None:
                copy_in(in_flight.get())
            in_flight = submitted
        if in_flight is not None:
            copy_in(in_flight.get())
    finally:
        if pool:
            pool.terminate()
    with raw.cursor() as cur, cur.copy("COPY search_words (word) FROM STDIN") as copy:
        for w in words:
            copy.write_row((w,))
    # Fresh statistics: the planner's row estimate is the "about N" total of large answers.
    connection.execute(sa.text("ANALYZE search_documents"))
    return n


def all_digests(connection: sa.Connection) -> dict[str, str]:
    """Every document key with the digest of the content it was indexed from (for `flask search check`)."""
    return {key: d or "" for key, d in connection.execute(sa.text("SELECT key, digest FROM search_documents"))}


def all_keys(connection: sa.Connection) -> set[str]:
    """Every document key (for checks against the database)."""
    return set(connection.scalars(sa.text("SELECT key FROM search_documents")))


# Searching ----------------------------------------------------------------
# The SQL below is assembled from constant fragments only; every value a user gives is a bound
# parameter (see _where), so bandit's B608 warnings on those lines are marked nosec.


def _tsquery(parsed: ParsedQuery, any_words: bool = False) -> str | None:
    parts = [_lexeme(text.stem(w)) for w in parsed.words]
    parts += ["(" + " <-> ".join(_lexeme(text.stem(w)) for w in p) + ")" for p in parsed.phrases]
    return (" | " if any_words else " & ").join(parts) if parts else None


def _where(filters: dict, tsquery: str | None, references: list[str], column: str = "tsv") -> tuple[str, dict]:
    conds, params = [], {}
    if tsquery:
        conds.append(f"{column} @@ CAST(:q AS tsquery)")
        params["q"] = tsquery
    for i, ref in enumerate(references):
        conds.append(f"reference = :ref{i}")
        params[f"ref{i}"] = ref
    if filters.get("author_ids") is not None:
        conds.append("author_id = ANY(:authors)")
        params["authors"] = list(filters["author_ids"])
    if filters.get("office"):
        conds.append("office = :office")
        params["office"] = str(filters["office"]).lower()
    if filters.get("category") is not None:
        conds.append("category_id = :category")
        params["category"] = int(filters["category"])
    if filters.get("type") in ("idea", "comment"):
        conds.append("kind = :kind")
        params["kind"] = filters["type"]
    if filters.get("since"):
        conds.append("created_at >= :since")
        params["since"] = filters["since"]
    if filters.get("until"):
        conds.append("created_at <= :until")
        params["until"] = filters["until"]
    return " AND ".join(conds) or "TRUE", params


def _estimate(connection: sa.Connection, where: str, params: dict) -> int:
    """The planner's row estimate for the matches (counting them all is the slow part)."""
    plan = connection.execute(sa.text(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM search_documents WHERE {where}"), params)  # nosec B608
    value = plan.scalar()
    plan_json = json.loads(value) if isinstance(value, str) else value
    return int(plan_json[0]["Plan"]["Plan Rows"])


def search(  # noqa: PLR0913 (the Whoosh adapter's signature, plus the connection)
    connection: sa.Connection, query: str, filters: dict | None, page: int, per_page: int = 10, any_words: bool = False
) -> dict:
    """Run a user's query; the same answer as the Whoosh adapter's search() (any_words: more-like-this)."""
    parsed = text.parse(query)
    filters = filters or {}
    page = max(1, min(int(page), MAX_PAGES))
    if filters.get("author_ids") is not None and not list(filters["author_ids"]):
        return shared.answer([], 0, True, page, per_page, None, parsed)
    tsquery = _tsquery(parsed, any_words)
    where, params = _where(filters, tsquery, parsed.references)
    if tsquery:
        title_where, _ = _where(filters, tsquery, parsed.references, column="title_tsv")
        candidates = (
            f"(SELECT key FROM search_documents WHERE {title_where} ORDER BY created_at DESC LIMIT :cap) UNION "  # nosec B608
            f"(SELECT key FROM search_documents WHERE {where} ORDER BY created_at DESC LIMIT :cap)"
        )
        score = "ts_rank_cd(CAST(:weights AS real[]), d.tsv, CAST(:q AS tsquery))"
    else:  # a tracking reference alone
        candidates = f"SELECT key FROM search_documents WHERE {where} LIMIT :cap"  # nosec B608
        score = "1.0"
    sql = (
        f"WITH c AS ({candidates}) SELECT d.key, d.kind, d.doc_id, d.idea_id, {score} AS score, "  # nosec B608
        "count(*) OVER () AS total FROM c JOIN search_documents d ON d.key = c.key "
        "ORDER BY score DESC, d.created_at DESC, d.key LIMIT :limit OFFSET :offset"
    )
    rows = connection.execute(
        sa.text(sql),
        {**params, "cap": CANDIDATES, "weights": WEIGHTS, "limit": per_page, "offset": (page - 1) * per_page},
    ).all()
    total = rows[0].total if rows else 0
    exact = True
    if not rows and page > 1:  # past the last page: count what the first page would have
        count = f"SELECT count(*) FROM (SELECT 1 FROM search_documents WHERE {where} LIMIT :cap) x"  # nosec B608
        total = connection.scalar(sa.text(count), {**params, "cap": CANDIDATES})
    if total >= CANDIDATES:
        exact = False
        total = max(total, _estimate(connection, where, params))
    hits = [shared.hit(r.key, r.idea_id, r.score) for r in rows]
    suggestion = _suggest(connection, parsed, text.clean_query(query)) if total == 0 and parsed.raw_words else None
    return shared.answer(hits, total, exact, page, per_page, suggestion, parsed)


def _has_term(connection: sa.Connection, word: str) -> bool:
    found = connection.scalar(
        sa.text("SELECT 1 FROM search_documents WHERE tsv @@ CAST(:q AS tsquery) LIMIT 1"),
        {"q": _lexeme(text.stem(word))},
    )
    return found is not None


def _suggest(connection: sa.Connection, parsed: ParsedQuery, original: str) -> str | None:
    """A corrected query when some typed word is in no document (trigram similarity over search_words)."""
    suggestion, changed = original, False
    for typed, word in parsed.raw_words:
        if _has_term(connection, word):
            continue
        candidates = connection.scalars(
            sa.text(
                "SELECT word FROM search_words WHERE word % :w AND word <> :w "
                "ORDER BY similarity(word, :w) DESC, word LIMIT 5"
            ),
            {"w": word},
        ).all()
        best = next((c for c in candidates if _has_term(connection, c)), None)
        if best is not None:
            suggestion = re.sub(re.escape(typed), best, suggestion, count=1)
            changed = True
    return suggestion if changed else None
