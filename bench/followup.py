"""Follow-up benchmark: the scan and the report over 100,000 ideas in 500 offices, 30% answered.

Usage (from the repository root):

    .venv/bin/python bench/followup.py [--ideas 100000] [--offices 500] [--database-url URL]

Seeds a temporary SQLite database (or an empty PostgreSQL database given with --database-url; its
tables are dropped and recreated) with bulk executemany inserts, then times, as of one fixed `now`:

1. a baseline: `SELECT count(*) FROM ideas` (median of 5), the yardstick for the ratios;
2. the first, full scan (flags every overdue idea, writes the audit trail and the notifications);
3. a second scan with the same `now` (idempotent: changes nothing);
4. a later scan ten days on (escalations);
5. the report computation, the dashboard page rendered through the test client (first view computes
   the report, later views within FOLLOWUP_REPORT_CACHE_SECONDS reuse it), and the CSV export;
6. the impact report: every idea is given a lifecycle history (posted; of the answered ones about half
   reviewed, some piloted, implemented and adopted by 1-3 other offices, some declined), then the
   impact report page's first view (computed), a cached view, the API and the CSV export.

Targets: the full scan under 5 s on SQLite, done set-based (no query per idea); the impact report's
first view under 2 s.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from forum import create_app  # noqa: E402
from forum.extensions import db  # noqa: E402
from forum.followup import report as reports  # noqa: E402
from forum.followup.clocks import decision_days  # noqa: E402
from forum.followup.rules import Rules  # noqa: E402
from forum.followup.scan import scan  # noqa: E402
from forum.models import (  # noqa: E402
    Adoption,
    Category,
    Flag,
    FlagEvent,
    Idea,
    IdeaStatusChange,
    Notification,
    Office,
    User,
)

NOW = datetime(2026, 12, 22, 10, 0, tzinfo=UTC)
PASSWORD = "Bench-pass-123"


def seed(n_ideas: int, n_offices: int, rng: random.Random) -> None:
    """Offices ROOT > 20 ministries > districts; one officer per office, a senior in 2 of 5; ideas."""
    conn = db.session.connection()
    offices = [{"id": 1, "code": "ROOT", "name": "Cabinet Division", "parent_id": None, "created_at": NOW}]
    ministries = min(20, n_offices - 1)
    for i in range(2, n_offices + 1):
        parent = 1 if i <= ministries + 1 else rng.randint(2, ministries + 1)
        offices.append(
            {"id": i, "code": f"OF{i:04d}", "name": f"Office {i:04d}", "parent_id": parent, "created_at": NOW}
        )
    conn.execute(sa.insert(Office.__table__), offices)
    categories = [
        {"id": c, "name": f"Category {c}", "office_id": (c + 1) if c % 2 else None, "created_at": NOW}
        for c in range(1, 11)
    ]
    conn.execute(sa.insert(Category.__table__), categories)
    hashed = generate_password_hash(PASSWORD)
    users = []
    for office in offices:
        users.append(_user(len(users) + 1, "officer", office["id"], hashed))
        if office["id"] % 5 in (0, 1):
            users.append(_user(len(users) + 1, "senior", office["id"], hashed))
    users.append(_user(len(users) + 1, "staff", 1, hashed, email="staff@bench.gov"))
    conn.execute(sa.insert(User.__table__), users)
    officer_of = {u["office_id"]: u["id"] for u in users if u["role"] == "officer"}
    rows = []
    for i in range(1, n_ideas + 1):
        office_id = rng.randint(1, n_offices)
        created = NOW - timedelta(seconds=rng.randint(0, 120 * 86_400))
        answered = rng.random() < 0.30
        first = min(NOW, created + timedelta(seconds=rng.randint(3_600, 20 * 86_400))) if answered else None
        rows.append(
            {
                "id": i,
                "reference": f"PSI-{created.year}-{i:06d}",
                "title": f"Idea {i}",
                "body": "Benchmark idea.",
                "body_html": "<p>Benchmark idea.</p>",
                "category_id": rng.randint(1, 10),
                "office_id": office_id,
                "author_id": officer_of[office_id],
                "status": "open",
                "created_at": created,
                "first_response_at": first,
                "comment_count": 1 if answered else 0,
                "endorsement_count": 0,
                "version": 1,
            }
        )
        if len(rows) == 10_000:
            conn.execute(sa.insert(Idea.__table__), rows)
            rows = []
    if rows:
        conn.execute(sa.insert(Idea.__table__), rows)
    db.session.commit()


def seed_lifecycle(n_offices: int, rng: random.Random) -> dict:
    """A history for every idea and adoptions of the implemented ones; the ideas' statuses follow."""
    conn = db.session.connection()
    ideas = conn.execute(sa.select(Idea.id, Idea.office_id, Idea.author_id, Idea.created_at, Idea.first_response_at))
    history, adoptions, statuses = [], [], {}
    staff_id = db.session.scalar(sa.select(User.id).where(User.email == "staff@bench.gov"))

    def move(idea_id: int, status: str, at: datetime, reason: str | None = None) -> None:
        history.append(
            {"idea_id": idea_id, "status": status, "reason": reason, "note": "Bench.", "actor_id": staff_id, "at": at}
        )
        statuses[idea_id] = (status, reason)

    def later(at: datetime, low: int, high: int) -> datetime | None:
        moment = at + timedelta(days=rng.uniform(low, high))
        return moment if moment < NOW else None

    for idea_id, office_id, author_id, created, first in ideas:
        history.append(
            {"idea_id": idea_id, "status": "open", "reason": None, "note": "Posted.", "actor_id": author_id}
            | {"at": created}
        )
        if first is None:
            continue
        if rng.random() < 0.2 and (at := later(first, 1, 20)):
            move(idea_id, "closed", at, "declined")
            continue
        if rng.random() < 0.5 or not (at := later(first, 0, 10)):
            continue
        move(idea_id, "under_review", at)
        if rng.random() < 0.5 or not (at := later(at, 5, 30)):
            continue
        move(idea_id, "piloting", at)
        if rng.random() < 0.4 or not (at := later(at, 10, 40)):
            continue
        move(idea_id, "implemented", at)
        if rng.random() < 0.5:
            continue
        offices = rng.sample([o for o in range(2, n_offices + 1) if o != office_id], rng.randint(1, 3))
        for n, office in enumerate(offices):
            if not (at := later(at, 3, 30)):
                break
            running = n == 0 and rng.random() < 0.7
            adoptions.append(
                {"idea_id": idea_id, "office_id": office, "status": "running" if running else "started"}
                | {"note": "Bench.", "created_by_id": staff_id, "created_at": at, "updated_at": at}
            )
            if running:
                move(idea_id, "replicated", at)
    for start in range(0, len(history), 20_000):
        conn.execute(sa.insert(IdeaStatusChange.__table__), history[start : start + 20_000])
    if adoptions:
        conn.execute(sa.insert(Adoption.__table__), adoptions)
    by_status: dict[tuple, list[int]] = {}
    for idea_id, key in statuses.items():
        by_status.setdefault(key, []).append(idea_id)
    for (status, reason), ids in by_status.items():
        for start in range(0, len(ids), 10_000):
            conn.execute(
                sa.update(Idea.__table__)
                .where(Idea.__table__.c.id.in_(ids[start : start + 10_000]))
                .values(status=status, closed_reason=reason)
            )
    db.session.commit()
    return {"history rows": len(history), "adoptions": len(adoptions), "moved ideas": len(statuses)}


def _user(user_id: int, role: str, office_id: int, hashed: str, email: str | None = None) -> dict:
    return {
        "id": user_id,
        "email": email or f"{role}{user_id}@bench.gov",
        "name": f"{role.title()} {user_id}",
        "password_hash": hashed,
        "role": role,
        "office_id": office_id,
        "status": "active",
        "designation": "Bench",
        "session_version": 1,
        "created_at": NOW,
    }


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def profile_first_view(client, query: dict) -> None:
    """cProfile of one uncached impact page view: the project's functions by cumulative time, then the
    functions that spent the most time themselves."""
    profiler = cProfile.Profile()
    profiler.enable()
    response = client.get("/followup/impact/", query_string=query)
    profiler.disable()
    assert response.status_code == 200, response.status_code
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(r"forum/", 12)  # the project's own functions
    stats.sort_stats("tottime").print_stats(12)  # where the time is actually spent
    print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ideas", type=int, default=100_000)
    parser.add_argument("--offices", type=int, default=500)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--profile", action="store_true", help="print the top of a cProfile of the impact report's first view"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "SEARCH_INDEX_DIR": f"{tmp}/index",
                "FOLLOWUP_SCAN_INTERVAL": 0,
                "RATELIMIT_ENABLED": False,
                "SECRET_KEY": "bench",
                "WTF_CSRF_ENABLED": False,
                "SERVER_NAME": "localhost",
            }
        )
        with app.app_context():
            db.drop_all()
            db.create_all()
            seed_time, _ = timed(lambda: seed(args.ideas, args.offices, random.Random(42)))
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect() as conn:  # a live database has statistics; a fresh seed needs them
                    conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("ANALYZE"))
            print(
                f"database: {db.engine.dialect.name}; seeded {args.ideas:,} ideas, "
                f"{args.offices} offices in {seed_time:.1f} s"
            )

            def baseline():
                value = db.session.scalar(sa.select(sa.func.count(Idea.id)))
                db.session.rollback()
                return value

            base = statistics.median(timed(baseline)[0] for _ in range(5))

            def run_scan(now):
                result = scan(now, Rules.from_config(app.config), decision_days(app.config))
                db.session.commit()
                return result

            figures = []
            t, first = timed(lambda: run_scan(NOW))
            figures.append(("full scan", t, first.summary()))
            t, second = timed(lambda: run_scan(NOW))
            figures.append(("second scan, same now", t, second.summary()))
            assert second.raised == second.escalated == second.resolved == 0, "the second scan changed something"
            t, later = timed(lambda: run_scan(NOW + timedelta(days=10)))
            figures.append(("scan ten days later", t, later.summary()))
            t, report = timed(lambda: reports.compute_report(NOW))
            db.session.rollback()
            figures.append(("report computation", t, f"{len(report['offices'])} office rows"))

            client = app.test_client()
            client.post("/login", data={"email": "staff@bench.gov", "password": PASSWORD})
            t, response = timed(lambda: client.get("/followup/"))
            assert response.status_code == 200, response.status_code
            figures.append(("dashboard page", t, f"{len(response.data) // 1024} KiB, report computed"))
            # Within FOLLOWUP_REPORT_CACHE_SECONDS the report comes from this process's cache.
            cached = [timed(lambda: client.get("/followup/"))[0] for _ in range(5)]
            figures.append(("dashboard page, cached", statistics.median(cached), "median of 5, report cached"))
            t, response = timed(lambda: client.get("/followup/report.csv"))
            figures.append(("CSV export", t, f"{len(response.data) // 1024} KiB"))

            t, lifecycle_rows = timed(lambda: seed_lifecycle(args.offices, random.Random(7)))
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect() as conn:
                    conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("ANALYZE"))
            print(f"lifecycle seeded in {t:.1f} s: " + ", ".join(f"{k} {v:,}" for k, v in lifecycle_rows.items()))
            query = {"since": "2026-01-01", "until": "2026-12-31"}
            if args.profile:
                profile_first_view(client, {**query, "since": "2026-01-02"})  # another key: not cached
            t, response = timed(lambda: client.get("/followup/impact/", query_string=query))
            assert response.status_code == 200, response.status_code
            impact_first = t
            figures.append(("impact page, first view", t, f"{len(response.data) // 1024} KiB, report computed"))
            cached = [timed(lambda: client.get("/followup/impact/", query_string=query))[0] for _ in range(5)]
            figures.append(("impact page, cached", statistics.median(cached), "median of 5, report cached"))
            office = {**query, "office": "OF0002"}
            t, response = timed(lambda: client.get("/followup/impact/", query_string=office))
            figures.append(("impact page, a subtree", t, "first view, one ministry and the offices below it"))
            t, response = timed(lambda: client.get("/followup/impact/report.csv", query_string=query))
            figures.append(("impact CSV (cached)", t, f"{len(response.data) // 1024} KiB"))

            counts = {
                "flags": db.session.scalar(sa.select(sa.func.count(Flag.id))),
                "flag events": db.session.scalar(sa.select(sa.func.count(FlagEvent.id))),
                "notifications": db.session.scalar(sa.select(sa.func.count(Notification.id))),
            }

        print(f"baseline SELECT count(*) FROM ideas: {base * 1000:.1f} ms (median of 5)")
        for name, seconds, note in figures:
            print(f"{name:24} {seconds:7.3f} s  {seconds / base:8.0f} x baseline   {note}")
        print("rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
        verdict = "met" if figures[0][1] < 5 else "MISSED"
        print(f"target full scan < 5 s: {verdict} ({figures[0][1]:.2f} s)")
        verdict = "met" if impact_first < 2 else "MISSED"
        print(f"target impact report first view < 2 s: {verdict} ({impact_first:.2f} s)")


if __name__ == "__main__":
    main()
