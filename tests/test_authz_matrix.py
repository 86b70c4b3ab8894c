"""Authorization matrix: every route of the app (from app.url_map) and every socket event, tried as each role
(anonymous, officer, senior, staff, admin), with a revoked and an expired token, and as the wrong user of an
object (another's idea, comment, saved search, token, notification, adoption). Each refusal has its status
and shape (API: 401/403/404 with {"error": {"code", "message"}}; pages: a redirect to the sign-in page, 403
or 404; sockets: a refused connection or an {"ok": false} ack) and writes nothing; each allowed caller is let
through. A new route or socket event without an entry in MATRIX / SOCKET_EVENTS fails the test.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum.accounts import service as accounts
from forum.extensions import db, socketio
from forum.followup import holidays
from forum.ideas import service as ideas
from forum.models import ApiToken, Flag, Notification
from forum.search import saved
from tests.conftest import PASSWORD

ANON, OFFICER, SENIOR, STAFF, ADMIN = "anonymous", "officer", "senior", "staff", "admin"
ROLES = (ANON, OFFICER, SENIOR, STAFF, ADMIN)
EVERYONE = frozenset(ROLES)
USERS = EVERYONE - {ANON}
STAFF_UP = frozenset({STAFF, ADMIN})
ADMIN_ONLY = frozenset({ADMIN})
NOT_OWNERS = ("officer2", SENIOR, STAFF)  # the target idea, comment, saved search... belong to `officer`
NOT_AUTHORS = (*NOT_OWNERS, ADMIN)  # an admin may delete another's comment, never put words in it


@dataclass(frozen=True)
class Access:
    """Who may call a route: the roles let through, and the users refused for the target object itself."""

    allowed: frozenset
    wrong_users: tuple[str, ...] = ()


MATRIX: dict[tuple[str, str], Access] = {
    # Pages: public
    ("GET", "/healthz"): Access(EVERYONE),
    ("GET", "/readyz"): Access(EVERYONE),
    ("GET", "/login"): Access(EVERYONE),
    ("POST", "/login"): Access(EVERYONE),
    ("GET", "/signup"): Access(EVERYONE),
    ("POST", "/signup"): Access(EVERYONE),
    ("GET", "/forgot-password"): Access(EVERYONE),
    ("POST", "/forgot-password"): Access(EVERYONE),
    ("GET", "/reset-password/<token>"): Access(EVERYONE),  # the signed token is the proof
    ("POST", "/reset-password/<token>"): Access(EVERYONE),
    ("GET", "/lang/<code>"): Access(EVERYONE),
    ("GET", "/mail/unsubscribe/<token>"): Access(EVERYONE),
    ("POST", "/mail/unsubscribe/<token>"): Access(EVERYONE),
    # Pages: any signed-in user
    ("GET", "/"): Access(USERS),
    ("POST", "/logout"): Access(USERS),
    ("GET", "/profile"): Access(USERS),
    ("POST", "/profile"): Access(USERS),
    ("POST", "/profile/tokens/<token_id>/revoke"): Access(USERS, ("officer2",)),
    ("GET", "/users/<int:user_id>"): Access(USERS),
    ("GET", "/users/suggest"): Access(USERS),
    ("GET", "/help/markdown"): Access(USERS),
    ("POST", "/preview"): Access(USERS),
    ("GET", "/ideas/new"): Access(USERS),
    ("POST", "/ideas/new"): Access(USERS),
    ("GET", "/ideas/<int:idea_id>"): Access(USERS),
    ("GET", "/ideas/<int:idea_id>/thread.json"): Access(USERS),
    ("GET", "/ideas/<int:idea_id>/edit"): Access(USERS, NOT_OWNERS),
    ("POST", "/ideas/<int:idea_id>/edit"): Access(USERS, NOT_OWNERS),
    ("POST", "/ideas/<int:idea_id>/delete"): Access(USERS, NOT_OWNERS),
    ("POST", "/ideas/<int:idea_id>/status"): Access(USERS, ("officer2",)),
    ("POST", "/ideas/<int:idea_id>/comments"): Access(USERS),
    ("POST", "/ideas/<int:idea_id>/endorse"): Access(USERS),
    ("POST", "/ideas/<int:idea_id>/follow"): Access(USERS),
    ("POST", "/ideas/<int:idea_id>/adoptions"): Access(USERS),
    ("POST", "/ideas/<int:idea_id>/adoptions/<int:adoption_id>"): Access(USERS, (OFFICER, "officer2")),
    ("GET", "/comments/<int:comment_id>/edit"): Access(USERS, NOT_AUTHORS),
    ("POST", "/comments/<int:comment_id>/edit"): Access(USERS, NOT_AUTHORS),
    ("POST", "/comments/<int:comment_id>/delete"): Access(USERS, NOT_OWNERS),
    ("GET", "/notifications"): Access(USERS),
    ("GET", "/notifications/menu"): Access(USERS),
    ("POST", "/notifications/read"): Access(USERS),
    ("GET", "/notifications/<int:notification_id>/open"): Access(USERS, ("officer2",)),
    ("GET", "/search"): Access(USERS),
    ("GET", "/search/similar"): Access(USERS),
    ("POST", "/search/saved"): Access(USERS),
    ("POST", "/search/saved/<saved_id>/delete"): Access(USERS, ("officer2",)),
    # Pages: programme staff
    ("GET", "/followup/"): Access(STAFF_UP),
    ("GET", "/followup/flags.csv"): Access(STAFF_UP),
    ("GET", "/followup/report.csv"): Access(STAFF_UP),
    ("GET", "/followup/flags/<int:flag_id>"): Access(STAFF_UP),
    ("POST", "/followup/flags/<int:flag_id>"): Access(STAFF_UP),
    ("POST", "/followup/flags/<int:flag_id>/assign"): Access(STAFF_UP),
    ("POST", "/followup/flags/<int:flag_id>/escalate"): Access(STAFF_UP),
    ("GET", "/followup/impact/"): Access(STAFF_UP),
    ("GET", "/followup/impact/report.csv"): Access(STAFF_UP),
    ("GET", "/followup/impact/report.pdf"): Access(STAFF_UP),
    # Pages: administrators
    ("GET", "/followup/holidays"): Access(ADMIN_ONLY),
    ("POST", "/followup/holidays"): Access(ADMIN_ONLY),
    ("POST", "/followup/holidays/<int:holiday_id>/delete"): Access(ADMIN_ONLY),
    ("GET", "/admin/"): Access(ADMIN_ONLY),
    ("GET", "/admin/users"): Access(ADMIN_ONLY),
    ("POST", "/admin/users"): Access(ADMIN_ONLY),
    ("GET", "/admin/users/<int:user_id>"): Access(ADMIN_ONLY),
    ("POST", "/admin/users/<int:user_id>"): Access(ADMIN_ONLY),
    ("GET", "/admin/offices"): Access(ADMIN_ONLY),
    ("POST", "/admin/offices"): Access(ADMIN_ONLY),
    ("GET", "/admin/offices/<code>"): Access(ADMIN_ONLY),
    ("POST", "/admin/offices/<code>"): Access(ADMIN_ONLY),
    ("GET", "/admin/categories"): Access(ADMIN_ONLY),
    ("POST", "/admin/categories"): Access(ADMIN_ONLY),
    ("GET", "/admin/categories/<int:category_id>"): Access(ADMIN_ONLY),
    ("POST", "/admin/categories/<int:category_id>"): Access(ADMIN_ONLY),
    # API: the token endpoint is the way in; everything else needs a valid bearer token
    ("POST", "/api/v1/auth/token"): Access(EVERYONE),
    ("DELETE", "/api/v1/auth/token"): Access(USERS),
    ("GET", "/api/v1/auth/tokens"): Access(USERS),
    ("GET", "/api/v1/offices"): Access(USERS),
    ("GET", "/api/v1/categories"): Access(USERS),
    ("GET", "/api/v1/ideas"): Access(USERS),
    ("POST", "/api/v1/ideas"): Access(USERS),
    ("GET", "/api/v1/ideas/<int:idea_id>"): Access(USERS),
    ("PATCH", "/api/v1/ideas/<int:idea_id>"): Access(USERS, NOT_OWNERS),
    ("DELETE", "/api/v1/ideas/<int:idea_id>"): Access(USERS, NOT_OWNERS),
    ("POST", "/api/v1/ideas/<int:idea_id>/comments"): Access(USERS),
    ("PATCH", "/api/v1/comments/<int:comment_id>"): Access(USERS, NOT_AUTHORS),
    ("DELETE", "/api/v1/comments/<int:comment_id>"): Access(USERS, NOT_OWNERS),
    ("PUT", "/api/v1/ideas/<int:idea_id>/endorsement"): Access(USERS),
    ("DELETE", "/api/v1/ideas/<int:idea_id>/endorsement"): Access(USERS),
    ("PUT", "/api/v1/ideas/<int:idea_id>/follow"): Access(USERS),
    ("DELETE", "/api/v1/ideas/<int:idea_id>/follow"): Access(USERS),
    ("GET", "/api/v1/ideas/<int:idea_id>/similar"): Access(USERS),
    ("POST", "/api/v1/ideas/<int:idea_id>/status"): Access(USERS, ("officer2",)),
    ("GET", "/api/v1/ideas/<int:idea_id>/history"): Access(USERS),
    ("GET", "/api/v1/ideas/<int:idea_id>/adoptions"): Access(USERS),
    ("POST", "/api/v1/ideas/<int:idea_id>/adoptions"): Access(USERS),
    ("PATCH", "/api/v1/ideas/<int:idea_id>/adoptions/<adoption_id>"): Access(USERS, (OFFICER, "officer2")),
    ("GET", "/api/v1/search"): Access(USERS),
    ("GET", "/api/v1/users/suggest"): Access(USERS),
    ("GET", "/api/v1/saved-searches"): Access(USERS),
    ("POST", "/api/v1/saved-searches"): Access(USERS),
    ("DELETE", "/api/v1/saved-searches/<saved_id>"): Access(USERS, ("officer2",)),
    ("GET", "/api/v1/me/email-preferences"): Access(USERS),
    ("PUT", "/api/v1/me/email-preferences"): Access(USERS),
    ("GET", "/api/v1/followup/flags"): Access(STAFF_UP),
    ("GET", "/api/v1/followup/flags/<flag_id>"): Access(STAFF_UP),
    ("POST", "/api/v1/followup/flags/<flag_id>/resolve"): Access(STAFF_UP),
    ("POST", "/api/v1/followup/flags/<flag_id>/assign"): Access(STAFF_UP),
    ("POST", "/api/v1/followup/flags/<flag_id>/escalate"): Access(STAFF_UP),
    ("GET", "/api/v1/followup/report"): Access(STAFF_UP),
    ("GET", "/api/v1/reports/impact"): Access(STAFF_UP),
}


def _body(rule: str, targets: dict) -> dict:
    """A request that passes every check but the one under test (JSON for the API, the form for pages)."""
    if "adoption_id" in rule:
        return {"status": "running", "note": "Going well", "adoption-status": "running", "adoption-note": "Going well"}
    return {
        "title": "A changed title for the matrix",
        "body": "A changed body",
        "category": targets["category_id"],
        "status": "closed",
        "reason": "withdrawn",
        "note": "A note",
        "office": "DIST",
        "q": "land",
        "email": "officer@x.gov",
        "password": PASSWORD,
    }


# Socket events of the default namespace; "connect" is tried with no credentials, a revoked and an expired token.
SOCKET_EVENTS = {"connect", "disconnect", "join_idea", "leave_idea", "post_comment"}

# Tables a refused request may still touch: a token's last use is recorded before the role check.
UNCHECKED_TABLES = {"api_tokens"}


def _routes(app) -> list[tuple[str, str]]:
    return sorted(
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


ROUTES = sorted(MATRIX)


def test_every_route_and_socket_event_has_a_matrix_entry(app):
    routes = set(_routes(app))
    assert routes - MATRIX.keys() == set(), "new routes need an entry in MATRIX"
    assert MATRIX.keys() - routes == set(), "MATRIX names routes that no longer exist"
    events = set(socketio.server.handlers["/"])
    assert events == SOCKET_EVENTS, "socket events changed: update SOCKET_EVENTS and test_socket_events_*"


@pytest.fixture
def app_config(app_config):
    # Flask-SocketIO's test client refuses a message queue.
    return {**app_config, "SOCKETIO_MESSAGE_QUEUE": None}


@pytest.fixture
def targets(world):
    """The objects the URLs point at, all owned by `officer` (the adoption by `senior`'s office)."""
    officer, senior = world["officer"], world["senior"]
    idea = ideas.create_idea(officer, "An idea under test", "Body of the idea", world["land"].id)
    db.session.flush()
    comment = ideas.add_comment(idea, officer, "The author's own comment", None)
    ideas.add_comment(idea, senior, "A senior's reply", comment.id)  # notifies the officer
    db.session.add(Flag(idea=idea, reason="Unanswered", assigned_office=world["min"]))
    adopted = ideas.create_idea(officer2 := world["officer2"], "An implemented idea", "Body", world["land"].id)
    adopted.status = "implemented"
    db.session.flush()
    from forum.lifecycle import service as lifecycle

    adoption = lifecycle.adopt(adopted, senior, "MIN", "We took it up")
    holiday = holidays.add_holiday("2031-03-26", "Independence Day")
    search = saved.create(officer, "land")
    accounts.issue_token(officer, name="to revoke")
    db.session.commit()
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == officer.id))
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == officer.id))
    assert note is not None and officer2 is not None
    return {
        "idea_id": idea.id,
        "comment_id": comment.id,
        "flag_id": db.session.scalar(sa.select(Flag.id)),
        "holiday_id": holiday.id,
        "saved_id": search.id,
        "token_id": token.id,
        "notification_id": note.id,
        "user_id": world["officer2"].id,
        "category_id": world["land"].id,
        "code": "DIST",
        "token": "not-a-signed-token",
        "adoption_id": adoption.id,
        "adopted_idea_id": adopted.id,
    }


def _url(rule: str, targets: dict) -> str:
    path = rule
    values = dict(targets)
    if "adoption_id" in rule:
        values["idea_id"] = targets["adopted_idea_id"]
    if rule.startswith("/lang/"):
        values["code"] = "bn"
    for name, value in values.items():
        path = path.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
    assert "<" not in path, path
    return path


def _snapshot() -> dict:
    """Every row of every table (but UNCHECKED_TABLES): a refused request must change none of them."""
    db.session.rollback()
    rows = {}
    for table in db.metadata.sorted_tables:
        if table.name not in UNCHECKED_TABLES:
            rows[table.name] = sorted(map(repr, db.session.execute(sa.select(table)).all()))
    db.session.rollback()
    return rows


def _revoked_and_expired_tokens(app, user) -> tuple[str, str]:
    revoked, expired = accounts.issue_token(user), accounts.issue_token(user)
    accounts.revoke_token(revoked)
    db.session.commit()
    token = db.session.scalar(sa.select(ApiToken).order_by(ApiToken.id.desc()))
    token.created_at -= timedelta(days=app.config["API_TOKEN_DAYS"] + 1)
    db.session.commit()
    return revoked, expired


def _assert_error_shape(response) -> None:
    error = response.get_json()["error"]
    assert error["code"] and error["message"], error


@pytest.mark.parametrize(("method", "rule"), ROUTES, ids=[f"{m} {r}" for m, r in ROUTES])
def test_each_route_refuses_every_caller_the_matrix_refuses(app, world, targets, client_for, method, rule):
    access = MATRIX[(method, rule)]
    path, body = _url(rule, targets), _body(rule, targets)
    is_api = rule.startswith("/api/")
    users = {role: world[role] for role in USERS} | {"officer2": world["officer2"]}
    tokens = {name: accounts.issue_token(user) for name, user in users.items()}
    revoked, expired = _revoked_and_expired_tokens(app, world[OFFICER])
    pages = {name: client_for(user) for name, user in users.items()} if not is_api else {}

    def call(caller: str | None, token: str | None = None):
        if is_api:
            client = app.test_client()
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            return client.open(path, method=method, headers=headers, json=body)
        client = pages[caller] if caller else app.test_client()
        return client.open(path, method=method, data=body)

    checks = 0
    before = _snapshot()
    refused_roles = [role for role in ROLES if role not in access.allowed]
    for role in refused_roles:
        response = call(None if role == ANON else role, None if role == ANON else tokens[role])
        if is_api:
            assert response.status_code == (401 if role == ANON else 403), (role, response.status_code)
            _assert_error_shape(response)
        elif role == ANON:
            assert response.status_code == 302 and "/login?next=" in response.location, (role, response.status_code)
        else:
            assert response.status_code == 403, (role, response.status_code)
        checks += 1
    if is_api and ANON not in access.allowed:
        for label, token in (("revoked", revoked), ("expired", expired), ("forged", "x" * 43)):
            response = call(None, token)
            assert response.status_code == 401, (label, response.status_code)
            _assert_error_shape(response)
            checks += 1
    for name in access.wrong_users:
        response = call(name, tokens[name])
        assert response.status_code in (403, 404), (name, response.status_code)
        if is_api:
            _assert_error_shape(response)
        checks += 1
    assert _snapshot() == before, "a refused request wrote something"
    for role in ROLES:
        if role in access.allowed and role not in access.wrong_users:
            response = call(None if role == ANON else role, None if role == ANON else tokens[role])
            refused = response.status_code in (401, 403) or (
                response.status_code == 302 and "/login?next=" in response.location and role != ANON
            )
            assert not refused, (role, response.status_code)
            checks += 1
    token_checks = 3 if is_api and ANON not in access.allowed else 0
    assert checks == len(ROLES) - len(set(access.wrong_users) & set(ROLES)) + len(access.wrong_users) + token_checks


def test_a_socket_without_valid_credentials_is_refused(app, world, sockets):
    revoked, expired = _revoked_and_expired_tokens(app, world[OFFICER])
    for auth in (None, {"token": revoked}, {"token": expired}, {"token": "x" * 43}, {"token": 7}):
        assert not sockets(auth=auth).is_connected(), auth


@pytest.mark.parametrize("role", sorted(USERS))
def test_every_socket_event_refuses_a_forbidden_room_for_each_role(world, targets, sockets, role):
    """A deleted idea's room (and a missing one) cannot be joined, left or posted to; nothing is written."""
    ideas.delete_idea(ideas.get_idea(targets["idea_id"]), world[ADMIN])
    db.session.commit()
    sock = sockets(auth={"token": accounts.issue_token(world[role])})
    db.session.commit()
    assert sock.is_connected()
    before = _snapshot()
    for idea_id in (targets["idea_id"], 2**31 - 1, "x"):
        for event, data in (
            ("join_idea", {"idea_id": idea_id}),
            ("leave_idea", {"idea_id": idea_id}),
            ("post_comment", {"idea_id": idea_id, "body": "Into a closed room"}),
        ):
            ack = sock.emit(event, data, callback=True)
            assert ack["ok"] is False and ack["error"], (event, idea_id, ack)
    assert _snapshot() == before
    assert sock.get_received() == [] or all(m["name"] != "comment_created" for m in sock.get_received())


def test_a_socket_is_disconnected_when_its_token_is_revoked(world, targets, sockets):
    raw = accounts.issue_token(world[OFFICER])
    db.session.commit()
    sock = sockets(auth={"token": raw})
    assert sock.emit("join_idea", {"idea_id": targets["idea_id"]}, callback=True) == {"ok": True}
    accounts.revoke_token(raw)
    db.session.commit()
    assert not sock.is_connected()
