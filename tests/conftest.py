"""Fixtures: a fresh app and database per test, users of each role, logged-in clients."""

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TypeVar

import pytest
import sqlalchemy as sa
from flask import g, request_started
from werkzeug.security import generate_password_hash

from forum import create_app
from forum.accounts import service as accounts
from forum.config import _database_url
from forum.extensions import db, socketio
from forum.ideas import service as ideas
from forum.models import accounts as account_models
from forum.search import pg as search_pg

PASSWORD = "Secret-pass-123"
ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def flask_db(database_url: str, tmp_path: Path, *command: str) -> None:
    """`flask db <command>` (default `upgrade`) in its own process, as an operator runs it; it must succeed."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "FOLLOWUP_SCAN_INTERVAL": "0",
        "FORUM_ENV": "development",
    }
    env.pop("SOCKETIO_MESSAGE_QUEUE", None)
    flask = Path(sys.executable).with_name("flask")
    result = subprocess.run(
        [str(flask), "--app", "wsgi", "db", *(command or ("upgrade",))],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def eventually(check: Callable[[], T], timeout: float = 5.0, interval: float = 0.02) -> T:
    """Poll check() until it returns something truthy and return that; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"still false after {timeout} s: {getattr(check, '__name__', check)!r}")
        time.sleep(interval)


def without_csrf(html: str) -> str:
    """The page with its CSRF tokens masked: they carry a timestamp, so two loads a second apart differ."""
    return re.sub(r'(name="csrf_token" (?:type="hidden" )?value=")[^"]+', r"\1CSRF", html)


def csrf_token(html: str, field: str = "csrf_token") -> str:
    """The value of the hidden CSRF field `field` (a form prefix gives e.g. "escalate-csrf_token") in a page."""
    match = re.search(rf'name="{re.escape(field)}" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, f"no {field} field in the page"
    return match.group(1)


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashes():
    """Hash test passwords with 1,000 rounds of PBKDF2 instead of scrypt.

    scrypt is what production wants, and it cost over half of the suite's CPU time (0.4 s per user created,
    five users per test). check_password_hash reads the method from the stored hash, so logins still check.
    """
    with pytest.MonkeyPatch.context() as patch:
        cheap_hash = partial(generate_password_hash, method="pbkdf2:sha256:1000")
        patch.setattr(account_models, "generate_password_hash", cheap_hash)
        yield


def _database_uri(tmp_path) -> str:
    """SQLite in tmp_path, or a fresh schema in DATABASE_URL's PostgreSQL when set."""
    url = os.environ.get("DATABASE_URL")
    if url and url.startswith(("postgres://", "postgresql")):
        return _worker_database(_database_url())
    return f"sqlite:///{tmp_path / 'test.db'}"


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets its own PostgreSQL database (NAME_gw0, ...): tests drop the schema."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    server, _, name = url.rpartition("/")
    own = f"{name}_{worker}"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": own}) is None:
            conn.execute(sa.text(f'CREATE DATABASE "{own}"'))
    engine.dispose()
    return f"{server}/{own}"


def _search_backend(request, uri: str) -> str:
    """PostgreSQL's own search in the PostgreSQL pass; Whoosh on SQLite and for tests marked `whoosh`."""
    if uri.startswith("postgresql") and request.node.get_closest_marker("whoosh") is None:
        return "postgres"
    return "whoosh"


@pytest.fixture
def app_config(tmp_path, request):
    uri = _database_uri(tmp_path)
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": uri,
        "SEARCH_BACKEND": _search_backend(request, uri),
        "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "SEARCH_SYNC": True,  # index inline after each commit: deterministic tests
        "MAIL_SYNC": True,  # send (here: log) inline after each commit; tests/test_mail.py runs the real sender
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SECRET_KEY": "test",
        "FOLLOWUP_SCAN_INTERVAL": 0,
        "SERVER_NAME": "localhost",
    }


@pytest.fixture
def app(app_config):
    app = create_app(app_config)

    def _fresh_g(sender, **extra):
        # The test holds one app context open, so flask.g would outlive each request: Flask-Login's
        # user and Flask-Babel's locale from one client's request would leak into the next.
        for key in list(g):
            g.pop(key)

    request_started.connect(_fresh_g, app, weak=False)
    with fresh_database(app):
        yield app
    request_started.disconnect(_fresh_g, app)


@contextmanager
def fresh_database(app):
    """Inside app's context, an empty schema (SQLite file or the PostgreSQL public schema), dropped after."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            _reset_postgres()
        db.create_all()
        if app.config["SEARCH_BACKEND"] == "postgres":
            with db.engine.begin() as conn:
                search_pg.create_schema(conn)
        yield
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            _reset_postgres()
        db.engine.dispose()


def _reset_postgres() -> None:
    """Each test gets an empty public schema in the shared PostgreSQL database."""
    db.session.remove()
    with db.engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def world(app):
    """Offices ROOT > MIN > DIST, two categories, one user of each role."""
    root = accounts.create_office("ROOT", "Cabinet Division")
    ministry = accounts.create_office("MIN", "Ministry of Land", "ROOT")
    district = accounts.create_office("DIST", "Gazipur District", "MIN")
    land = ideas.create_category("Land services", "MIN")
    health = ideas.create_category("Health", None)
    users = {
        "officer": accounts.create_user("officer@x.gov", "Officer One", "officer", "DIST", PASSWORD),
        "officer2": accounts.create_user("officer2@x.gov", "Officer Two", "officer", "DIST", PASSWORD),
        "senior": accounts.create_user("senior@x.gov", "Senior One", "senior", "MIN", PASSWORD),
        "staff": accounts.create_user("staff@x.gov", "Staff One", "staff", "ROOT", PASSWORD),
        "admin": accounts.create_user("admin@x.gov", "Admin One", "admin", "ROOT", PASSWORD),
    }
    db.session.commit()
    return {"root": root, "min": ministry, "dist": district, "land": land, "health": health, **users}


@pytest.fixture
def make_user(app):
    """Factory: make_user(role="officer", office="DIST") with a unique email."""
    counter = iter(range(1, 10_000))

    def make(role: str = "officer", office: str = "DIST", **kwargs):
        n = next(counter)
        user = accounts.create_user(
            kwargs.pop("email", f"user{n}@x.gov"), f"User {n}", role, office, PASSWORD, **kwargs
        )
        db.session.commit()
        return user

    return make


@pytest.fixture
def client_for(app):
    """client_for(user): a new test client, with its own cookies, logged in as that user through the login page."""

    def make(user, password: str = PASSWORD):
        client = app.test_client()
        data = {"email": user.email, "password": password}
        if app.config.get("WTF_CSRF_ENABLED", True):
            data["csrf_token"] = csrf_token(client.get("/login").get_data(as_text=True))
        response = client.post("/login", data=data)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return make


@pytest.fixture
def sockets(app):
    """sockets(flask_client=None, auth=None): a Socket.IO test client; all disconnected after the test."""
    made = []

    def connect(flask_client=None, **kwargs):
        sock = socketio.test_client(app, flask_test_client=flask_client, **kwargs)
        made.append(sock)
        return sock

    yield connect
    for sock in made:
        if sock.is_connected():
            sock.disconnect()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, email: str, password: str = PASSWORD):
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def api(client):
    """api(user) returns a helper that calls the JSON API with that user's bearer token."""

    class Api:
        def __init__(self, token: str):
            self.headers = {"Authorization": f"Bearer {token}"}

        def get(self, path, **kw):
            return client.get("/api/v1" + path, headers=self.headers, **kw)

        def post(self, path, **kw):
            return client.post("/api/v1" + path, headers=self.headers, **kw)

        def patch(self, path, **kw):
            return client.patch("/api/v1" + path, headers=self.headers, **kw)

        def put(self, path, **kw):
            return client.put("/api/v1" + path, headers=self.headers, **kw)

        def delete(self, path, **kw):
            return client.delete("/api/v1" + path, headers=self.headers, **kw)

    def for_user(user) -> Api:
        response = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
        assert response.status_code == 200, response.get_data(as_text=True)
        return Api(response.get_json()["token"])

    return for_user


class SmtpInbox:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 and a free port, keeping what it receives."""

    def __init__(self):
        self.messages: list = []
        self.port = _free_port()
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes
        from email.policy import default

        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A running local SMTP server; stopped (even mid-test) and cleaned up by the fixture."""
    inbox = SmtpInbox()
    inbox.start()
    yield inbox
    inbox.stop()
