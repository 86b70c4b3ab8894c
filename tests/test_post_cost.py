"""What one comment costs the database: a fixed handful of statements, however many followers it notifies."""

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.ideas import service as ideas
from forum.mail import sender
from forum.models import Notification
from forum.search import worker


@pytest.fixture
def followed_idea(world, make_user):
    idea = ideas.create_idea(world["officer"], "Online land records", "Put records online.", world["land"].id)
    db.session.commit()
    for _ in range(12):
        ideas.follow(idea, make_user(), on=True)
    db.session.commit()
    return idea


def statements_during(action) -> list[str]:
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    return seen


def test_an_official_api_reply_to_a_followed_idea_takes_a_fixed_handful_of_statements(
    app, world, api, followed_idea, monkeypatch
):
    monkeypatch.setattr(worker, "wake", lambda: None)  # indexing happens later, off the request
    monkeypatch.setattr(worker, "run_later", lambda *job: None)  # so does saved-search matching
    monkeypatch.setattr(sender, "wake", lambda: None)  # so does sending mail (tests send it inline)
    senior, idea_id = api(world["senior"]), followed_idea.id
    # The first official answer also resolves the follow-up clock (three statements more); measure the next.
    assert senior.post(f"/ideas/{idea_id}/comments", json={"body": "First answer"}).status_code == 201
    db.session.remove()  # as in a fresh request: nothing already loaded
    response = None

    def post():
        nonlocal response
        response = senior.post(f"/ideas/{idea_id}/comments", json={"body": "An *official* answer"})

    statements = statements_during(post)
    assert response.status_code == 201, response.get_data(as_text=True)
    # In the transaction: token+user+office, idea, idea counters, comment, search outbox row, followers,
    # all notifications, the recipients' addresses with their email preferences, all mail outbox rows (9).
    # The idea list's version for the list cache (1): in the transaction on SQLite, after it on PostgreSQL.
    # Saved-search matching runs later in the search worker, off the request (patched out above).
    # With the PostgreSQL engine the search document itself is written in the transaction instead of an
    # outbox row: the comment's text, the document and its words (2 more).
    bound = 10 + (2 if app.config["SEARCH_BACKEND"] == "postgres" else 0)
    assert len(statements) <= bound, "\n".join(statements)
    assert sum(s.lstrip().upper().startswith("INSERT INTO NOTIFICATIONS") for s in statements) == 1


def test_every_follower_and_the_author_are_notified_once(world, followed_idea, monkeypatch):
    monkeypatch.setattr(worker, "wake", lambda: None)
    ideas.add_comment(followed_idea, world["senior"], "Official answer")
    db.session.commit()
    rows = db.session.execute(sa.select(Notification.user_id, Notification.kind)).all()
    assert len(rows) == len({user_id for user_id, _ in rows}) == 13  # 12 followers and the idea's author
    assert {kind for _, kind in rows} == {"official_response"}
    assert world["senior"].id not in {user_id for user_id, _ in rows}
