"""The search engine adapter: the only module that imports Whoosh.

Everything here takes and returns plain Python values (dicts, lists, strings),
so another engine could replace Whoosh by rewriting this one file.

Text is analysed the same way at index and query time, by the word rules of
forum/search/text.py (shared with the PostgreSQL engine): normalised, split
on a word pattern that keeps combining marks, stop words out, stemmed. Title
and body are indexed stemmed (with positions, for phrases); a `spell` field
keeps the unstemmed words for "did you mean".
"""

from __future__ import annotations

import atexit
import os
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from whoosh import formats, scoring
from whoosh import index as whoosh_index
from whoosh import query as Q
from whoosh.analysis import Token, Tokenizer
from whoosh.fields import DATETIME, ID, NUMERIC, STORED, TEXT, FieldType, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.reading import SegmentReader
from whoosh.support.levenshtein import distance
from whoosh.util.filelock import try_for
from whoosh.writing import CLEAR, LockError

from forum.search import shared, text
from forum.search.text import ParsedQuery, QueryError

__all__ = [
    "IndexBusy",
    "QueryError",
    "index_documents",
    "remove_documents",
    "search",
    "writing",
    "rebuild",
    "rebuild_needed",
    "all_keys",
]

MAX_QUERY_LENGTH = text.MAX_QUERY_LENGTH
MAX_PAGES = shared.MAX_PAGES
TITLE_BOOST = 3.0
TAG_BOOST = 2.0


class IndexBusy(RuntimeError):
    """Another process held the index lock for longer than the timeout."""


# Analysis -----------------------------------------------------------------
# The word rules live in forum/search/text.py, shared with the PostgreSQL engine; this class only feeds
# them to Whoosh.


class Analyzer(Tokenizer):
    """Tokenizer, normaliser, stop filter and (optionally) stemmer in one pass.

    Replaces a chain of Whoosh filters (a generator and a token per stage): the
    analysis was most of the indexing time. Positions are consecutive over the
    kept words, as Whoosh's StopFilter renumbers them, so a phrase may span a
    dropped stop word. With chars=True (snippets) each word is normalised on its
    own, so the offsets point into the original text.
    """

    def __init__(self, stem: bool = False, stop: bool = True):
        self.stem, self.stop = stem, stop
        self.is_morph = stem

    def __eq__(self, other: object) -> bool:
        return self.__class__ is other.__class__ and (self.stem, self.stop) == (other.stem, other.stop)

    def __call__(  # noqa: PLR0913 (Whoosh's analyzer signature)
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        t.boost, t.stopped = 1.0, False
        pos, stem, stop = start_pos, self.stem, self.stop
        if chars:
            for word, s, e in text.spans(value, stop=stop):
                t.text = text.stem(word) if stem else word
                t.startchar, t.endchar = start_char + s, start_char + e
                if positions:
                    t.pos, pos = pos, pos + 1
                yield t
            return
        for word in text.words(value, stop=stop):
            t.text = text.stem(word) if stem else word
            if positions:
                t.pos, pos = pos, pos + 1
            yield t


EXACT = Analyzer()
STEM = Analyzer(stem=True)

# Bump when the schema or the analysis changes: an index written by another version is replaced on open and
# marked for a rebuild (see rebuild_needed()).
# 3: Snowball English and Bangla stemmers, digit scripts folded; 4: stored digest; 5: digest stored only, dates
# in 4 terms (Timestamp)
SCHEMA_VERSION = 5
_VERSION_FILE = "schema-version"
_REBUILD_MARKER = "rebuild-needed"


class Timestamp(DATETIME):
    """A DATETIME indexed in 4 terms of 16 bits each rather than Whoosh's 8 of 8 bits.

    Each term is a posting to write now and to copy in every later merge, and a document's finest ones are
    its own: with 8 of them the date was a third of a comment's postings and most of its unique terms
    (bench/live.py, profile of the index writer). A date range stays exact; it reads a few more terms.
    Whoosh pickles the schema into the index's table of contents: this class's name and module are part of
    the index format (a rename needs a SCHEMA_VERSION bump).
    """

    def __init__(self) -> None:
        NUMERIC.__init__(self, int, 64, shift_step=16)


SCHEMA = Schema(
    key=ID(unique=True, stored=True),  # "idea:12", "comment:34": the type and id of a hit
    # Of the source fields (shared.digest): `flask search check` finds stale entries. Read back, never searched.
    digest=STORED,
    kind=ID,
    idea_id=ID(stored=True),
    # Stemmed only: the unstemmed twins doubled the postings (indexing time) and changed no query's hits,
    # since the query is stemmed the same way.
    title=TEXT(analyzer=STEM, phrase=True, field_boost=TITLE_BOOST),
    body=TEXT(analyzer=STEM, phrase=True),
    tags=TEXT(analyzer=EXACT, phrase=False, field_boost=TAG_BOOST),
    # Unstemmed words for "did you mean" (never scored). A rebuild puts each word in one document only.
    spell=FieldType(formats.Existence(), analyzer=EXACT, scorable=False),
    author_id=ID,
    office=ID,
    category=ID,
    reference=ID,
    created=Timestamp(),
)

_ID_FIELDS = frozenset(name for name, field in SCHEMA.items() if isinstance(field, ID))

# Title weighted over body by field_boost; BM25F's length normalisation is milder for short titles.
_WEIGHTING = scoring.BM25F(B=0.75, K1=1.2, title_B=0.5)


# Opening and writing ------------------------------------------------------

_indexes: dict[str, Any] = {}
_open_lock = threading.Lock()


class SegmentFileStorage(FileStorage):
    """The index folder, remembering which of its segments' column files exist.

    Whoosh asks, for each posting of a field that keeps no lengths (the ID fields), whether the segment has a
    length column for it, and stats the disk each time: a tenth of the index writer's CPU in bench/live.py.
    A segment's files are all written before it is committed and named after the segment, so the answer
    for a column file never changes while the name is in use.
    """

    _MAX_REMEMBERED = 4096

    def __init__(self, path: str, **kwargs: Any) -> None:
        super().__init__(path, **kwargs)
        self._columns_seen: dict[str, bool] = {}

    def file_exists(self, name: str) -> bool:
        if not name.endswith(".col"):
            return super().file_exists(name)
        known = self._columns_seen.get(name)
        if known is None:
            if len(self._columns_seen) >= self._MAX_REMEMBERED:
                self._columns_seen.clear()  # segments merged away: their names never come back
            known = self._columns_seen[name] = super().file_exists(name)
        return known


def _open(index_dir: str):
    """The index in index_dir, created on first use."""
    index_dir = os.fspath(index_dir)
    with _open_lock:
        ix = _indexes.get(index_dir)
        if ix is not None and os.path.isdir(index_dir):
            return ix
        os.makedirs(index_dir, exist_ok=True)
        # Several processes may open a missing index at once; create_in() wipes what another just wrote.
        create_lock = FileStorage(index_dir).lock("CREATELOCK")
        if not try_for(create_lock.acquire, timeout=30, delay=0.05):
            raise IndexBusy("search index is being created by another process")
        try:
            # Without mmap: Whoosh copies each mmapped segment file it opens into a BytesIO, so opening a
            # reader on a 100k-post index took ~160 ms, paid by every searcher reopened after a commit. Plain
            # files are read on demand. (The writer opens the index its own way: _open_for_writing.)
            storage = SegmentFileStorage(index_dir, supports_mmap=False)
            if not whoosh_index.exists_in(index_dir):
                ix = storage.create_index(SCHEMA)
                _write_version(index_dir)
            elif _read_version(index_dir) != SCHEMA_VERSION:
                # Written by another version of this module: its terms would not match our queries. Start
                # empty and ask for a rebuild from the database (the indexer does it; see rebuild_needed()).
                with open(os.path.join(index_dir, _REBUILD_MARKER), "w") as f:
                    f.write("schema changed\n")
                ix = storage.create_index(SCHEMA)
                _write_version(index_dir)
            else:
                ix = storage.open_index()
        finally:
            create_lock.release()
        _indexes.pop(index_dir, None)
        _indexes[index_dir] = ix
        _close_pooled(index_dir)  # searchers of the index this one replaces: they hold its files open
        while len(_indexes) > _MAX_OPEN_INDEXES:  # tests open one index per test; a server, one in all
            oldest = next(iter(_indexes))
            del _indexes[oldest]
            _close_pooled(oldest)
        return ix


_MAX_OPEN_INDEXES = 4

# The index as its writer opens it, beside the searchers' `_indexes[index_dir]` it was made for:
# {index_dir: (searchers' index, writer's index)}.
_write_indexes: dict[str, tuple[Any, Any]] = {}


def _open_for_writing(index_dir: str):
    """The index in index_dir with its segments memory-mapped, for the writer.

    Searchers read segment files on demand (see _open): they reopen every segment after each commit, and
    Whoosh copies a memory-mapped segment's files whole into memory when it opens them. A merge reads the
    small segments it merges in many small pieces, which through plain files cost a Python-level seek and
    read each; mapped, each is copied once and let go after the merge (Whoosh's MERGE_SMALL rarely takes
    a large segment in: only once the index holds many segments). The kept readers (Writer._delete_terms)
    map only small segments too. 40 commits of 8 comments: 16% fewer instructions (callgrind).
    """
    index_dir = os.fspath(index_dir)
    ix = _open(index_dir)
    with _open_lock:
        made_for, write_ix = _write_indexes.get(index_dir, (None, None))
        if made_for is not ix:  # first write, or the index was replaced since
            write_ix = SegmentFileStorage(index_dir, supports_mmap=True).open_index()
            _write_indexes[index_dir] = (ix, write_ix)
            for stale in [d for d in _write_indexes if d not in _indexes]:
                del _write_indexes[stale]
        return write_ix


def _close_pooled(index_dir: str | None = None) -> None:
    """Close the pooled searchers and the writer's kept segment readers of one index (of every index if None):
    each holds its segment files open."""
    with _pool_lock, _kept_lock:
        if index_dir is None:
            stale = [s for pool in _searchers.values() for s in pool]
            stale += [r for kept in _kept_readers.values() for r in kept.values()]
            _searchers.clear()
            _kept_readers.clear()
        else:
            stale = _searchers.pop(index_dir, []) + list(_kept_readers.pop(index_dir, {}).values())
    for s in stale:
        s.close()


atexit.register(_close_pooled)


def _read_version(index_dir: str) -> int | None:
    try:
        with open(os.path.join(index_dir, _VERSION_FILE)) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def _write_version(index_dir: str) -> None:
    with open(os.path.join(index_dir, _VERSION_FILE), "w") as f:
        f.write(f"{SCHEMA_VERSION}\n")


def rebuild_needed(index_dir: str) -> bool:
    """True when the index was replaced because its layout was old, and no rebuild has filled it since."""
    _open(index_dir)
    return os.path.exists(os.path.join(os.fspath(index_dir), _REBUILD_MARKER))


def _to_whoosh(doc: dict, spell: str | None = None) -> dict:
    created = doc.get("created")
    if isinstance(created, datetime) and created.tzinfo is not None:
        created = created.astimezone(UTC).replace(tzinfo=None)  # Whoosh DATETIME is naive
    title, body = doc.get("title") or "", doc.get("body") or ""
    fields = {
        "key": doc["key"],
        "digest": shared.digest(doc),
        "kind": doc["type"],
        "idea_id": str(doc["idea_id"]),
        "title": title,
        "body": body,
        "spell": f"{title} {body}" if spell is None else spell,
        "tags": " ".join(doc.get("tags") or ()),
        "author_id": str(doc.get("author_id") or ""),
        "office": (doc.get("office") or "").lower(),
        "category": str(doc.get("category") or ""),
        "reference": (doc.get("reference") or "").lower(),
        "created": created or datetime(1970, 1, 1),
    }
    # An empty ID would still be a term with a posting (every comment's reference); no filter asks for one.
    return {name: value for name, value in fields.items() if value != "" or name not in _ID_FIELDS}


class Writer:
    """What `writing()` yields: update and remove documents, then commit once."""

    def __init__(self, writer, index_dir: str):
        self._w = writer
        self._index_dir = index_dir
        self.committed = False

    def update(self, docs: Iterable[dict]) -> int:
        """Add or replace documents: whatever the index holds under each one's key goes first."""
        fields = [_to_whoosh(doc) for doc in docs]
        self._delete_terms("key", [f["key"] for f in fields])
        for f in fields:
            self._w.add_document(**f)
        return len(fields)

    def remove(self, keys: Iterable[str] = (), idea_ids: Iterable[int] = ()) -> None:
        self._delete_terms("key", list(keys))
        self._delete_terms("idea_id", [str(i) for i in idea_ids])  # an idea's comments go with it

    def _delete_terms(self, field: str, values: list[str]) -> None:
        """Delete every document with one of these values in the field (update_document's and delete_by_term's
        job), through segment readers kept open between commits.

        Whoosh's own way opens a reader of every segment for each commit: a tenth of the index writer's CPU
        in bench/live.py with six segments. A segment never changes once written, but for its deletions,
        which the writer's segment list holds: a reader opened at an earlier commit may not know of later
        deletions, so it can only find documents deleted already, and deleting those again changes nothing.
        """
        if not values:
            return
        offset = 0
        for segment, reader in _segment_readers(self._index_dir, self._w):
            for value in values:
                if (field, value) in reader:
                    for docnum in reader.postings(field, value).all_ids():
                        self._w.delete_document(offset + docnum)
            offset += segment.doc_count_all()

    def commit(self) -> None:
        """Make the changes visible to searches."""
        if not self.committed:
            self._w.commit()
            self.committed = True


# Segment readers of the index writer, kept from one commit to the next: {index_dir: {segment id: reader}}.
_kept_readers: dict[str, dict[str, SegmentReader]] = {}
_kept_lock = threading.Lock()
# Segments up to this many documents are kept memory-mapped (about 1.6 MB of realistic posts per 1,000);
# larger ones are read on demand, so the writer's memory does not grow with the index.
_KEPT_MAPPED_DOCS = 1000


def _segment_readers(index_dir: str, writer) -> list[tuple[Any, SegmentReader]]:
    """(segment, reader) for each of the writer's segments in its order; readers of segments gone are closed."""
    on_demand = _open(index_dir).storage
    with _kept_lock:
        kept = _kept_readers.pop(index_dir, {})
        current = {}
        for segment in writer.segments:
            sid = segment.segment_id()
            if sid not in kept:
                # A mapped segment is copied into memory whole while its reader is kept: only the small ones.
                mapped = segment.doc_count_all() <= _KEPT_MAPPED_DOCS
                kept[sid] = SegmentReader(writer.storage if mapped else on_demand, writer.schema, segment)
            current[sid] = kept.pop(sid)
        _kept_readers[index_dir] = current
    for gone in kept.values():  # merged away, or of an index this one replaced
        gone.close()
    return [(segment, current[segment.segment_id()]) for segment in writer.segments]


@contextmanager
def syncing(index_dir: str, timeout: float = 30.0) -> Iterator[None]:
    """Hold the index's sync lock (waiting up to timeout) for the block.

    A drain holds it while it reads the database, writes the index and marks its work done, so no
    other process comes in between: none can write an older state of a document over a newer one,
    nor pick up work already done. The write itself may happen in another process (write()).
    """
    ix = _open(index_dir)
    sync_lock = ix.storage.lock(ix.indexname + "_SYNCLOCK")
    if not try_for(sync_lock.acquire, timeout=timeout, delay=0.02):
        raise IndexBusy(f"search index busy for more than {timeout} s")
    try:
        yield
    finally:
        sync_lock.release()


@contextmanager
def _writer(index_dir: str, timeout: float) -> Iterator[Writer]:
    """The index's write lock and a writer, committed unless the block did (cancelled if it raised)."""
    try:
        writer = _open_for_writing(index_dir).writer(timeout=timeout, delay=0.05)  # a rebuild takes only this lock
    except LockError as exc:
        raise IndexBusy(f"search index busy for more than {timeout} s") from exc
    w = Writer(writer, index_dir)
    try:
        yield w
    except BaseException:
        if not w.committed:
            writer.cancel()
        raise
    w.commit()


@contextmanager
def writing(index_dir: str, timeout: float = 30.0) -> Iterator[Writer]:
    """Hold the index's sync lock and write lock (waiting up to timeout); commit unless the block did."""
    with syncing(index_dir, timeout), _writer(index_dir, timeout) as w:
        yield w


def write(
    index_dir: str,
    docs: list[dict],
    removed: Iterable[str] = (),
    removed_ideas: Iterable[int] = (),
    timeout: float = 30.0,
) -> None:
    """Remove, then add or replace documents, in one commit; for a caller that holds the sync lock (syncing())."""
    with _writer(index_dir, timeout) as w:
        w.remove(removed, removed_ideas)
        w.update(docs)


def index_documents(docs: Iterable[dict], index_dir: str, timeout: float = 30.0) -> int:
    """Add or replace documents (dicts with key, type, id, idea_id, title, body, ...)."""
    with writing(index_dir, timeout) as w:
        return w.update(docs)


def remove_documents(keys: Iterable[str], index_dir: str, idea_ids: Iterable[int] = (), timeout: float = 30.0) -> None:
    """Remove documents by key, and every document of the given ideas."""
    with writing(index_dir, timeout) as w:
        w.remove(keys, idea_ids)


def rebuild(
    docs: Iterable[dict],
    index_dir: str,
    procs: int = 2,
    limitmb: int = 256,
    timeout: float = 60.0,
    only_if_needed: bool = False,
) -> int | None:
    """Replace the whole index with docs in one commit; searches see the old index until then.

    With only_if_needed, does nothing (and answers None) unless rebuild_needed() still
    holds once the write lock is ours: another process may have rebuilt meanwhile.
    """
    ix = _open(index_dir)
    marker = os.path.join(os.fspath(index_dir), _REBUILD_MARKER)
    try:
        if procs > 1:
            writer = ix.writer(procs=procs, multisegment=True, limitmb=limitmb, timeout=timeout, delay=0.05)
        else:
            writer = ix.writer(limitmb=limitmb, timeout=timeout, delay=0.05)
    except LockError as exc:
        raise IndexBusy(f"search index busy for more than {timeout} s") from exc
    if only_if_needed and not os.path.exists(marker):
        writer.cancel()
        return None
    n, seen = 0, set()
    try:
        for doc in docs:
            # Each word goes into the spell field of the first document that has it: did-you-mean needs the
            # vocabulary, not a posting per word and document (that doubled the indexing work).
            new = set(text.words(f"{doc.get('title') or ''} {doc.get('body') or ''}")) - seen
            seen |= new
            writer.add_document(**_to_whoosh(doc, spell=" ".join(new)))
            n += 1
    except BaseException:
        writer.cancel()
        raise
    writer.commit(mergetype=CLEAR)
    if os.path.exists(marker):
        os.remove(marker)
    return n


def all_keys(index_dir: str) -> set[str]:
    """Every document key in the index (for checks against the database)."""
    with _searcher(index_dir) as s:
        return {f["key"] for f in s.all_stored_fields()}


def all_digests(index_dir: str) -> dict[str, str]:
    """Every document key with the digest of the content it was indexed from (for `flask search check`)."""
    with _searcher(index_dir) as s:
        return {f["key"]: f.get("digest", "") for f in s.all_stored_fields()}


def doc_count(index_dir: str) -> int:
    """How many documents the index holds."""
    with _searcher(index_dir) as s:
        return s.doc_count()


# Searching ----------------------------------------------------------------

_searchers: dict[str, list] = {}
_pool_lock = threading.Lock()


@contextmanager
def _searcher(index_dir: str):
    """A searcher from a small pool, reopened when the index has a newer commit.

    Opening a searcher opens every segment file; reusing them saves that per query.
    A searcher is used by one request at a time (Whoosh readers share file positions).
    """
    index_dir = os.fspath(index_dir)
    ix = _open(index_dir)
    with _pool_lock:
        pool = _searchers.setdefault(index_dir, [])
        s = pool.pop() if pool else None
    if s is not None and not s.up_to_date():
        # Not refresh(): it reuses segment readers and so misses deletions in an unchanged segment.
        s.close()
        s = None
    if s is None:
        s = ix.searcher(weighting=_WEIGHTING)
    try:
        yield s
    except BaseException:
        s.close()
        raise
    with _pool_lock:
        pool = _searchers.setdefault(index_dir, [])
        if len(pool) < 4:
            pool.append(s)
            s = None
    if s is not None:
        s.close()


def _word_query(word: str) -> Q.Query:
    stem = text.stem(word)
    return Q.Or([Q.Term("title", stem, boost=TITLE_BOOST), Q.Term("body", stem), Q.Term("tags", word)])


def _phrase_query(words: list[str]) -> Q.Query:
    stems = [text.stem(w) for w in words]
    return Q.Or([Q.Phrase("title", stems, boost=TITLE_BOOST), Q.Phrase("body", stems)])


def _build(parsed: ParsedQuery, any_words: bool = False) -> Q.Query:
    parts: list[Q.Query] = [_word_query(w) for w in parsed.words]
    parts += [_phrase_query(p) for p in parsed.phrases]
    parts += [Q.Term("reference", r) for r in parsed.references]
    if len(parts) == 1:
        return parts[0]
    return Q.Or(parts) if any_words else Q.And(parts)


def _filter(filters: dict) -> Q.Query | None:
    parts: list[Q.Query] = []
    if filters.get("author_ids") is not None:
        ids = list(filters["author_ids"])
        parts.append(Q.Or([Q.Term("author_id", str(i)) for i in ids]) if ids else Q.NullQuery)
    if filters.get("office"):
        parts.append(Q.Term("office", str(filters["office"]).lower()))
    if filters.get("category") is not None:
        parts.append(Q.Term("category", str(filters["category"])))
    if filters.get("type") in ("idea", "comment"):
        parts.append(Q.Term("kind", filters["type"]))
    since, until = filters.get("since"), filters.get("until")
    if since or until:
        naive = [d.astimezone(UTC).replace(tzinfo=None) if d and d.tzinfo else d for d in (since, until)]
        parts.append(Q.DateRange("created", naive[0], naive[1]))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else Q.And(parts)


def _suggest(searcher, parsed: ParsedQuery, original: str) -> str | None:
    """A corrected query when some typed word is in no document."""
    reader = searcher.reader()
    suggestion, changed = original, False
    for typed, word in parsed.raw_words:
        stem = text.stem(word)
        if reader.doc_frequency("body", stem) or reader.doc_frequency("title", stem):
            continue
        best = None
        for candidate in searcher.corrector("spell").suggest(word, limit=5, maxdist=2, prefix=1):
            # The spell field holds each word once after a rebuild: rank by how many posts have its stem.
            cstem = text.stem(candidate)
            freq = reader.doc_frequency("body", cstem) + reader.doc_frequency("title", cstem)
            rank = (distance(word, candidate), -freq)
            if freq and (best is None or rank < best[0]):
                best = (rank, candidate)
        if best is not None:
            suggestion = re.sub(re.escape(typed), best[1], suggestion, count=1)
            changed = True
    return suggestion if changed else None


def search(
    query: str, filters: dict | None, page: int, index_dir: str, per_page: int = 10, any_words: bool = False
) -> dict:
    """Run a user's query; hits are plain dicts, best first.

    Answers {"hits": [{"key", "type", "id", "idea_id", "score"}], "total",
    "total_exact", "page", "pages", "suggestion", "terms"}. The total is exact
    for small answers and an estimate for large ones (counting every hit is the
    slow part of a query on a big index). With any_words, a document needs only
    one of the words (more-like-this), ranked by how well it matches them all.
    """
    parsed = text.parse(query)
    page = max(1, min(int(page), MAX_PAGES))
    q, flt = _build(parsed, any_words), _filter(filters or {})
    with _searcher(index_dir) as s:
        results = s.search(q, limit=page * per_page, filter=flt)
        exact = results.has_exact_length()
        total = len(results) if exact else max(results.estimated_length(), results.scored_length())
        hits = [shared.hit(h["key"], h["idea_id"], h.score) for h in results[(page - 1) * per_page : page * per_page]]
        suggestion = _suggest(s, parsed, text.clean_query(query)) if total == 0 and parsed.raw_words else None
    return shared.answer(hits, total, exact, page, per_page, suggestion, parsed)
