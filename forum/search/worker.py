"""Drains the search outbox into the index, after commits, off the request.

One drain, all under the index's sync lock: read a batch of outbox rows and the
current state of their posts in a short database transaction, write the index,
commit it, then delete exactly the rows processed. Because reading happens under
the lock, no process can write an older state of a document over a newer one;
because the delete does too, no process can pick up (or, as SQLite reuses ids,
delete) rows another has handled. Rows written meanwhile stay for the next drain;
a crash anywhere leaves rows that the next drain (at start-up, on the next wake,
on the periodic poll, or through `flask search sync`) processes again, and
indexing is idempotent (update_document by key).

Each process runs one background indexer thread, started on the first wake or
request. Under gunicorn's gevent worker `threading` is monkey-patched, so the
same code runs as a greenlet, and the index write itself goes to a child process
(writer_process.py) so it never holds the event loop. In tests, SEARCH_SYNC
drains inline on wake.
"""

from __future__ import annotations

import collections
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta

import gevent.monkey
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, current_app

from forum.extensions import db
from forum.models import SearchOutbox, utcnow
from forum.search import documents, index, pg, service, writer_process

BATCH = 500
# Posts saved while a rebuild reads the database are indexed again afterwards; the margin
# covers changes stamped before they committed.
CATCH_UP_MARGIN = timedelta(minutes=2)
# Memory for each indexing process's postings before it spills a sorted run to disk. Merging runs is slow
# Python: at 100,000 posts 256 MB gave 476 posts/s and 1024 MB 604/s (one run each, ~0.9 GB RSS per process).
REBUILD_LIMITMB = 1024
# Below this many posts a PostgreSQL rebuild analyses in its own process: at 2,000 posts and load 7, two
# spawned processes took 5.8 s (343 posts/s), most of it importing the app.
SMALL_REBUILD = 5000


def _counted(docs: Iterable[dict], progress: Callable[[int], None] | None, every: int = 500) -> Iterator[dict]:
    n = 0
    for doc in docs:
        yield doc
        n += 1
        if progress and n % every == 0:
            progress(every)
    if progress and n % every:
        progress(n % every)


def rebuild(
    app: Flask, procs: int = 2, only_if_needed: bool = False, progress: Callable[[int], None] | None = None
) -> tuple[int, float]:
    """Rebuild the index from the database, then catch up; answers (documents, seconds).

    progress, if given, is called with the number of documents read since its last call.
    """
    started, clock = utcnow(), time.perf_counter()
    with app.app_context():
        if app.config.get("SEARCH_BACKEND") == "postgres":
            return _rebuild_postgres(procs, progress, clock), time.perf_counter() - clock
        with so.Session(db.engine) as session:
            count = index.rebuild(
                _counted(documents.all_documents(session), progress),
                app.config["SEARCH_INDEX_DIR"],
                procs=procs,
                limitmb=REBUILD_LIMITMB,
                only_if_needed=only_if_needed,
            )
        elapsed = time.perf_counter() - clock
        if count is None:
            return 0, elapsed
        # Changes drained into the old index while the new one was built are in no outbox row any more.
        with so.Session(db.engine) as session, session.begin():
            documents.requeue_changed_since(session, started - CATCH_UP_MARGIN)
        drain(app)
    return count, elapsed


def _rebuild_postgres(procs: int, progress: Callable[[int], None] | None, clock: float) -> int:
    """One REPEATABLE READ transaction: one snapshot read and written; posts saved meanwhile write their own rows."""
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin(), so.Session(bind=conn) as session:
            if documents.document_count(session) < SMALL_REBUILD:
                procs = 1  # starting the indexing processes (each imports the app) costs more than they save
            return pg.rebuild(conn, documents.all_documents(session), procs=procs, progress=progress)


def check(app: Flask, repair: bool = False) -> dict[str, list[str]]:
    """Compare the index with the database's posts, content included; with repair, rewrite what differs.

    Answers, as found before any repair: {"missing": keys in the database but not the
    index, "stale": keys in the index whose post is deleted or gone, "outdated": keys
    whose entry was indexed from other content than the post now has (an edit to its
    title, body, tags or filters that never reached the index)}.
    """
    engine = service.Engine.from_config(app.config)
    with app.app_context(), so.Session(db.engine) as session:
        expected = documents.database_digests(session)
        held = service.indexed_digests(session, engine)
        session.rollback()
    missing = sorted(expected.keys() - held.keys())
    stale = sorted(held.keys() - expected.keys())
    outdated = sorted(k for k in expected.keys() & held.keys() if expected[k] != held[k])
    if repair and (missing or stale or outdated):
        refs = [(k.partition(":")[0], int(k.partition(":")[2])) for k in missing + stale + outdated]
        with app.app_context():
            if engine.postgres:
                with so.Session(db.engine) as session, session.begin():
                    docs, removed, removed_ideas = documents.documents_for(session, refs)
                    # A stale comment of a deleted idea goes by key too: its idea's row may be gone already.
                    pg.write(session.connection(), docs, set(removed) | set(stale), removed_ideas)
            else:
                with so.Session(db.engine) as session, session.begin():
                    session.add_all(SearchOutbox(doc_type=t, doc_id=i) for t, i in refs)
                drain(app)
                index.remove_documents(stale, engine.index_dir)
    return {"missing": missing, "stale": stale, "outdated": outdated}


def drain(app: Flask | None = None, limit: int | None = None) -> int:
    """Index every pending outbox row; return how many rows were processed."""
    app = app or current_app._get_current_object()
    total = 0
    while limit is None or total < limit:
        n = _drain_batch(app)
        total += n
        if n < BATCH:
            break
    return total


def _drain_batch(app: Flask) -> int:
    with app.app_context():
        with so.Session(db.engine) as session:
            if session.scalar(sa.select(SearchOutbox.id).limit(1)) is None:
                return 0
        index_dir = app.config["SEARCH_INDEX_DIR"]
        timeout = app.config.get("SEARCH_WRITER_TIMEOUT", 30.0)
        with index.syncing(index_dir, timeout):
            with so.Session(db.engine, expire_on_commit=False) as session:
                rows = session.execute(
                    sa.select(SearchOutbox.id, SearchOutbox.doc_type, SearchOutbox.doc_id)
                    .order_by(SearchOutbox.id)
                    .limit(BATCH)
                ).all()
                docs, removed, removed_ideas = documents.documents_for(session, [(r.doc_type, r.doc_id) for r in rows])
                session.rollback()  # read-only: end the transaction before the slow index write
            _write(app, index_dir, timeout, docs, removed, removed_ideas)
            # Still under the sync lock: no other drain can read these rows before they go
            # (ids can be reused once deleted, so a late delete could hit a newer row).
            if rows:
                with so.Session(db.engine) as session, session.begin():
                    session.execute(sa.delete(SearchOutbox).where(SearchOutbox.id.in_([r.id for r in rows])))
        return len(rows)


def _write(
    app: Flask, index_dir: str, timeout: float, docs: list[dict], removed: list[str], removed_ideas: list[int]
) -> None:
    """Write a drained batch: in the app's writer process when gevent runs this process, else here.

    A Whoosh write is pure Python for 10-200 ms (a merge, longer). As a greenlet it held the event loop
    that long; in a native thread of gevent's pool it still took the interpreter back every other switch
    interval, and the posting phase of bench/live.py showed it in the post latency's p99. In a process of
    its own (forum/search/writer_process.py) it shares nothing with the loop.
    """
    if _gevent_patched():
        indexer_for(app).writer.write(index_dir, docs, removed, removed_ideas, timeout)
    else:
        index.write(index_dir, docs, removed, removed_ideas, timeout)


def _gevent_patched() -> bool:
    return gevent.monkey.is_module_patched("threading")


def pending(app: Flask | None = None) -> int:
    """How many outbox rows wait for indexing."""
    app = app or current_app._get_current_object()
    with app.app_context(), so.Session(db.engine) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(SearchOutbox)) or 0


class Indexer:
    """The per-process background indexer of one app."""

    def __init__(self, app: Flask):
        self.app = app
        self.event = threading.Event()
        self.stopping = False
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()
        # Work that follows a commit but is no part of the request (saved-search matching), run after a drain.
        self.jobs: collections.deque[tuple[Callable[..., None], tuple]] = collections.deque()
        # Under gevent, where the drains' index writes go (its child starts with the thread).
        self.writer = writer_process.WriterProcess()

    def wake(self) -> None:
        """Start the thread if needed and tell it there is work."""
        self.event.set()
        if self.thread is None or not self.thread.is_alive():
            with self.lock:
                if self.thread is None or not self.thread.is_alive():
                    self.stopping = False
                    self.thread = threading.Thread(target=self._run, name="search-indexer", daemon=True)
                    self.thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread (tests; a daemon thread otherwise dies with the process)."""
        self.stopping = True
        self.event.set()
        if self.thread is not None:
            self.thread.join(timeout)

    def _run(self) -> None:
        poll = float(self.app.config.get("SEARCH_POLL_SECONDS", 10))
        postgres = self.app.config.get("SEARCH_BACKEND") == "postgres"
        if not postgres and _gevent_patched():
            # Started now, with the process, rather than by the first drain with work: starting it imports the
            # app's modules (about half a second of CPU), which a busy minute should not pay for.
            try:
                self.writer.start()
            except OSError:  # the first drain tries again
                self.app.logger.exception("search index writer process did not start")
        try:
            # An index written by an older version of the search module was replaced by an empty one.
            # (PostgreSQL has no index files: there this thread only runs the jobs that follow commits.)
            if not postgres and index.rebuild_needed(self.app.config["SEARCH_INDEX_DIR"]):
                self.app.logger.warning("search index layout changed: rebuilding it from the database")
                if _gevent_patched():
                    # Whoosh's indexing processes (multiprocessing) block a gevent-patched process; the
                    # server's app is built from the environment (wsgi.py), so the CLI sees the same config.
                    subprocess.run(
                        [sys.executable, "-m", "flask", "--app", "wsgi", "search", "reindex", "--if-needed"],
                        check=True,
                    )
                else:
                    rebuild(self.app, only_if_needed=True)
        except Exception:  # searches work on what is indexed; `flask search reindex` can finish the job
            self.app.logger.exception("search index rebuild failed")
        # Each drain is a Whoosh commit (a new segment, often a merge): under a burst of comments, one
        # commit per post was the live server's largest CPU cost (bench/live.py profile). Draining at
        # most once per interval (config.py SEARCH_DRAIN_INTERVAL) after a drain that found work batches a
        # burst into one commit.
        spacing = float(self.app.config["SEARCH_DRAIN_INTERVAL"])
        while not self.stopping:
            # Draining first also heals rows left by a crash or by another process.
            self.event.clear()
            drained, started = 0, time.monotonic()
            try:
                drained = 0 if postgres else drain(self.app)
            except Exception:  # the index is rebuildable: log, keep the rows, retry on the next wake
                self.app.logger.exception("search indexing failed; will retry")
            self._run_jobs()
            if drained and spacing > 0 and not self.stopping:
                # Start to start, so the drain's own time does not add to the lag; a post after a quiet spell
                # is still indexed at once.
                time.sleep(max(0.0, spacing - (time.monotonic() - started)))
            self.event.wait(poll)

    def _run_jobs(self) -> None:
        while self.jobs:
            fn, args = self.jobs.popleft()
            try:
                fn(*args)
            except Exception:  # one failed job must not stop the thread
                self.app.logger.exception("search worker job %s failed", getattr(fn, "__name__", fn))


def indexer_for(app: Flask) -> Indexer:
    """The app's indexer, made on first use."""
    indexer = app.extensions.get("search_indexer")
    if indexer is None:
        indexer = app.extensions.setdefault("search_indexer", Indexer(app))
    return indexer


def init_app(app: Flask) -> None:
    """The first request starts the indexer, which first drains what a crash left behind."""
    started = []

    @app.before_request
    def _start_indexer():
        # With SEARCH_SYNC (tests) each commit indexes inline; there is no thread to start.
        # PostgreSQL needs no indexer: documents are written in the committing transaction.
        if not started and not app.config.get("SEARCH_SYNC") and app.config.get("SEARCH_BACKEND") != "postgres":
            started.append(True)
            wake()


def run_later(app: Flask, fn: Callable[..., None], *args: object) -> None:
    """Run fn(*args) in this process's search worker thread, off the request (inline with SEARCH_SYNC)."""
    if app.config.get("SEARCH_SYNC"):
        fn(*args)
        return
    indexer = indexer_for(app)
    indexer.jobs.append((fn, args))
    indexer.wake()


def wake() -> None:
    """Ask the indexer to process the outbox soon (called after each commit that recorded a change)."""
    app = current_app._get_current_object()
    if app.config.get("SEARCH_SYNC"):
        try:
            drain(app)
        except Exception:
            app.logger.exception("search indexing failed; the outbox keeps the rows")
        return
    indexer_for(app).wake()
