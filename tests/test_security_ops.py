"""Operations: /readyz says which dependency is down; one structured log line per request, no secrets."""

import json
import logging

import pytest

from forum import create_app
from forum.extensions import db
from forum.security import requestlog


def test_healthz_is_unchanged(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_data(as_text=True) == "ok"


@pytest.mark.whoosh  # the Whoosh folder is the index it checks; PostgreSQL's search lives in the database
def test_readyz_is_ready_when_everything_answers(client):
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "ready"
    assert body["checks"]["database"] == "ok" and body["checks"]["index"] == "ok"


def test_readyz_names_redis_when_it_is_down(app_config):
    app = create_app({**app_config, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0"})
    with app.app_context():
        db.create_all()
    response = app.test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 503 and body["status"] == "not ready"
    assert body["checks"]["redis"].startswith("down") and body["checks"]["database"] == "ok"


def test_readyz_names_the_database_when_it_is_down(app_config, tmp_path):
    (tmp_path / "a-folder").mkdir()  # SQLite cannot open a folder as its database file
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/a-folder"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and response.get_json()["checks"]["database"].startswith("down")


# Backing services down (found by bench/fault.py): a 503 to retry, never a 500 ------------------------


def test_with_the_database_down_the_api_answers_503_to_retry(app_config, tmp_path):
    (tmp_path / "a-folder").mkdir()
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/a-folder"})
    response = app.test_client().post("/api/v1/auth/token", json={"email": "a@x.gov", "password": "x"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.get_json()["error"]["code"] == "unavailable"
    assert "try again" in response.get_json()["error"]["message"]


def test_with_the_database_down_a_page_answers_503_without_the_layout(app_config, tmp_path):
    (tmp_path / "a-folder").mkdir()
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/a-folder"})
    response = app.test_client().post("/login", data={"email": "a@x.gov", "password": "x"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "try again" in response.get_data(as_text=True)


def test_with_redis_down_limited_requests_still_succeed_counted_in_memory(app_config, world):
    land_id = world["land"].id
    db.session.rollback()  # the fixture's app lets go of the database (SQLite: its write lock) for the second app
    app = create_app({**app_config, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0"})
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"email": "officer@x.gov", "password": "Secret-pass-123"})
    assert token.status_code == 200, token.get_data(as_text=True)
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
    body = {"title": "Posted while Redis is down", "body": "Body", "category": land_id}
    statuses = [client.post("/api/v1/ideas", json=body, headers=headers).status_code for _ in range(31)]
    assert statuses == [201] * 30 + [429]  # the "30 per minute" limit still holds, in this process's memory


@pytest.mark.whoosh
def test_readyz_names_the_index_when_it_cannot_be_opened(app_config, tmp_path):
    blocked = tmp_path / "index-is-a-file"
    blocked.write_text("not an index")
    app = create_app({**app_config, "SEARCH_INDEX_DIR": str(blocked)})
    with app.app_context():
        db.create_all()
    response = app.test_client().get("/readyz")
    checks = response.get_json()["checks"]
    assert response.status_code == 503 and checks["index"].startswith("down") and checks["database"] == "ok"


@pytest.fixture
def log_lines(caplog):
    caplog.set_level(logging.INFO, logger="forum.requests")
    requestlog.logger.propagate = True  # let caplog see them

    def lines() -> list[dict]:
        return [json.loads(r.getMessage()) for r in caplog.records if r.name == "forum.requests"]

    yield lines
    requestlog.logger.propagate = False


def test_each_request_logs_one_line_with_timing_status_and_user(world, api, client, log_lines):
    caller = api(world["officer"])
    caller.get("/ideas?page=1")
    client.get("/no-such-page")
    lines = log_lines()
    ideas_line = next(line for line in lines if line["path"] == "/api/v1/ideas")
    assert ideas_line["status"] == 200 and ideas_line["user"] == world["officer"].id and ideas_line["ms"] >= 0
    assert any(line["path"] == "/no-such-page" and line["status"] == 404 and line["user"] is None for line in lines)


def test_request_logs_hold_no_password_token_or_query(world, client, log_lines):
    token = client.post("/api/v1/auth/token", json={"email": "officer@x.gov", "password": "Secret-pass-123"})
    raw = token.get_json()["token"]
    client.get("/api/v1/search?q=secret-plan", headers={"Authorization": f"Bearer {raw}"})
    client.post("/login", data={"email": "officer@x.gov", "password": "Secret-pass-123"})
    text = json.dumps(log_lines())
    assert "Secret-pass-123" not in text and raw not in text and "secret-plan" not in text
    assert text.count('"path"') >= 3
