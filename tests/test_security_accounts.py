"""Safe by default, accounts: signing key, session lifetimes, password changes, API tokens, throttling."""

import os
import stat
import time
from datetime import timedelta

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from forum import create_app
from forum.accounts import passwords
from forum.accounts import service as accounts
from forum.domain_errors import ValidationError
from forum.extensions import db
from forum.models import ApiToken, utcnow
from forum.security.secret import load_or_create_key
from tests.conftest import PASSWORD, fresh_database

OLD_CONSTANT = "dev-only-not-secret"
NEW_PASSWORD = "Brand-new-pass-2468"


@pytest.fixture
def app_config(app_config):
    # Flask-SocketIO's test client refuses a message queue.
    return {**app_config, "SOCKETIO_MESSAGE_QUEUE": None}


@pytest.fixture
def login(app):
    """login(user) -> a fresh test client holding that user's session cookie."""

    def make(user, password=PASSWORD):
        client = app.test_client()
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return make


def token_for(user, name="api") -> str:
    raw = accounts.issue_token(user, name=name)
    db.session.commit()
    return raw


def forged_cookie(secret: str, user) -> str:
    """A session cookie signed with `secret`, claiming to be `user`, with fresh lifetime stamps."""
    signer_app = Flask("forge")
    signer_app.secret_key = secret
    serializer = SecureCookieSessionInterface().get_signing_serializer(signer_app)
    now = int(time.time())
    return serializer.dumps({"_user_id": user.get_id(), "_fresh": True, "auth_at": now, "seen_at": now})


# Signing key ---------------------------------------------------------------


def test_a_generated_key_is_private_random_and_kept(tmp_path):
    first = load_or_create_key(str(tmp_path / "instance"))
    again = load_or_create_key(str(tmp_path / "instance"))
    other = load_or_create_key(str(tmp_path / "elsewhere"))
    mode = stat.S_IMODE(os.stat(tmp_path / "instance" / "secret_key").st_mode)
    assert first == again and first != other and len(first) >= 32
    assert mode == 0o600


def test_without_a_secret_key_the_app_does_not_use_the_old_constant(app_config):
    app = create_app({**app_config, "SECRET_KEY": None})
    assert app.config["SECRET_KEY"] and app.config["SECRET_KEY"] != OLD_CONSTANT


def test_a_cookie_forged_with_the_old_constant_gets_no_session(app_config):
    app = create_app({**app_config, "SECRET_KEY": None})
    with app.app_context():
        db.create_all()
        accounts.create_office("ROOT", "Cabinet Division")
        admin = accounts.create_user("admin@x.gov", "Admin One", "admin", "ROOT", PASSWORD)
        db.session.commit()
        forged = forged_cookie(OLD_CONSTANT, admin)
        # The same forgery with the real key would work: proof that the test can fail.
        control = forged_cookie(app.config["SECRET_KEY"], admin)
        db.session.remove()
    client, control_client = app.test_client(), app.test_client()
    client.set_cookie("session", forged, domain="localhost")
    control_client.set_cookie("session", control, domain="localhost")
    assert client.get("/admin/users").status_code == 302  # to the login page
    assert control_client.get("/admin/users").status_code == 200


def test_production_cookies_are_secure_and_hsts_is_sent(app_config):
    app = create_app({**app_config, "FORUM_ENV": "production", "SECRET_KEY": "a-real-secret-of-enough-length"})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    response = app.test_client().get("/healthz")
    assert "max-age=" in response.headers["Strict-Transport-Security"]


def test_development_sends_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


# Session lifetimes ---------------------------------------------------------


def test_a_session_idle_past_the_timeout_is_logged_out(app, world, login):
    client = login(world["officer"])
    assert client.get("/profile").status_code == 200
    with client.session_transaction() as session:
        session["seen_at"] -= app.config["SESSION_IDLE_MINUTES"] * 60 + 5
    assert client.get("/profile").status_code == 302


def test_a_busy_session_still_ends_at_its_absolute_lifetime(app, world, login):
    client = login(world["officer"])
    with client.session_transaction() as session:
        session["auth_at"] -= app.config["SESSION_MAX_HOURS"] * 3600 + 5
    assert client.get("/profile").status_code == 302


def test_a_session_within_both_limits_stays(world, login):
    client = login(world["officer"])
    for _ in range(3):
        assert client.get("/profile").status_code == 200


def test_an_idle_session_cannot_open_a_socket(app, world, login, sockets):
    client = login(world["officer"])
    with client.session_transaction() as session:
        session["seen_at"] -= app.config["SESSION_IDLE_MINUTES"] * 60 + 5
    assert not sockets(client).is_connected()


# Password change -------------------------------------------------------------


def _change_password(client, current=PASSWORD, new=NEW_PASSWORD):
    return client.post(
        "/profile",
        data={"pw-current_password": current, "pw-password": new, "pw-password2": new, "pw-submit": "1"},
    )


def test_changing_the_password_ends_every_other_session_socket_and_token(world, login, sockets, client):
    officer = world["officer"]
    here, elsewhere = login(officer), login(officer)
    raw = token_for(officer)
    token_socket, cookie_socket = sockets(auth={"token": raw}), sockets(elsewhere)
    assert token_socket.is_connected() and cookie_socket.is_connected()

    response = _change_password(here)

    assert response.status_code == 302
    assert here.get("/profile").status_code == 200  # this browser stays signed in
    assert elsewhere.get("/profile").status_code == 302
    assert client.get("/api/v1/ideas", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    assert not token_socket.is_connected() and not cookie_socket.is_connected()
    assert accounts.authenticate(officer.email, NEW_PASSWORD) is not None


def test_a_wrong_current_password_changes_nothing(world, login):
    here, elsewhere = login(world["officer"]), login(world["officer"])
    response = _change_password(here, current="Not-my-password-1")
    assert "current password is wrong" in response.get_data(as_text=True)
    assert elsewhere.get("/profile").status_code == 200
    assert accounts.authenticate("officer@x.gov", PASSWORD) is not None


# Password rules --------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("password1", "too easy to guess"),
        ("Password123", "too easy to guess"),
        ("qwertyuiop", "too easy to guess"),
        ("11111111", "too easy to guess"),
        ("Officer-One-2024", "similar to your name or email"),
        ("officer.one@x.gov", "similar to your name or email"),
        ("short", "at least 8"),
    ],
)
def test_weak_passwords_are_refused_with_a_clear_message(password, says):
    with pytest.raises(ValidationError, match=says) as caught:
        passwords.check_password_strength(password, email="officer.one@x.gov", name="Officer One")
    assert caught.value.field == "password"


def test_a_strong_password_is_accepted():
    assert passwords.check_password_strength(NEW_PASSWORD, email="officer.one@x.gov", name="Officer One")


def test_the_profile_page_refuses_a_common_new_password(world, login):
    response = _change_password(login(world["officer"]), new="password123")
    assert "too easy to guess" in response.get_data(as_text=True)
    assert accounts.authenticate("officer@x.gov", PASSWORD) is not None


def test_signup_refuses_a_password_made_of_the_users_name(client, world):
    response = client.post(
        "/signup",
        data={
            "name": "Rahima Khatun",
            "email": "rahima@x.gov",
            "office": "DIST",
            "password": "RahimaKhatun1",
            "password2": "RahimaKhatun1",
        },
    )
    assert "similar to your name or email" in response.get_data(as_text=True)


# Equal timing for unknown accounts -----------------------------------------------


@pytest.mark.parametrize("email", ["nobody@x.gov", "officer@x.gov", 42, "x" * 300])
def test_every_failed_sign_in_checks_one_password_hash(world, monkeypatch, email):
    # A wrong password costs one hash check; an unknown email must cost the same, or timing tells them apart.
    checks = []
    real = passwords.check_password_hash
    monkeypatch.setattr(passwords, "check_password_hash", lambda h, p: checks.append(1) or real(h, p))
    monkeypatch.setattr("forum.models.accounts.check_password_hash", lambda h, p: checks.append(1) or real(h, p))
    assert accounts.authenticate(email, "Wrong-pass-999") is None
    assert len(checks) == 1


# API tokens ------------------------------------------------------------------


def test_revoking_a_token_disconnects_its_sockets_at_once(world, sockets, api, client):
    officer = world["officer"]
    doomed, kept = token_for(officer, "doomed"), token_for(officer, "kept")
    doomed_socket, kept_socket = sockets(auth={"token": doomed}), sockets(auth={"token": kept})
    assert doomed_socket.is_connected() and kept_socket.is_connected()

    response = client.delete("/api/v1/auth/token", headers={"Authorization": f"Bearer {doomed}"})

    assert response.status_code == 204
    assert not doomed_socket.is_connected()
    assert kept_socket.is_connected()


def test_revoking_a_token_from_the_profile_page_disconnects_its_sockets(world, login, sockets):
    officer = world["officer"]
    raw = token_for(officer, "laptop")
    sock = sockets(auth={"token": raw})
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.user_id == officer.id))
    page = login(officer)
    assert "laptop" in page.get("/profile").get_data(as_text=True)

    assert page.post(f"/profile/tokens/{token.id}/revoke").status_code == 302

    assert not sock.is_connected()
    assert accounts.user_for_token(raw) is None


def test_nobody_revokes_another_users_token_from_the_page(world, login):
    raw = token_for(world["officer"])
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.user_id == world["officer"].id))
    assert login(world["officer2"]).post(f"/profile/tokens/{token.id}/revoke").status_code == 404
    assert login(world["officer2"]).post(f"/profile/tokens/{2**70}/revoke").status_code == 404
    assert accounts.user_for_token(raw) is not None


def test_a_token_past_its_lifetime_is_refused_everywhere(app, world, client, sockets):
    raw = token_for(world["officer"])
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.user_id == world["officer"].id))
    token.created_at = utcnow() - timedelta(days=app.config["API_TOKEN_DAYS"], seconds=1)
    db.session.commit()
    assert client.get("/api/v1/ideas", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    assert not sockets(auth={"token": raw}).is_connected()


def test_the_token_lifetime_is_configurable(app_config):
    app = create_app({**app_config, "API_TOKEN_DAYS": 7})
    assert app.config["API_TOKEN_DAYS"] == 7


def test_the_token_list_shows_when_each_was_last_used(world, api):
    caller = api(world["officer"])
    unused = token_for(world["officer"], "never-used")
    assert unused
    caller.get("/ideas")
    items = caller.get("/auth/tokens").get_json()["items"]
    by_name = {item["name"]: item for item in items}
    assert by_name["never-used"]["last_used_at"] is None
    assert by_name["api"]["last_used_at"] is not None
    assert by_name["api"]["expires_at"] > by_name["api"]["created_at"]
    assert all("token" not in item and "token_hash" not in item for item in items)


# Throttling --------------------------------------------------------------------


@pytest.fixture
def limited(app_config):
    app = create_app(
        {
            **app_config,
            "RATELIMIT_ENABLED": True,
            "LOGIN_FAILURES_PER_ACCOUNT": "3 per minute",
            "PASSWORD_CHANGES_PER_USER": "2 per hour",
        }
    )
    with fresh_database(app):
        accounts.create_office("ROOT", "Cabinet Division")
        for name in ("target", "bystander"):
            accounts.create_user(f"{name}@x.gov", name.title(), "officer", "ROOT", PASSWORD)
        db.session.commit()
        yield app


def test_repeated_failures_lock_the_account_whatever_the_ip(limited):
    for n in range(3):
        client = limited.test_client()
        response = client.post(
            "/login",
            data={"email": "target@x.gov", "password": "Wrong-pass-1"},
            environ_base={"REMOTE_ADDR": f"10.0.0.{n}"},
        )
        assert response.status_code == 200
    right = limited.test_client().post(
        "/login", data={"email": "target@x.gov", "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.0.0.99"}
    )
    api = limited.test_client().post(
        "/api/v1/auth/token",
        json={"email": "TARGET@x.gov", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.1.0.1"},
    )
    bystander = limited.test_client().post(
        "/login", data={"email": "bystander@x.gov", "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.0.0.1"}
    )
    assert right.status_code == 429 and api.status_code == 429
    assert bystander.status_code == 302


def test_successful_sign_ins_do_not_count_against_the_account(limited):
    for n in range(5):
        response = limited.test_client().post(
            "/api/v1/auth/token",
            json={"email": "target@x.gov", "password": PASSWORD},
            environ_base={"REMOTE_ADDR": f"10.2.0.{n}"},
        )
        assert response.status_code == 200


def test_password_changes_are_limited_per_user(limited):
    client = limited.test_client()
    assert client.post("/login", data={"email": "target@x.gov", "password": PASSWORD}).status_code == 302
    statuses = [_change_password(client, current="Wrong-pass-1").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
