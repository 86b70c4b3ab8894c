"""Real PSI Forum server processes for tests and benchmarks: gunicorn + gevent, 127.0.0.1 only.

A Site is a temporary SQLite database and search index made the way an operator
would (`flask db upgrade` and the create-* commands); `Site.start()` runs a
gunicorn process on a free port against it. Every process started here is
stopped by `Site.stop()` (also on error, when used as a context manager).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "Secret-pass-123"
HOST = "127.0.0.1"
# Settings a developer's shell (or CI) may hold that must not leak into the servers under test.
_SCRUB = ("DATABASE_URL", "SOCKETIO_MESSAGE_QUEUE", "SEARCH_INDEX_DIR", "RATELIMIT_STORAGE_URI", "FORUM_ENV")


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """One gunicorn process serving the forum."""

    def __init__(self, process: subprocess.Popen, port: int, log: Path) -> None:
        self.process = process
        self.port = port
        self.log = log

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        except ProcessLookupError:
            pass


class Site:
    """A database and index in `directory`, shared by every server started from it."""

    def __init__(self, directory: Path, *, queue: str | None = None, extra_env: dict | None = None) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
        self.env.update(
            {
                "DATABASE_URL": f"sqlite:///{self.directory / 'forum.db'}",
                "SEARCH_INDEX_DIR": str(self.directory / "index"),
                "SECRET_KEY": "live-test-secret",
                "RATELIMIT_ENABLED": "false",
                "FOLLOWUP_SCAN_INTERVAL": "0",
                "PYTHONUNBUFFERED": "1",
            }
        )
        if queue:
            self.env["SOCKETIO_MESSAGE_QUEUE"] = queue
        self.env.update(extra_env or {})
        self.servers: list[Server] = []

    def flask(self, *args: str) -> str:
        """Run `flask --app wsgi ARGS` against this site's database; its output."""
        result = subprocess.run(
            [str(BIN / "flask"), "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def create(self, users: dict[str, tuple[str, str]]) -> None:
        """Schema, offices ROOT > MIN > DIST, a category owned by MIN, and users {email: (name, role)}."""
        self.flask("db", "upgrade")
        self.flask("create-office", "--code", "ROOT", "--name", "Cabinet Division")
        self.flask("create-office", "--code", "MIN", "--name", "Ministry of Land", "--parent", "ROOT")
        self.flask("create-office", "--code", "DIST", "--name", "Gazipur District", "--parent", "MIN")
        self.flask("create-category", "--name", "Land services", "--office", "MIN")
        for email, (name, role) in users.items():
            office = {"senior": "MIN", "officer": "DIST"}.get(role, "ROOT")
            self.flask(
                "create-user", "--email", email, "--name", name, "--role", role, "--office", office,
                "--password", PASSWORD,
            )  # fmt: skip

    def start(self, port: int | None = None, timeout: float = 30) -> Server:
        """Start one gunicorn process (gevent worker, gunicorn.conf.py) and wait until it answers."""
        port = port or free_port()
        log = self.directory / f"server-{port}.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--bind", f"{HOST}:{port}", "wsgi:app"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so stop() reaches the worker too
            )
        server = Server(process, port, log)
        self.servers.append(server)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"server on port {port} exited:\n{log.read_text()[-3000:]}")
            try:
                if requests.get(server.url + "/login", timeout=2).status_code == 200:
                    return server
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server on port {port} did not start in {timeout} s:\n{log.read_text()[-3000:]}")

    def stop(self) -> None:
        for server in self.servers:
            server.stop()
        self.servers.clear()

    def __enter__(self) -> Site:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class SiteWithUsers:
    """A running site and its users, each known by a key ("officer", "senior" ...)."""

    site: Site
    url: str
    run: str  # unique to this site: in every email address and name
    emails: dict[str, str]
    names: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, key: str) -> str:
        """An API token of the user `key` (asked for once)."""
        if key not in self.tokens:
            self.tokens[key] = api_token(self.url, self.emails[key])
        return self.tokens[key]


@contextmanager
def site_with_users(directory: Path, people: dict[str, tuple[str, str]]) -> Iterator[SiteWithUsers]:
    """A started site (Site.create, Site.start) whose users are `people` {key: (name, role)}.

    Each user's email is <key>.<run>@x.gov and their name ends with the run, so both are unique to this site.
    """
    run = uuid.uuid4().hex[:6]
    emails = {key: f"{key}.{run}@x.gov" for key in people}
    names = {key: f"{name} {run}" for key, (name, _role) in people.items()}
    with Site(directory) as site:
        site.create({emails[key]: (names[key], role) for key, (_name, role) in people.items()})
        yield SiteWithUsers(site, site.start().url, run, emails, names)


def api_token(base_url: str, email: str) -> str:
    response = requests.post(f"{base_url}/api/v1/auth/token", json={"email": email, "password": PASSWORD}, timeout=10)
    response.raise_for_status()
    return response.json()["token"]


def api_post(base_url: str, token: str, path: str, body: dict) -> dict:
    response = requests.post(
        f"{base_url}/api/v1{path}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert response.status_code == 201, response.text
    return response.json()


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def login_session(base_url: str, email: str) -> requests.Session:
    """A requests session logged in through the page form, as a browser would be."""
    session = requests.Session()
    token = csrf_token(session.get(base_url + "/login", timeout=10).text)
    response = session.post(
        base_url + "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}, timeout=10
    )
    assert response.ok and "/login" not in response.url, response.url
    return session
