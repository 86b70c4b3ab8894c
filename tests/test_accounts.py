"""Accounts: sign-up and approval, sessions, logout everywhere, profile, passwords, rate limits."""

import re

import pytest
import sqlalchemy as sa

from forum import create_app
from forum.extensions import db
from forum.models import ApiToken, User
from tests.conftest import PASSWORD


def signup(client, email="new@x.gov", **overrides):
    data = {
        "name": "New Officer",
        "email": email,
        "designation": "Assistant Commissioner",
        "office": "DIST",
        "password": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return client.post("/signup", data=data)


def user_by_email(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


def test_signup_creates_a_pending_account_that_cannot_log_in(client, world):
    response = signup(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    user = user_by_email("new@x.gov")
    assert user.status == "pending" and user.role == "officer" and user.office.code == "DIST"

    response = client.post("/login", data={"email": "new@x.gov", "password": PASSWORD})
    assert response.status_code == 200
    assert "waiting for an administrator" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still anonymous


def test_admin_approval_lets_the_new_account_log_in(client, world, auth):
    signup(client)
    user = user_by_email("new@x.gov")
    auth.login("admin@x.gov")
    response = client.post(f"/admin/users/{user.id}", data={"role": "officer", "office": "DIST", "status": "active"})
    assert response.status_code == 302
    auth.logout()
    response = auth.login("new@x.gov")
    assert response.status_code == 302
    assert "New Officer" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": "not-an-email"}, "email is not valid"),
        ({"password": "short", "password2": "short"}, "between 8 and 200 characters"),
        ({"password2": "different-pass-1"}, "must be equal"),
        ({"name": ""}, "This field is required"),
        ({"office": "NOPE"}, "Not a valid choice"),
    ],
)
def test_signup_shows_field_errors_and_writes_nothing(client, world, overrides, message):
    response = signup(client, **overrides)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 5


def test_signup_with_a_taken_email_is_a_field_error(client, world):
    response = signup(client, email="OFFICER@x.gov")
    assert response.status_code == 200
    assert "already exists" in response.get_data(as_text=True)


def test_signup_shows_every_problem_at_once_and_keeps_what_was_typed_but_passwords(client, world):
    response = signup(client, email="officer@x.gov", name="", office="", password="password", password2="password")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for field in ("name", "email", "office", "password"):  # form checks and service checks together
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="{field}"', html), field
    assert "already exists" in html and "too easy to guess" in html
    assert 'value="officer@x.gov"' in html and 'value="Officer"' not in html
    assert 'value="password"' not in html  # passwords are never sent back
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 5


def test_signup_office_starts_empty_and_can_be_searched(client, world):
    html = client.get("/signup").get_data(as_text=True)
    options = re.search(r'<select[^>]*name="office".*?</select>', html, re.S)[0]
    assert re.search(r'<option[^>]*value="">Choose your office</option>', options) and "selected" not in options
    assert 'data-searchable="Type to find your office"' in html


def test_passwords_are_hashed_not_stored_in_clear(world):
    user = world["officer"]
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:", "argon2"))
    assert user.check_password(PASSWORD) and not user.check_password(PASSWORD + "x")


def test_login_and_logout(client, world, auth):
    assert client.get("/").status_code == 302
    response = auth.login("officer@x.gov")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Officer One" in client.get("/").get_data(as_text=True)
    response = auth.logout()
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    ("email", "password"),
    [("officer@x.gov", "wrong-password"), ("nobody@x.gov", PASSWORD)],
)
def test_wrong_credentials_are_a_readable_error(client, world, auth, email, password):
    response = auth.login(email, password)
    assert response.status_code == 200 and "Wrong email or password" in response.get_data(as_text=True)


def test_a_nul_in_the_login_form_is_refused_and_signs_nobody_in(client, world, auth):
    assert auth.login("officer@x.gov\x00", PASSWORD).status_code == 400
    assert client.get("/").status_code == 302


def test_logout_voids_a_copied_session_cookie(app, client, world, auth):
    auth.login("officer@x.gov")
    stolen = client.get_cookie("session").value
    other = app.test_client()
    other.set_cookie("session", stolen)
    assert other.get("/").status_code == 200  # the copy works while the session lives

    auth.logout()
    assert user_by_email("officer@x.gov").session_version == 2
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_deactivation_logs_the_user_out_and_revokes_api_tokens(app, client, world, auth, api):
    officer_api = api(world["officer"])
    assert officer_api.get("/ideas").status_code == 200
    officer = app.test_client()
    officer.post("/login", data={"email": "officer@x.gov", "password": PASSWORD})
    assert officer.get("/").status_code == 200

    auth.login("admin@x.gov")
    response = client.post(
        f"/admin/users/{world['officer'].id}", data={"role": "officer", "office": "DIST", "status": "deactivated"}
    )
    assert response.status_code == 302

    assert officer.get("/").status_code == 302
    assert officer_api.get("/ideas").status_code == 401
    tokens = db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == world["officer"].id)).all()
    assert tokens and all(t.revoked_at is not None for t in tokens)
    # and the deactivated account cannot log in again
    response = app.test_client().post("/login", data={"email": "officer@x.gov", "password": PASSWORD})
    assert response.status_code == 200 and "Wrong email or password" in response.get_data(as_text=True)


def test_profile_edit_saves_and_shows_field_errors(client, world, auth):
    auth.login("officer@x.gov")
    response = client.post(
        "/profile", data={"name": "Officer Renamed", "designation": "UNO", "locale": "bn", "submit": "Save"}
    )
    assert response.status_code == 302
    user = user_by_email("officer@x.gov")
    assert (user.name, user.designation, user.locale) == ("Officer Renamed", "UNO", "bn")

    response = client.post("/profile", data={"name": "", "designation": "", "locale": "", "submit": "Save"})
    assert response.status_code == 200 and "This field is required" in response.get_data(as_text=True)
    response = client.post("/profile", data={"name": "x" * 121, "locale": "", "submit": "Save"})
    assert response.status_code == 200 and "120 characters" in response.get_data(as_text=True)
    assert user_by_email("officer@x.gov").name == "Officer Renamed"


def test_password_change_checks_the_current_password(client, world, auth):
    auth.login("officer@x.gov")

    def change(current, new, repeat=None):
        return client.post(
            "/profile",
            data={
                "pw-current_password": current,
                "pw-password": new,
                "pw-password2": new if repeat is None else repeat,
                "pw-submit": "Change password",
            },
        )

    response = change("wrong-password", "New-pass-456")
    assert response.status_code == 200 and "current password is wrong" in response.get_data(as_text=True)
    response = change(PASSWORD, "short")
    assert response.status_code == 200 and "between 8 and 200 characters" in response.get_data(as_text=True)
    response = change(PASSWORD, "New-pass-456", "Other-pass-789")
    assert response.status_code == 200 and "must be equal" in response.get_data(as_text=True)
    assert user_by_email("officer@x.gov").check_password(PASSWORD)

    assert change(PASSWORD, "New-pass-456").status_code == 302
    assert user_by_email("officer@x.gov").check_password("New-pass-456")
    auth.logout()
    assert auth.login("officer@x.gov", PASSWORD).status_code == 200
    assert auth.login("officer@x.gov", "New-pass-456").status_code == 302


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/ideas/new", "/ideas/new"),
        ("/notifications?page=2", "/notifications?page=2"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example/", "/"),
        ("\\\\evil.example/", "/"),
        ("/\t/evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("http:/evil.example", "/"),
    ],
)
def test_login_next_never_leaves_the_site(client, world, target, expected):
    response = client.post(
        "/login", query_string={"next": target}, data={"email": "officer@x.gov", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_language_switch_next_never_leaves_the_site(client, world):
    response = client.get("/lang/bn", query_string={"next": "//evil.example/"})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_login_page_redirects_a_logged_in_user(client, world, auth):
    auth.login("officer@x.gov")
    assert client.get("/login").status_code == 302


def test_other_users_page_and_unknown_user(client, world, auth):
    auth.login("officer@x.gov")
    response = client.get(f"/users/{world['senior'].id}")
    assert response.status_code == 200 and "Senior One" in response.get_data(as_text=True)
    assert client.get("/users/987654").status_code == 404


def test_login_post_is_rate_limited_when_enabled(app_config, world):
    limited = create_app({**app_config, "RATELIMIT_ENABLED": True})
    client = limited.test_client()
    statuses = [
        client.post("/login", data={"email": "officer@x.gov", "password": "wrong-password"}).status_code
        for _ in range(25)
    ]
    assert statuses[0] == 200
    assert 429 in statuses
    response = client.post("/login", data={"email": "officer@x.gov", "password": PASSWORD})
    assert response.status_code == 429
    # GET is not limited: the form still shows.
    assert client.get("/login").status_code == 200
    with limited.app_context():
        db.engine.dispose()  # this second app has its own engine: close its connections
