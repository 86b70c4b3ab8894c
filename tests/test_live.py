"""Live threads: Socket.IO authentication, idea rooms, comment and notification events, presence."""

import time
import uuid

import pytest
import socketio as socketio_client
import sqlalchemy as sa

from forum.accounts import service as accounts
from forum.extensions import db, socketio
from forum.ideas import service as ideas
from forum.live import registry as registry_module
from forum.live.presence import MAX_NAMES, viewers_payload
from forum.live.registry import MemoryRegistry, RedisRegistry
from forum.live.throttle import init_throttle
from forum.models import User
from tests.browser.servers import PASSWORD, Site, api_post, api_token, csrf_token, login_session

PRESENCE_INTERVAL = 0.2  # seconds between viewers updates of a room: short, so the tests stay fast
COMMENT_KEYS = {"id", "idea_id", "parent_id", "author", "body", "body_html", "created_at", "official"}


@pytest.fixture
def app_config(app_config):
    # Flask-SocketIO's test client refuses a message queue; the queue (and presence in Redis)
    # is covered by the real-server tests below and by test_redis_registry_*.
    return {**app_config, "SOCKETIO_MESSAGE_QUEUE": None, "LIVE_PRESENCE_INTERVAL": PRESENCE_INTERVAL}


@pytest.fixture
def login(app):
    """login(user) -> a Flask test client holding that user's session cookie."""

    def make(user):
        client = app.test_client()
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return make


@pytest.fixture
def idea(world):
    found = ideas.create_idea(
        world["officer"], "Online land records", "Put *mutation* records online.", world["land"].id
    )
    db.session.commit()
    return found


def token_for(user) -> str:
    raw = accounts.issue_token(user)
    db.session.commit()
    return raw


def events(sock, name: str) -> list[dict]:
    return [e["args"][0] for e in sock.get_received() if e["name"] == name]


def join(sock, idea_id) -> dict:
    return sock.emit("join_idea", {"idea_id": idea_id}, callback=True)


# Connecting ----------------------------------------------------------------


def test_connection_with_session_cookie_is_accepted(world, login, sockets, idea):
    sock = sockets(login(world["officer"]))
    assert sock.is_connected()
    assert join(sock, idea.id) == {"ok": True}


def test_connection_with_token_is_accepted(world, sockets, idea):
    sock = sockets(auth={"token": token_for(world["officer"])})
    assert sock.is_connected()
    assert join(sock, idea.id) == {"ok": True}


@pytest.mark.parametrize(
    "auth",
    [None, {}, {"token": "not-a-token"}, {"token": 12345}, {"token": ""}, "token"],
    ids=["nothing", "empty", "bad-token", "number", "blank", "not-a-dict"],
)
def test_unauthenticated_connection_is_refused(app, world, sockets, auth):
    assert not sockets(app.test_client(), auth=auth).is_connected()


def test_bad_token_is_refused_even_with_a_valid_cookie(world, login, sockets):
    assert not sockets(login(world["officer"]), auth={"token": "forged"}).is_connected()


def test_token_of_deactivated_user_is_refused(world, sockets):
    raw = token_for(world["officer"])
    accounts.set_user_status(world["officer"], "deactivated")
    db.session.commit()
    assert not sockets(auth={"token": raw}).is_connected()


# Rooms -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload", [{"idea_id": 987654}, {"idea_id": "abc"}, {"idea_id": None}, {}, None, "1", [1], {"idea_id": True}]
)
def test_joining_a_room_for_a_missing_idea_is_refused(world, login, sockets, idea, payload):
    sock = sockets(login(world["officer"]))
    ack = sock.emit("join_idea", payload, callback=True)
    assert ack["ok"] is False and ack["error"]
    assert sock.is_connected()


def test_joining_a_deleted_idea_is_refused(world, login, sockets, idea):
    ideas.delete_idea(idea, world["officer"])
    db.session.commit()
    ack = join(sockets(login(world["officer"])), idea.id)
    assert ack["ok"] is False


def test_leaving_a_room_stops_its_events(world, login, sockets, api, idea):
    sock = sockets(login(world["officer2"]))
    assert join(sock, idea.id)["ok"]
    assert sock.emit("leave_idea", {"idea_id": idea.id}, callback=True) == {"ok": True}
    assert sock.emit("leave_idea", {"idea_id": idea.id}, callback=True)["ok"] is False
    sock.get_received()
    api(world["senior"]).post(f"/ideas/{idea.id}/comments", json={"body": "After leaving"})
    assert events(sock, "comment_created") == []


# Comment events ------------------------------------------------------------------


def _post_by_page(app, world, idea, body):
    client = app.test_client()
    client.post("/login", data={"email": world["senior"].email, "password": PASSWORD})
    assert client.post(f"/ideas/{idea.id}/comments", data={"body": body}).status_code == 302


def _post_by_api(app, world, idea, body):
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"email": world["senior"].email, "password": PASSWORD}).get_json()
    headers = {"Authorization": f"Bearer {token['token']}"}
    assert client.post(f"/api/v1/ideas/{idea.id}/comments", json={"body": body}, headers=headers).status_code == 201


def _post_by_socket(app, world, idea, body):
    sock = socketio.test_client(app, auth={"token": token_for(world["senior"])})
    ack = sock.emit("post_comment", {"idea_id": idea.id, "body": body}, callback=True)
    assert ack["ok"] is True, ack
    sock.disconnect()


@pytest.mark.parametrize("post", [_post_by_page, _post_by_api, _post_by_socket], ids=["page", "api", "socket"])
def test_new_comment_reaches_everyone_in_the_room_whichever_path(app, world, login, sockets, idea, post):
    watchers = [sockets(login(world["officer"])), sockets(auth={"token": token_for(world["officer2"])})]
    outsider = sockets(login(world["staff"]))
    for sock in watchers:
        assert join(sock, idea.id)["ok"]
    post(app, world, idea, "An **official** answer")
    for sock in watchers:
        created = events(sock, "comment_created")
        assert len(created) == 1
        assert created[0]["idea_id"] == idea.id
        comment = created[0]["comment"]
        assert COMMENT_KEYS <= set(comment)
        assert comment["official"] is True and comment["author"]["name"] == "Senior One"
        assert "<strong>official</strong>" in comment["body_html"]
    assert events(outsider, "comment_created") == []


def test_edit_and_delete_reach_the_room(world, login, sockets, idea):
    comment = ideas.add_comment(idea, world["officer2"], "First version")
    db.session.commit()
    sock = sockets(login(world["officer"]))
    join(sock, idea.id)
    sock.get_received()
    ideas.edit_comment(comment, world["officer2"], "Second version")
    db.session.commit()
    ideas.delete_comment(comment, world["officer2"])
    db.session.commit()
    received = [(e["name"], e["args"][0]) for e in sock.get_received() if e["name"].startswith("comment_")]
    assert [name for name, _ in received] == ["comment_updated", "comment_deleted"]
    assert received[0][1]["comment"]["body"] == "Second version"
    assert received[1][1]["comment"]["deleted"] is True and received[1][1]["comment"]["body"] == ""
    assert all(payload["idea_id"] == idea.id for _, payload in received)


def test_rolled_back_comment_emits_nothing(world, login, sockets, idea):
    sock = sockets(login(world["officer"]))
    join(sock, idea.id)
    sock.get_received()
    ideas.add_comment(idea, world["senior"], "Never saved")
    db.session.rollback()
    assert events(sock, "comment_created") == []
    assert events(sock, "notification") == []
    ideas.add_comment(idea, world["senior"], "Saved")
    db.session.commit()
    assert [e["comment"]["body"] for e in events(sock, "comment_created")] == ["Saved"]


def test_a_comment_is_sent_only_after_the_commit(world, login, sockets, idea):
    sock = sockets(login(world["officer"]))
    join(sock, idea.id)
    sock.get_received()
    ideas.add_comment(idea, world["senior"], "Pending")
    db.session.flush()
    assert events(sock, "comment_created") == []
    db.session.commit()
    assert len(events(sock, "comment_created")) == 1


# post_comment ------------------------------------------------------------------


def test_post_comment_event_saves_and_acks_the_comment(world, login, sockets, idea):
    sock = sockets(login(world["senior"]))
    first = sock.emit("post_comment", {"idea_id": idea.id, "body": "Root"}, callback=True)
    assert first["ok"] is True and COMMENT_KEYS <= set(first["comment"])
    reply = sock.emit(
        "post_comment", {"idea_id": idea.id, "body": "Reply", "parent_id": first["comment"]["id"]}, callback=True
    )
    assert reply["comment"]["parent_id"] == first["comment"]["id"] and reply["comment"]["official"] is True
    db.session.expire_all()
    assert [c.body for c in ideas.thread(idea)] == ["Root", "Reply"]
    assert idea.responded


@pytest.mark.parametrize(
    ("payload", "error_has"),
    [
        ({"idea_id": 987654, "body": "x"}, "idea"),
        ({"idea_id": "x", "body": "x"}, "idea_id"),
        ({"body": "x"}, "idea_id"),
        ({"idea_id": "IDEA", "body": ""}, "body"),
        ({"idea_id": "IDEA", "body": 5}, "body"),
        ({"idea_id": "IDEA", "body": "x" * 10_001}, "body"),
        ({"idea_id": "IDEA", "body": "x", "parent_id": 987654}, "parent_id"),
        ({"idea_id": "IDEA", "body": "x", "parent_id": "zz"}, "parent_id"),
        ("not an object", "object"),
    ],
)
def test_post_comment_event_refuses_bad_input_and_writes_nothing(world, login, sockets, idea, payload, error_has):
    if isinstance(payload, dict) and payload.get("idea_id") == "IDEA":
        payload = {**payload, "idea_id": idea.id}
    sock = sockets(login(world["officer2"]))
    join(sock, idea.id)
    sock.get_received()
    ack = sock.emit("post_comment", payload, callback=True)
    assert ack["ok"] is False and error_has in ack["error"].lower()
    assert events(sock, "comment_created") == []
    db.session.expire_all()
    assert ideas.thread(idea) == [] and idea.comment_count == 0


def _limit_comments(app, limit: str, **config) -> None:
    """Rate limiting on for this app (conftest turns it off), with `limit` for post_comment."""
    app.config.update({"RATELIMIT_ENABLED": True, "LIVE_COMMENT_RATE_LIMIT": limit, **config})
    init_throttle(app)


def test_post_comment_event_is_rate_limited_per_user(app, world, login, sockets, idea):
    _limit_comments(app, "3 per minute")
    poster = sockets(login(world["officer2"]))
    watcher = sockets(login(world["officer"]))
    join(watcher, idea.id)
    watcher.get_received()
    for i in range(3):
        assert poster.emit("post_comment", {"idea_id": idea.id, "body": f"Comment {i}"}, callback=True)["ok"] is True
    over = poster.emit("post_comment", {"idea_id": idea.id, "body": "One too many"}, callback=True)
    assert over == {"ok": False, "error": "rate limited"}
    assert poster.is_connected()
    assert [e["comment"]["body"] for e in events(watcher, "comment_created")] == ["Comment 0", "Comment 1", "Comment 2"]
    db.session.expire_all()
    assert idea.comment_count == 3
    # Another user has their own budget.
    other = sockets(login(world["senior"]))
    assert other.emit("post_comment", {"idea_id": idea.id, "body": "Mine"}, callback=True)["ok"] is True


def test_post_comment_rate_limit_counts_tabs_and_tokens_of_one_user_together(app, world, login, sockets, idea):
    _limit_comments(app, "2 per minute")
    tab = sockets(login(world["officer2"]))
    by_token = sockets(auth={"token": token_for(world["officer2"])})
    assert tab.emit("post_comment", {"idea_id": idea.id, "body": "a"}, callback=True)["ok"] is True
    assert by_token.emit("post_comment", {"idea_id": idea.id, "body": "b"}, callback=True)["ok"] is True
    assert tab.emit("post_comment", {"idea_id": idea.id, "body": "c"}, callback=True)["error"] == "rate limited"
    assert by_token.emit("post_comment", {"idea_id": idea.id, "body": "d"}, callback=True)["error"] == "rate limited"


def test_post_comment_is_not_limited_when_rate_limiting_is_off(app, world, login, sockets, idea):
    _limit_comments(app, "2 per minute", RATELIMIT_ENABLED=False)
    sock = sockets(login(world["officer2"]))
    acks = [sock.emit("post_comment", {"idea_id": idea.id, "body": f"c{i}"}, callback=True) for i in range(5)]
    assert all(ack["ok"] for ack in acks)


def test_post_comment_rate_limit_is_shared_through_redis(app):
    # Two throttles on one Redis stand for two server processes.
    config = {"RATELIMIT_STORAGE_URI": REDIS_QUEUE, "RATELIMIT_KEY_PREFIX": f"psi-test-{uuid.uuid4().hex}"}
    _limit_comments(app, "2 per minute", **config)
    one = app.extensions["forum_live_throttle"]
    two = init_throttle(app)
    assert one is not two
    assert one.allow_comment(7) and two.allow_comment(7)
    assert not one.allow_comment(7) and not two.allow_comment(7)
    assert one.allow_comment(8)


# Notifications ---------------------------------------------------------------------


def test_notification_reaches_every_tab_of_the_one_user(world, login, sockets, idea):
    tabs = [sockets(login(world["officer"])), sockets(login(world["officer"]))]
    other = sockets(login(world["officer2"]))
    ideas.add_comment(idea, world["senior"], "We will look into it")
    db.session.commit()
    for tab in tabs:
        notes = events(tab, "notification")
        assert len(notes) == 1
        assert notes[0]["kind"] == "official_response" and notes[0]["idea_id"] == idea.id
        assert "Senior One" in notes[0]["text"]
    assert events(other, "notification") == []


# Ending sessions ------------------------------------------------------------------


def test_logout_over_http_disconnects_the_users_sockets(world, login, sockets, idea):
    client = login(world["officer"])
    tab = sockets(client)
    other_tab = sockets(login(world["officer"]))
    bystander = sockets(login(world["officer2"]))
    join(tab, idea.id)
    assert client.post("/logout").status_code == 302
    assert not tab.is_connected() and not other_tab.is_connected()
    assert bystander.is_connected()


def test_deactivation_disconnects_cookie_and_token_sockets(world, login, sockets, idea):
    by_cookie = sockets(login(world["officer"]))
    by_token = sockets(auth={"token": token_for(world["officer"])})
    admin = login(world["admin"])
    response = admin.post(
        f"/admin/users/{world['officer'].id}", data={"role": "officer", "office": "DIST", "status": "deactivated"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert not by_cookie.is_connected() and not by_token.is_connected()


def test_handlers_recheck_the_session_version(world, login, sockets, idea):
    sock = sockets(login(world["officer"]))
    # A bulk update bypasses the ORM hook that disconnects at once: the handler's own check must catch it.
    db.session.execute(sa.update(User).where(User.id == world["officer"].id).values(session_version=99))
    db.session.commit()
    ack = join(sock, idea.id)
    assert not sock.is_connected()
    assert ack is None or ack["ok"] is False


def test_handlers_recheck_the_token(world, sockets, idea):
    sock = sockets(auth={"token": token_for(world["officer"])})
    accounts.revoke_all_tokens(world["officer"])  # a bulk update: no ORM hook fires
    db.session.commit()
    ack = sock.emit("post_comment", {"idea_id": idea.id, "body": "Sneaky"}, callback=True)
    assert not sock.is_connected()
    assert ack is None or ack["ok"] is False
    db.session.expire_all()
    assert ideas.thread(idea) == []


def test_rolled_back_logout_keeps_the_socket(world, login, sockets):
    sock = sockets(login(world["officer"]))
    accounts.end_sessions(world["officer"])
    db.session.rollback()
    assert sock.is_connected()


# Presence --------------------------------------------------------------------------


def latest_viewers(sock, check, seen: list | None = None, timeout: float = 5.0) -> dict:
    """The newest `viewers` event once `check` accepts it: presence is coalesced, so it may come a moment later."""
    seen = [] if seen is None else seen
    deadline = time.monotonic() + timeout
    while True:
        seen.extend(events(sock, "viewers"))
        if seen and check(seen[-1]):
            return seen[-1]
        assert time.monotonic() < deadline, f"no matching viewers event; last: {seen[-1:]}"
        time.sleep(0.02)


def test_viewers_follow_joins_leaves_and_disconnects(world, login, sockets, idea):
    first = sockets(login(world["officer"]))
    join(first, idea.id)
    assert latest_viewers(first, lambda v: True) == {
        "idea_id": idea.id,
        "count": 1,
        "users": ["Officer One"],
        "user_ids": [world["officer"].id],
    }
    second = sockets(login(world["senior"]))
    same_user_again = sockets(login(world["senior"]))
    join(second, idea.id)
    join(same_user_again, idea.id)
    assert latest_viewers(first, lambda v: v["count"] == 2)["users"] == ["Officer One", "Senior One"]
    second.disconnect()
    assert viewers_payload(idea.id)["users"] == ["Officer One", "Senior One"]  # still in another tab
    same_user_again.emit("leave_idea", {"idea_id": idea.id}, callback=True)
    assert latest_viewers(first, lambda v: v["count"] == 1)["users"] == ["Officer One"]


def test_many_joins_send_a_few_bounded_viewers_updates(world, login, sockets, idea, make_user):
    first = sockets(login(world["officer"]))
    join(first, idea.id)
    latest_viewers(first, lambda v: v["count"] == 1)  # the officer's own join, before the crowd
    tokens = [token_for(make_user()) for _ in range(MAX_NAMES + 10)]
    started = time.monotonic()
    for token in tokens:
        assert join(sockets(auth={"token": token}), idea.id) == {"ok": True}
    joining = time.monotonic() - started
    seen: list[dict] = []
    final = latest_viewers(first, lambda v: v["count"] == len(tokens) + 1, seen)
    # At most one update per interval (plus the leading and trailing ones), not one per join.
    assert len(seen) <= joining / PRESENCE_INTERVAL + 3 and len(seen) < len(tokens)
    assert len(final["users"]) == len(final["user_ids"]) == MAX_NAMES


@pytest.fixture
def redis_registry():
    registry = RedisRegistry("redis://127.0.0.1:6379/0", f"psi-test:{uuid.uuid4().hex}:")
    yield registry
    keys = list(registry._redis.scan_iter(registry._prefix + "*"))
    if keys:
        registry._redis.delete(*keys)


def test_redis_registry_keeps_sockets_and_viewers_for_every_process(redis_registry):
    other_process = RedisRegistry("redis://127.0.0.1:6379/0", redis_registry._prefix)
    redis_registry.add_socket(7, "sid-a")
    other_process.add_socket(7, "sid-b")
    assert redis_registry.sockets(7) == ["sid-a", "sid-b"]
    redis_registry.add_viewer(3, "sid-a", 7, "Zara")
    other_process.add_viewer(3, "sid-b", 7, "Zara")
    other_process.add_viewer(3, "sid-c", 8, "Abdul")
    assert redis_registry.viewers(3) == [(8, "Abdul"), (7, "Zara")]
    other_process.remove_viewer(3, "sid-c")
    other_process.remove_socket(7, "sid-b")
    assert redis_registry.viewers(3) == [(7, "Zara")] and redis_registry.sockets(7) == ["sid-a"]


def test_redis_registry_forgets_viewers_of_a_process_that_stopped_refreshing(redis_registry, monkeypatch):
    redis_registry.add_viewer(3, "sid-a", 7, "Zara")
    now = time.time()
    monkeypatch.setattr(registry_module.time, "time", lambda: now + registry_module.VIEWER_TTL + 1)
    assert redis_registry.viewers(3) == []


def test_redis_registry_gives_one_presence_interval_to_all_processes(redis_registry):
    other_process = RedisRegistry("redis://127.0.0.1:6379/0", redis_registry._prefix)
    assert redis_registry.claim_presence(3, 10) == 0
    assert 0 < other_process.claim_presence(3, 10) <= 10
    assert other_process.claim_presence(4, 10) == 0  # another room is not held back


def test_memory_registry_holds_back_presence_for_the_interval():
    registry = MemoryRegistry()
    assert registry.claim_presence(1, 10) == 0
    assert 0 < registry.claim_presence(1, 10) <= 10
    assert registry.claim_presence(2, 10) == 0


def test_memory_registry_counts_each_user_once():
    registry = MemoryRegistry()
    registry.add_viewer(1, "a", 5, "Rina")
    registry.add_viewer(1, "b", 5, "Rina")
    registry.remove_viewer(1, "a")
    assert registry.viewers(1) == [(5, "Rina")]
    registry.remove_viewer(1, "b")
    assert registry.viewers(1) == []


# Real servers ------------------------------------------------------------------------

REDIS_QUEUE = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory):
    """Two gunicorn processes sharing one SQLite file and the Redis queue."""
    run = uuid.uuid4().hex[:8]
    users = {
        f"officer.{run}@x.gov": (f"Officer {run}", "officer"),
        f"senior.{run}@x.gov": (f"Senior {run}", "senior"),
        f"viewer.{run}@x.gov": (f"Viewer {run}", "officer"),
    }
    with Site(tmp_path_factory.mktemp("live-site"), queue=REDIS_QUEUE) as site:
        site.create(users)
        one, two = site.start(), site.start()
        emails = list(users)
        yield {
            "one": one.url,
            "two": two.url,
            "officer": api_token(one.url, emails[0]),
            "senior": api_token(one.url, emails[1]),
            "viewer": api_token(two.url, emails[2]),
            "viewer_email": emails[2],
            "names": [name for name, _ in users.values()],
        }


def _real_client(url: str, token: str | None, **kwargs) -> tuple[socketio_client.Client, dict[str, list]]:
    sio = socketio_client.Client(reconnection=False)
    got: dict[str, list] = {"comment_created": [], "viewers": [], "notification": [], "disconnect": []}
    for name in ("comment_created", "viewers", "notification"):
        sio.on(name, got[name].append)
    sio.on("disconnect", lambda *args: got["disconnect"].append(args))
    sio.connect(url, auth={"token": token} if token else None, wait_timeout=10, **kwargs)
    return sio, got


def _wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.mark.server
@pytest.mark.parametrize("client_on", ["one", "two"], ids=["same-process", "other-process"])
def test_real_client_sees_comment_posted_through_the_api(two_servers, client_on):
    s = two_servers
    idea = api_post(s["one"], s["officer"], "/ideas", {"title": "Live across processes", "body": "b", "category": 1})
    sio, got = _real_client(s[client_on], s["viewer"])
    try:
        assert sio.call("join_idea", {"idea_id": idea["id"]}, timeout=5) == {"ok": True}
        posted = api_post(s["one"], s["senior"], f"/ideas/{idea['id']}/comments", {"body": "Official reply"})
        assert _wait_for(lambda: any(e["comment"]["id"] == posted["id"] for e in got["comment_created"]))
        event = next(e for e in got["comment_created"] if e["comment"]["id"] == posted["id"])
        assert event["idea_id"] == idea["id"] and event["comment"]["official"] is True
        assert COMMENT_KEYS <= set(event["comment"])
    finally:
        sio.disconnect()


@pytest.mark.server
def test_real_socket_comment_reaches_the_other_process_and_notifies_the_author(two_servers):
    s = two_servers
    idea = api_post(s["one"], s["officer"], "/ideas", {"title": "Socket-posted reply", "body": "b", "category": 1})
    author, author_got = _real_client(s["two"], s["officer"])
    poster, _ = _real_client(s["one"], s["senior"])
    try:
        assert author.call("join_idea", {"idea_id": idea["id"]}, timeout=5)["ok"]
        ack = poster.call("post_comment", {"idea_id": idea["id"], "body": "Done"}, timeout=5)
        assert ack["ok"] is True
        assert _wait_for(lambda: any(e["comment"]["id"] == ack["comment"]["id"] for e in author_got["comment_created"]))
        assert _wait_for(lambda: any(n["idea_id"] == idea["id"] for n in author_got["notification"]))
    finally:
        author.disconnect()
        poster.disconnect()


@pytest.mark.server
def test_viewers_are_shared_across_processes(two_servers):
    s = two_servers
    idea = api_post(s["one"], s["officer"], "/ideas", {"title": "Who is here", "body": "b", "category": 1})
    first, first_got = _real_client(s["one"], s["officer"])
    second, _ = _real_client(s["two"], s["viewer"])
    try:
        first.call("join_idea", {"idea_id": idea["id"]}, timeout=5)
        second.call("join_idea", {"idea_id": idea["id"]}, timeout=5)
        officer, viewer = s["names"][0], s["names"][2]
        assert _wait_for(lambda: first_got["viewers"] and set(first_got["viewers"][-1]["users"]) >= {officer, viewer})
        second.disconnect()
        assert _wait_for(lambda: viewer not in first_got["viewers"][-1]["users"])
    finally:
        first.disconnect()
        second.disconnect()


@pytest.mark.server
@pytest.mark.parametrize("token", [None, "forged"])
def test_real_unauthenticated_connection_is_refused(two_servers, token):
    with pytest.raises(socketio_client.exceptions.ConnectionError):
        _real_client(two_servers["one"], token)


@pytest.mark.server
def test_handshake_from_another_origin_is_refused(two_servers):
    s = two_servers
    with pytest.raises(socketio_client.exceptions.ConnectionError):
        _real_client(s["one"], s["viewer"], headers={"Origin": "http://evil.example"})
    # The page's own origin is accepted.
    sio, _ = _real_client(s["one"], s["viewer"], headers={"Origin": s["one"]})
    sio.disconnect()


@pytest.mark.server
def test_logout_on_one_process_disconnects_the_socket_on_the_other(two_servers):
    s = two_servers
    session = login_session(s["one"], s["viewer_email"])
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    sio, got = _real_client(s["two"], None, headers={"Cookie": cookie})
    try:
        assert sio.connected
        csrf = csrf_token(session.get(s["one"] + "/", timeout=10).text)
        assert session.post(s["one"] + "/logout", data={"csrf_token": csrf}, timeout=10).ok
        assert _wait_for(lambda: not sio.connected and got["disconnect"])
    finally:
        if sio.connected:
            sio.disconnect()
