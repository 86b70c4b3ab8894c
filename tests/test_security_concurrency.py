"""SQLite stays the embedded default: 16 threads writing through the service layer at once lose nothing."""

import threading

import pytest
import sqlalchemy as sa

from forum.accounts import service as accounts
from forum.extensions import db
from forum.ideas import service as ideas
from forum.models import Comment, Idea, User
from tests.conftest import PASSWORD

THREADS = 16


@pytest.fixture
def app_config(app_config):
    # The search index is not what this test is about: inline indexing would serialise the threads on its lock.
    # One connection per thread, as a threaded server sized for 16 workers would configure.
    options = {"pool_pre_ping": True, "pool_size": THREADS, "max_overflow": 4}
    return {**app_config, "SEARCH_SYNC": False, "SQLALCHEMY_ENGINE_OPTIONS": options}


WRITES = 4


def test_sixteen_threads_writing_at_once_see_no_lock_error_and_lose_nothing(app, world):
    idea = ideas.create_idea(world["officer"], "A busy thread", "Everyone comments here.", world["land"].id)
    db.session.commit()
    idea_id, category_id = idea.id, world["land"].id
    user_ids = []
    for n in range(THREADS):
        user_ids.append(accounts.create_user(f"writer{n}@x.gov", f"Writer {n}", "officer", "DIST", PASSWORD).id)
    db.session.commit()
    db.session.remove()  # the threads open their own sessions; this one holds nothing

    start, errors = threading.Barrier(THREADS), []

    def write(n: int) -> None:
        try:
            with app.app_context():
                # Wait with no transaction open: on SQLite every transaction holds the write lock.
                start.wait(timeout=60)
                user = db.session.get(User, user_ids[n])
                for k in range(WRITES):
                    # A read-then-write transaction each time: the pattern that deadlocks deferred SQLite transactions.
                    target = ideas.get_idea(idea_id)
                    ideas.add_comment(target, user, f"comment {n}-{k}")
                    db.session.commit()
                    ideas.create_idea(user, f"Idea {n}-{k}", "Body", category_id)
                    db.session.commit()
                db.session.remove()
        except Exception as exc:  # collected and asserted below, with the thread that raised it
            errors.append((n, repr(exc)))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert not any(thread.is_alive() for thread in threads)
    bodies = set(db.session.scalars(sa.select(Comment.body).where(Comment.idea_id == idea_id)))
    assert bodies == {f"comment {n}-{k}" for n in range(THREADS) for k in range(WRITES)}
    titles = set(db.session.scalars(sa.select(Idea.title).where(Idea.title.like("Idea %"))))
    assert len(titles) == THREADS * WRITES
