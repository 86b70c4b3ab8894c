"""Saved searches: the API of SPEC section 7, notices for new matching posts, and the pages."""

import threading

import pytest
import sqlalchemy as sa

from forum.extensions import db, socketio
from forum.ideas import service as ideas
from forum.models import Notification, SavedSearchTerm
from forum.search import saved, worker
from tests.conftest import PASSWORD, eventually


@pytest.fixture
def app_config(app_config):
    # Flask-SocketIO's test client refuses a message queue (the queue is covered by tests/test_live.py).
    return {**app_config, "SOCKETIO_MESSAGE_QUEUE": None}


@pytest.fixture
def socket_client_for(app):
    """socket_client_for(user) -> a connected Socket.IO test client with that user's session."""
    made = []

    def connect(user):
        web = app.test_client()
        assert web.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
        sock = socketio.test_client(app, flask_test_client=web)
        assert sock.is_connected()
        made.append(sock)
        return sock

    yield connect
    for sock in made:
        if sock.is_connected():
            sock.disconnect()


def post(world, title, body="Plain body text.", user="officer", category="land"):
    idea = ideas.create_idea(world[user], title, body, world[category].id, [])
    db.session.commit()
    return idea


def notices(user, kind="saved_search"):
    rows = db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id, Notification.kind == kind))
    return list(rows)


def test_api_saves_lists_and_deletes_only_the_callers_own(world, api):
    secretary, other = api(world["senior"]), api(world["officer2"])
    r = secretary.post("/saved-searches", json={"q": "land records", "filters": {"office": "MIN"}, "notify": True})
    assert r.status_code == 201
    item = r.get_json()
    assert set(item) == {"id", "q", "filters", "notify", "created_at"}
    assert (item["q"], item["filters"], item["notify"]) == ("land records", {"office": "MIN"}, True)
    assert [s["id"] for s in secretary.get("/saved-searches").get_json()["items"]] == [item["id"]]
    assert other.get("/saved-searches").get_json() == {"items": []}
    assert other.delete(f"/saved-searches/{item['id']}").status_code == 404
    assert secretary.delete(f"/saved-searches/{item['id']}").status_code == 204
    assert secretary.get("/saved-searches").get_json() == {"items": []}
    assert secretary.delete(f"/saved-searches/{item['id']}").status_code == 404
    assert secretary.delete("/saved-searches/99999999999999999999").status_code == 404


def test_api_rejects_bad_saved_searches_naming_the_field(world, api):
    me = api(world["officer"])
    for body, field in (
        ({"q": "", "notify": True}, "q"),
        ({"q": "the of", "notify": True}, "q"),
        ({"q": "x" * 600}, "q"),
        ({"q": "ferry", "notify": "yes"}, "notify"),
        ({"q": "ferry", "filters": ["office"]}, "filters"),
        ({"q": "ferry", "filters": {"colour": "red"}}, "filters"),
        ({"q": "ferry", "filters": {"category": "land"}}, "filters"),
    ):
        r = me.post("/saved-searches", json=body)
        assert r.status_code == 422, body
        assert r.get_json()["error"]["field"] == field
    assert me.post("/saved-searches", data="nope", content_type="application/json").status_code == 400
    assert me.get("/saved-searches").get_json() == {"items": []}  # never a partial write


def test_a_new_matching_idea_notifies_the_owner_once_in_app_and_live(world, socket_client_for):
    saved.create(world["senior"], "land records", {"category": str(world["land"].id)}, True)
    saved.create(world["senior"], "records", None, True)  # a second match: still one notice per post
    db.session.commit()
    live = socket_client_for(world["senior"])
    idea = post(world, "Digital land records in Gazipur", "Scanned khatian records.")
    found = notices(world["senior"])
    assert len(found) == 1 and found[0].idea_id == idea.id and "land records" in found[0].text
    events = [e for e in live.get_received() if e["name"] == "notification"]
    assert [e["args"][0]["kind"] for e in events] == ["saved_search"]


def test_posts_that_do_not_match_every_word_or_filter_notify_no_one(world):
    saved.create(world["senior"], '"land records"', {"office": "MIN"}, True)
    saved.create(world["staff"], "ferry", None, False)  # saved without notify
    db.session.commit()
    post(world, "Records of land", "Words in another order.")  # phrase not in order
    post(world, "Land records online", "In order, but the author's office is DIST, not MIN.")
    post(world, "Ferry timetable", "No one asked to be told.")
    assert notices(world["senior"]) == [] and notices(world["staff"]) == []


def test_comments_match_too_and_the_author_is_never_notified_of_their_own_post(world):
    saved.create(world["senior"], "subsidy", None, True)
    saved.create(world["officer"], "subsidy", None, True)
    db.session.commit()
    idea = post(world, "Solar pumps", "Irrigation.")
    comment = ideas.add_comment(idea, world["officer"], "Farmers ask about the subsidy.")
    db.session.commit()
    assert [(n.idea_id, n.comment_id) for n in notices(world["senior"])] == [(idea.id, comment.id)]
    assert notices(world["officer"]) == []


def test_words_are_matched_as_the_search_matches_them(world):
    saved.create(world["senior"], "running ২০২৬", None, True)
    db.session.commit()
    post(world, "Budget runs for 2026", "Plan.")
    assert len(notices(world["senior"])) == 1


def test_matching_tests_only_saved_searches_sharing_a_word(world, make_user, monkeypatch):
    users = [make_user() for _ in range(30)]
    for n, user in enumerate(users):
        saved.create(user, f"topic{n} drainage", None, True)
    db.session.commit()
    tested = []
    real = saved.matches
    monkeypatch.setattr(saved, "matches", lambda s, f: tested.append(s.id) or real(s, f))
    post(world, "Topic7 drainage plan", "Body.")
    assert len(tested) == 30  # every one shares "drainage"
    tested.clear()
    post(world, "Topic7 alone", "Body.")
    assert len(tested) == 1  # only "topic7 drainage" shares a word; the 29 others are never read
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedSearchTerm)) == 60


def test_search_page_saves_and_profile_lists_and_deletes(world, client, auth):
    auth.login("senior@x.gov")
    page = client.get("/search", query_string={"q": "ferry", "office": "MIN"}).get_data(as_text=True)
    assert "Save this search" in page
    r = client.post("/search/saved", data={"q": "ferry", "office": "MIN", "notify": "1"})
    assert r.status_code == 302
    (item,) = saved.for_user(world["senior"])
    assert (item.q, item.filters, item.notify) == ("ferry", {"office": "MIN"}, True)
    profile = client.get("/profile").get_data(as_text=True)
    assert "Saved searches" in profile and "ferry" in profile
    auth.logout()
    auth.login("officer@x.gov")
    assert client.post(f"/search/saved/{item.id}/delete").status_code == 404
    auth.logout()
    auth.login("senior@x.gov")
    assert client.post(f"/search/saved/{item.id}/delete").status_code == 302
    assert saved.for_user(world["senior"]) == []


def test_matching_runs_in_the_search_worker_after_the_request(app, world, monkeypatch):
    app.config["SEARCH_SYNC"] = False  # the real background worker, as in production
    saved.create(world["senior"], "drainage", None, True)
    db.session.commit()
    threads = []
    real = saved.match_posts
    monkeypatch.setattr(
        saved, "match_posts", lambda posts: threads.append(threading.current_thread().name) or real(posts)
    )
    try:
        post(world, "Drainage plan for Savar")
        post(world, "Drainage plan for Dhamrai")

        def both_notified():
            found = len(notices(world["senior"])) == 2
            db.session.rollback()  # end the read: the worker must write
            return found

        eventually(both_notified)
    finally:
        worker.indexer_for(app).stop()
    assert threads and set(threads) == {"search-indexer"}
