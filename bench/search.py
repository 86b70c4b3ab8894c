"""Search benchmark: Whoosh and PostgreSQL (through the app's own code) beside SQLite FTS5, same corpus.

Corpus: N posts (default 100,000) generated with a fixed seed (42). The
vocabulary has 24,000 words: 21,600 English-like words (a few hundred real
public-service words and function words at the top ranks, then pseudo-words
built from syllables) and 2,400 Bangla words built from Bangla consonants,
vowel signs and conjuncts (virama), so they contain the combining marks that
break naive tokenizers. Word ranks follow a Zipf law (s = 1.07), as natural
text does. 90% of posts draw from the English part, 10% from the Bangla part.
A post has a title of 4-10 words and a body of 20-160 words; posts are spread
over 12 categories, 8 offices and 40 authors, dated over the last two years.

Steps, all in one run, in a temporary folder:
1. The posts are bulk-inserted into the app's SQLite database.
2. Full reindex: `forum.search.worker.rebuild`, what `flask search reindex`
   runs (2 processes, multisegment, worker.REBUILD_LIMITMB).
   Prints posts/s and the index size.
3. Commit-to-searchable delay: posts created through the ideas service and
   committed, with the app's background indexer running (as in production),
   timed until a search finds them.
4. Query latency, p50/p95 over --queries queries of each kind: one word, two
   words, a "phrase" (a word pair taken from a post) and one word filtered by
   category; each is the app's full search (first page of 10 with snippets
   built from the database text).
Steps 1-4 run for each engine of --backend (Whoosh on SQLite; PostgreSQL in a
database the bench creates for the run through --pg-admin-url and drops at the
end, never a shared one). With PostgreSQL, step 3 times commit to found from
another connection.
5. The same corpus and queries through SQLite FTS5 (porter + unicode61, bm25
   with the title weighted 3x, snippet()).
Floors, per engine: the rate of only reading the posts (a reindex can go no
faster through the app), and the time to build a page of ten results from the
database (items and snippets) for hits given in advance (every query pays it).
The harness's CPU is printed per step: on a 2-core machine it shares the cores
with PostgreSQL.

Usage: .venv/bin/python bench/search.py [--posts 100000] [--queries 50] [--backend all|whoosh|postgres]
       [--pg-admin-url postgresql://postgres@127.0.0.1/postgres]  (where it may CREATE DATABASE)
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

SEED = 42
ENGLISH_TOP = (
    "the of and to in for is on that with as by be this are from at or it an was we can will all our "
    "land office service services public citizen citizens digital record records mutation registration "
    "application online process time day days district upazila ministry division officer officers "
    "innovation idea ideas system health hospital school schools education teacher students water road "
    "roads bridge farmers crop agriculture disaster flood cyclone shelter relief union council village "
    "people women children birth death certificate tax revenue payment mobile phone sms portal website "
    "training staff file files paper delay delays queue token counter hearing court case cases complaint "
    "feedback response reform simple faster transparent cost costs budget fund project projects data "
    "survey map maps survey electricity power solar internet network camp vaccination clinic medicine"
).split()
BANGLA_CONSONANTS = "কখগঘঙচছজঝঞটঠডঢণতথদধনপফবভমযরলশষসহড়ঢ়য়"
BANGLA_VOWEL_SIGNS = ["", "", "া", "ি", "ী", "ু", "ূ", "ে", "ৈ", "ো", "ৌ", "ৃ"]
BANGLA_REAL = "উদ্ভাবন সেবা নাগরিক ভূমি অফিস জেলা উপজেলা মন্ত্রণালয় ডিজিটাল আবেদন নিবন্ধন স্বাস্থ্য শিক্ষা".split()
SYLLABLES_ON = "b c d f g h j k l m n p r s t v w z br cr dr fr gr pr tr st sh ch th pl cl".split()
SYLLABLES_NU = "a e i o u ai ea ou io ia".split()
SYLLABLES_CODA = ["", "", "n", "r", "s", "t", "l", "m", "nd", "st", "ng", "ck"]


def make_vocabulary(rng: random.Random, english: int = 21_600, bangla: int = 2_400) -> tuple[list[str], list[str]]:
    """English-like and Bangla word lists, most frequent first (no duplicates)."""
    en, seen = list(ENGLISH_TOP), set(ENGLISH_TOP)
    while len(en) < english:
        word = "".join(
            rng.choice(SYLLABLES_ON) + rng.choice(SYLLABLES_NU) + rng.choice(SYLLABLES_CODA)
            for _ in range(rng.choice((1, 2, 2, 3)))
        )
        if word not in seen and len(word) > 2:
            seen.add(word)
            en.append(word)
    bn, seen = list(BANGLA_REAL), set(BANGLA_REAL)
    while len(bn) < bangla:
        parts = []
        for _ in range(rng.choice((2, 3, 3, 4))):
            c = rng.choice(BANGLA_CONSONANTS)
            if rng.random() < 0.15:
                c += "্" + rng.choice(BANGLA_CONSONANTS)  # a conjunct through the virama
            parts.append(c + rng.choice(BANGLA_VOWEL_SIGNS))
        word = "".join(parts)
        if word not in seen:
            seen.add(word)
            bn.append(word)
    return en, bn


def zipf_weights(n: int, s: float = 1.07) -> list[float]:
    """Cumulative Zipf weights for ranks 1..n."""
    total, cum = 0.0, []
    for rank in range(1, n + 1):
        total += 1.0 / rank**s
        cum.append(total)
    return cum


def make_posts(n: int, seed: int = SEED) -> tuple[list[dict], list[str], list[str]]:
    """n posts: dicts with title, body, lang, category, office, author, created."""
    rng = random.Random(seed)
    en, bn = make_vocabulary(rng)
    en_cum, bn_cum = zipf_weights(len(en)), zipf_weights(len(bn))
    now = datetime.now(UTC)
    posts = []
    for i in range(n):
        bangla = rng.random() < 0.10
        words, cum = (bn, bn_cum) if bangla else (en, en_cum)
        title = " ".join(rng.choices(words, cum_weights=cum, k=rng.randint(4, 10)))
        body_words = rng.choices(words, cum_weights=cum, k=rng.randint(20, 160))
        for cut in range(12, len(body_words), rng.randint(10, 20)):
            body_words[cut] += "."
        posts.append(
            {
                "title": title.capitalize(),
                "body": " ".join(body_words),
                "lang": "bn" if bangla else "en",
                "category": rng.randrange(12),
                "office": rng.randrange(8),
                "author": rng.randrange(40),
                "created": now - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60)),
                "n": i,
            }
        )
    return posts, en, bn


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def make_queries(posts: list[dict], en: list[str], bn: list[str], count: int) -> dict[str, list[dict]]:
    """Queries of each kind; words sampled from mid-frequency and common ranks, some Bangla."""
    rng = random.Random(SEED + 1)

    def word() -> str:
        pool = bn if rng.random() < 0.1 else en
        n = len(pool)
        # A common, a middling or a rare word.
        return pool[rng.choice((rng.randrange(40, 200), rng.randrange(200, n // 8), rng.randrange(n // 8, n)))]

    phrases = []
    while len(phrases) < count:
        post = rng.choice(posts)
        tokens = post["body"].replace(".", "").split()
        i = rng.randrange(len(tokens) - 1)
        if tokens[i] not in ENGLISH_TOP[:22] and tokens[i + 1] not in ENGLISH_TOP[:22]:
            phrases.append(f'"{tokens[i]} {tokens[i + 1]}"')
    return {
        "one word": [{"q": word()} for _ in range(count)],
        "two words": [{"q": f"{word()} {word()}"} for _ in range(count)],
        "phrase": [{"q": p} for p in phrases],
        "filtered": [{"q": word(), "category": rng.randrange(12)} for _ in range(count)],
    }


# Whoosh through the app ---------------------------------------------------


def build_app_db(workdir: Path, posts: list[dict], uri: str | None = None, backend: str = "whoosh"):
    """An app on a fresh database (SQLite file, or the PostgreSQL uri) holding the posts.

    Returns (app, category ids by index).
    """
    from forum import create_app
    from forum.accounts import service as accounts
    from forum.extensions import db
    from forum.ideas import service as ideas
    from forum.models import Idea
    from forum.search import pg

    workdir.mkdir(parents=True, exist_ok=True)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": uri or f"sqlite:///{workdir / 'forum.db'}",
            "SEARCH_BACKEND": backend,
            "SEARCH_INDEX_DIR": str(workdir / "index"),
            "SECRET_KEY": "bench",
            "FOLLOWUP_SCAN_INTERVAL": 0,
            "MAIL_DIGEST_INTERVAL": 0,  # no scheduled job competing for the SQLite write lock
            "RATELIMIT_ENABLED": False,
            "SEARCH_POLL_SECONDS": 5,
        }
    )
    with app.app_context():
        db.create_all()
        if backend == "postgres":
            with db.engine.begin() as conn:
                pg.create_schema(conn)
        accounts.create_office("ROOT", "Cabinet Division")
        offices = [accounts.create_office(f"OFF{i}", f"Office {i}", "ROOT") for i in range(8)]
        users = [
            accounts.create_user(f"u{i}@bench.gov", f"Author {i}", "officer", offices[i % 8].code, "Bench-pass-123")
            for i in range(40)
        ]
        cats = [ideas.create_category(f"Category {i}") for i in range(12)]
        db.session.commit()
        user_ids, office_ids, cat_ids = [u.id for u in users], [o.id for o in offices], [c.id for c in cats]
        rows = []
        for i, p in enumerate(posts, start=1):
            rows.append(
                {
                    "id": i,
                    "reference": f"PSI-{p['created'].year}-{i:06d}",
                    "title": p["title"][:200],
                    "body": p["body"],
                    "body_html": "",
                    "category_id": cat_ids[p["category"]],
                    "office_id": office_ids[p["author"] % 8],
                    "author_id": user_ids[p["author"]],
                    "status": "open",
                    "created_at": p["created"],
                    "comment_count": 0,
                    "endorsement_count": 0,
                    "version": 1,
                }
            )
            if len(rows) == 5000:
                db.session.execute(sa.insert(Idea), rows)
                rows = []
        if rows:
            db.session.execute(sa.insert(Idea), rows)
        if backend == "postgres":  # ids were given: move the sequence past them
            db.session.execute(sa.text("SELECT setval(pg_get_serial_sequence('ideas', 'id'), max(id)) FROM ideas"))
        db.session.commit()
    return app, cat_ids


def whoosh_reindex(app) -> tuple[float, int]:
    """Full rebuild through the function `flask search reindex` runs; returns (seconds, documents)."""
    from forum.search import worker

    count, seconds = worker.rebuild(app, procs=2)
    return seconds, count


def whoosh_delay(app, cat_id: int, samples: int) -> list[float]:
    """Seconds from a post's commit until a search finds it, with the background indexer."""
    from forum.extensions import db
    from forum.ideas import service as ideas
    from forum.models import User
    from forum.search import index, worker

    delays = []
    with app.app_context():
        worker.indexer_for(app).wake()
        time.sleep(0.5)
        for i in range(samples):
            author = db.session.scalar(sa.select(User).limit(1))
            idea = ideas.create_idea(author, f"Delay probe {i} zqxprobe{i}", "Probe body text.", cat_id, [])
            word = f"zqxprobe{i}"
            db.session.commit()
            committed = time.perf_counter()
            db.session.close()  # like a finished request: no transaction left open (SQLite locks)
            del idea
            while not index.search(word, {}, 1, app.config["SEARCH_INDEX_DIR"])["hits"]:
                if time.perf_counter() - committed > 10:
                    break
                time.sleep(0.005)
            delays.append(time.perf_counter() - committed)
            time.sleep(0.2)
        worker.indexer_for(app).stop()
    return delays


def postgres_delay(app, cat_id: int, samples: int) -> list[float]:
    """Seconds from a post's commit until a search (another connection) finds it."""
    from forum.extensions import db
    from forum.ideas import service as ideas
    from forum.models import User
    from forum.search import pg

    delays = []
    with app.app_context():
        for i in range(samples):
            author = db.session.scalar(sa.select(User).limit(1))
            ideas.create_idea(author, f"Delay probe {i} zqxprobe{i}", "Probe body text.", cat_id, [])
            db.session.commit()
            committed = time.perf_counter()
            with db.engine.connect() as conn:
                while not pg.search(conn, f"zqxprobe{i}", {}, 1)["hits"]:
                    if time.perf_counter() - committed > 10:
                        break
            delays.append(time.perf_counter() - committed)
    return delays


def app_queries(app, queries: dict[str, list[dict]], cat_ids: list[int]) -> dict[str, list[float]]:
    from forum.extensions import db
    from forum.search import service

    out = {}
    engine = service.Engine.from_config(app.config)
    with app.app_context():
        service.search(db.session, {"q": "warmup"}, engine)
        for kind, items in queries.items():
            times = []
            for args in items:
                args = dict(args)
                if "category" in args:
                    args["category"] = str(cat_ids[args["category"]])
                start = time.perf_counter()
                service.search(db.session, args, engine)
                times.append(time.perf_counter() - start)
                db.session.rollback()
            out[kind] = times
    return out


# SQLite FTS5 --------------------------------------------------------------


def fts_floor_read(path: Path) -> float:
    """Posts/s of reading the posts' text back from SQLite: FTS5's floor beside the app's."""
    conn = sqlite3.connect(path)
    start = time.perf_counter()
    n = sum(1 for _ in conn.execute("SELECT rowid, title, body, category FROM posts"))
    seconds = time.perf_counter() - start
    conn.close()
    return n / seconds


def fts_build(path: Path, posts: list[dict]) -> float:
    conn = sqlite3.connect(path)
    conn.execute("CREATE VIRTUAL TABLE posts USING fts5(title, body, category UNINDEXED, tokenize='porter unicode61')")
    start = time.perf_counter()
    with conn:
        conn.executemany(
            "INSERT INTO posts(rowid, title, body, category) VALUES (?, ?, ?, ?)",
            ((i, p["title"], p["body"], p["category"]) for i, p in enumerate(posts, start=1)),
        )
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def _fts_match(q: str) -> str:
    if q.startswith('"'):
        return q
    return " ".join('"' + w.replace('"', "") + '"' for w in q.split())


def fts_query(conn: sqlite3.Connection, args: dict) -> list:
    sql = (
        "SELECT rowid, snippet(posts, 1, '<mark>', '</mark>', '…', 24), bm25(posts, 3.0, 1.0) FROM posts "
        "WHERE posts MATCH ?"
    )
    params: list = [_fts_match(args["q"])]
    if "category" in args:
        sql += " AND category = ?"
        params.append(args["category"])
    rows = conn.execute(sql + " ORDER BY bm25(posts, 3.0, 1.0) LIMIT 10", params).fetchall()
    count_sql = "SELECT count(*) FROM posts WHERE posts MATCH ?" + (" AND category = ?" if "category" in args else "")
    conn.execute(count_sql, params).fetchone()  # the total, as the app's page shows one
    return rows


def fts_delay(path: Path, samples: int) -> list[float]:
    conn = sqlite3.connect(path)
    delays = []
    for i in range(samples):
        start = time.perf_counter()
        with conn:
            conn.execute("INSERT INTO posts(title, body, category) VALUES (?, ?, 0)", (f"probe zqxfts{i}", "x"))
        while not conn.execute("SELECT rowid FROM posts WHERE posts MATCH ?", (f"zqxfts{i}",)).fetchone():
            pass
        delays.append(time.perf_counter() - start)
    conn.close()
    return delays


def fts_queries(path: Path, queries: dict[str, list[dict]]) -> dict[str, list[float]]:
    conn = sqlite3.connect(path)
    out = {}
    for kind, items in queries.items():
        times = []
        for args in items:
            start = time.perf_counter()
            fts_query(conn, args)
            times.append(time.perf_counter() - start)
        out[kind] = times
    conn.close()
    return out


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


class PrivateDatabase:
    """A PostgreSQL database this run creates (named for its process) and drops at the end, so the bench never
    empties a database someone else uses (the tests' `test`, an engineer's own)."""

    def __init__(self, admin_url: str):
        self.admin_url = admin_url.replace("postgresql://", "postgresql+psycopg://", 1)
        self.name = f"psi_search_bench_{os.getpid()}"
        self.url = self.admin_url.rsplit("/", 1)[0] + "/" + self.name
        self.admin = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")

    def __enter__(self) -> PrivateDatabase:
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        return self

    def __exit__(self, *exc) -> None:
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def cpu_seconds() -> float:
    """CPU used so far by this process and its finished children (the indexing processes): the harness's share."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def floor_read(app) -> float:
    """Posts/s of reading every document from the database, as a reindex does, with no analysis and no index:
    the rate no engine's reindex through the app can pass."""
    from forum.extensions import db
    from forum.search import service

    with app.app_context():
        start = time.perf_counter()
        n = sum(1 for _ in service.all_documents(db.session))
        seconds = time.perf_counter() - start
        db.session.rollback()
    return n / seconds


def floor_page(app, samples: int) -> list[float]:
    """Seconds to build a page of ten results (items and snippets from the database) for hits given in advance:
    what every query costs besides the engine's own matching and ranking."""
    from forum.extensions import db
    from forum.search import service, text

    hits = [{"key": f"idea:{i}", "type": "idea", "id": i, "idea_id": i, "score": 1.0} for i in range(1, 11)]
    terms = text.parse("land records").highlight_terms
    times = []
    with app.app_context():
        for _ in range(samples):
            start = time.perf_counter()
            service.result_items(db.session, hits, terms)
            times.append(time.perf_counter() - start)
            db.session.rollback()
    return times


def run_engine(engine: str, workdir: Path, posts: list[dict], queries: dict, opts) -> dict:
    """Load the posts, reindex, measure commit-to-searchable and the queries through the app's search service."""
    from forum.extensions import db
    from forum.search import worker

    uri = opts.pg_database.url if engine == "postgres" else None
    t = time.perf_counter()
    app, cat_ids = build_app_db(workdir / engine, posts, uri, engine)
    print(f"{engine}: {len(posts):,} ideas inserted ({time.perf_counter() - t:.1f} s)", flush=True)
    cpu = cpu_seconds()
    count, seconds = worker.rebuild(app, procs=2)
    cpu = cpu_seconds() - cpu
    print(f"{engine}: reindexed {count:,} in {seconds:.1f} s (harness CPU {cpu:.1f} s)", flush=True)
    with app.app_context():
        if engine == "postgres":
            size = db.session.scalar(sa.text("SELECT pg_total_relation_size('search_documents')"))
            size += db.session.scalar(sa.text("SELECT pg_total_relation_size('search_words')"))
            db.session.execute(sa.text("ANALYZE search_documents"))
            db.session.commit()
        else:
            size = dir_size(workdir / engine / "index")
    delay = (postgres_delay if engine == "postgres" else whoosh_delay)(app, cat_ids[0], opts.delay_samples)
    cpu = cpu_seconds()
    measured = app_queries(app, queries, cat_ids)
    out = {
        "rate": count / seconds,
        "size": size,
        "delay": delay,
        "queries": measured,
        "query_cpu": cpu_seconds() - cpu,
        "query_seconds": sum(sum(v) for v in measured.values()),
        "floor_rate": floor_read(app),
        "floor_page": floor_page(app, opts.queries),
    }
    with app.app_context():
        db.engine.dispose()
    return out


def print_table(results: dict[str, dict]) -> None:
    """One row per figure, one column per engine."""
    names = list(results)
    print()
    print(f"{'figure':<32}" + "".join(f"{n:>14}" for n in names) + "  unit     target")

    def line(label: str, values: list[float], unit: str, target: str = "") -> None:
        print(f"{label:<32}" + "".join(f"{v:>14.1f}" for v in values) + f"  {unit:<8} {target}")

    line("full reindex rate", [results[n]["rate"] for n in names], "posts/s", ">= 500 Whoosh, >= 2000 PostgreSQL")
    line("floor: reading the posts", [results[n]["floor_rate"] for n in names], "posts/s", "(no analysis, no index)")
    line("index size", [results[n]["size"] / 2**20 for n in names], "MiB")
    line("commit -> searchable, median", [statistics.median(results[n]["delay"]) * 1000 for n in names], "ms")
    line("commit -> searchable, max", [max(results[n]["delay"]) * 1000 for n in names], "ms", "< 1000")
    targets = {"one word": 100, "two words": 200, "phrase": 200, "filtered": 200}
    for kind, target in targets.items():
        for p in (50, 95):
            values = [percentile(results[n]["queries"][kind], p) * 1000 for n in names]
            line(f"{kind}: p{p}", values, "ms", f"< {target}" if p == 95 else "")
    line("floor: page of 10, p95", [percentile(results[n]["floor_page"], 95) * 1000 for n in names], "ms",
         "(items + snippets, no matching)")  # fmt: skip
    line(
        "bench process CPU / query time",
        [results[n]["query_cpu"] / results[n]["query_seconds"] for n in names],
        "s/s",
        "(in-process engines count here)",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=50, help="queries of each kind")
    parser.add_argument("--delay-samples", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--backend", choices=("whoosh", "postgres", "all"), default="all", help="engines beside SQLite FTS5"
    )
    parser.add_argument(
        "--pg-admin-url",
        default="postgresql://postgres@127.0.0.1/postgres",
        help="a PostgreSQL connection allowed to CREATE DATABASE; the bench creates its own database and drops it",
    )
    opts = parser.parse_args()
    engines = ("whoosh", "postgres") if opts.backend == "all" else (opts.backend,)

    workdir = Path(tempfile.mkdtemp(prefix="psi-search-bench-"))
    started, started_cpu, started_load = time.perf_counter(), cpu_seconds(), load()
    try:
        t = time.perf_counter()
        posts, en, bn = make_posts(opts.posts)
        print(
            f"corpus: {len(posts):,} posts, vocabulary {len(en):,} English-like + {len(bn):,} Bangla words, "
            f"{sum(p['lang'] == 'bn' for p in posts):,} Bangla posts ({time.perf_counter() - t:.1f} s)"
        )
        queries = make_queries(posts, en, bn, opts.queries)

        results: dict[str, dict] = {}
        for engine in engines:
            if engine == "postgres":
                with PrivateDatabase(opts.pg_admin_url) as opts.pg_database:
                    results[engine] = run_engine(engine, workdir, posts, queries, opts)
            else:
                results[engine] = run_engine(engine, workdir, posts, queries, opts)

        fts_path = workdir / "fts.db"
        f_seconds = fts_build(fts_path, posts)
        cpu = cpu_seconds()
        measured = fts_queries(fts_path, queries)
        results["FTS5"] = {
            "rate": len(posts) / f_seconds,
            "size": fts_path.stat().st_size,
            "delay": fts_delay(fts_path, opts.delay_samples),
            "queries": measured,
            "query_cpu": cpu_seconds() - cpu,
            "query_seconds": sum(sum(v) for v in measured.values()),
            "floor_rate": fts_floor_read(fts_path),
            "floor_page": [0.0],  # FTS5 builds its snippets inside the query
        }
        print_table(results)
        print(
            f"load average at the start {started_load}, at the end {load()} ({os.cpu_count()} cores); "
            f"harness CPU {cpu_seconds() - started_cpu:.0f} s over {time.perf_counter() - started:.0f} s wall"
        )
    finally:
        if opts.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("RATELIMIT_ENABLED", "0")
    main()
