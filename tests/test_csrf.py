"""CSRF: with protection on, every page POST without a token is refused and writes nothing; the API is exempt."""

import re

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.ideas import service as ideas
from forum.models import Idea
from tests.conftest import PASSWORD


@pytest.fixture
def app_config(app_config):
    """This module's app runs with CSRF protection on, as in production."""
    return {**app_config, "WTF_CSRF_ENABLED": True}


def csrf_token(client, path="/login") -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match, f"no csrf_token field on {path}"
    return match.group(1)


def login(client, email: str) -> None:
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.status_code == 302


def snapshot() -> dict[str, list]:
    """Every row of every table, to prove that a refused request wrote nothing."""
    db.session.expire_all()
    return {
        table.name: sorted(map(repr, db.session.execute(sa.select(table)).all())) for table in db.metadata.sorted_tables
    }


# Page POSTs exempt from CSRF on purpose, each with its own proof: the one-click unsubscribe link
# carries a signed token (mail clients POST it without a form, RFC 8058).
CSRF_EXEMPT_ENDPOINTS = {"mail.unsubscribe"}


def page_post_urls(app) -> list[str]:
    """Every POST route outside the API and the exempt list, with 1 (or 'MIN') for each path argument."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or ()) or rule.endpoint.startswith(("api.", "static")):
            continue
        if rule.endpoint in CSRF_EXEMPT_ENDPOINTS:
            continue
        values = {arg: "MIN" if arg == "code" else 1 for arg in rule.arguments}
        with app.test_request_context():
            from flask import url_for

            urls.append(url_for(rule.endpoint, **values))
    return sorted(set(urls))


@pytest.fixture
def seeded(world):
    idea = ideas.create_idea(world["officer"], "An idea to protect", "Body", world["land"].id)
    ideas.add_comment(idea, world["officer"], "A comment to protect")
    db.session.commit()
    return idea


def test_every_page_post_route_is_covered(app, seeded):
    urls = page_post_urls(app)
    for expected in ("/login", "/logout", "/signup", "/ideas/new", "/ideas/1/comments", "/admin/users"):
        assert expected in urls


@pytest.mark.parametrize("as_user", [None, "admin@x.gov"])
def test_page_posts_without_a_token_are_refused_and_write_nothing(app, client, seeded, as_user):
    if as_user:
        login(client, as_user)
    before = snapshot()
    form = {
        "title": "Forged idea title",
        "body": "forged",
        "category": "1",
        "name": "Forged",
        "email": "forged@x.gov",
        "password": PASSWORD,
        "password2": PASSWORD,
        "office": "DIST",
        "role": "admin",
        "status": "deactivated",
        "code": "FORGED",
        "note": "forged",
    }
    for url in page_post_urls(app):
        response = client.post(url, data=form)
        assert response.status_code == 400, f"{url} answered {response.status_code} without a CSRF token"
        assert "CSRF" in response.get_data(as_text=True)
    assert snapshot() == before


def test_the_csrf_exempt_unsubscribe_post_needs_its_signed_token(client, seeded):
    before = snapshot()
    assert client.post("/mail/unsubscribe/forged-token").status_code == 404
    assert snapshot() == before


def test_a_wrong_token_is_refused_too(client, seeded):
    login(client, "officer@x.gov")
    response = client.post(
        "/ideas/new", data={"title": "Forged title", "body": "x", "category": "1", "csrf_token": "x"}
    )
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Idea.id))) == 1


def test_page_posts_with_the_token_work(client, world):
    login(client, "officer@x.gov")
    token = csrf_token(client, "/ideas/new")
    response = client.post(
        "/ideas/new",
        data={"title": "Posted with a token", "body": "x", "category": str(world["land"].id), "csrf_token": token},
    )
    assert response.status_code == 302
    logout = client.post("/logout", data={"csrf_token": token})
    assert logout.status_code == 302
    assert client.get("/").status_code == 302


def test_the_bearer_api_is_exempt(client, world, api):
    officer = api(world["officer"])  # POST /api/v1/auth/token itself needs no CSRF token
    response = officer.post("/ideas", json={"title": "From the API", "body": "x", "category": world["land"].id})
    assert response.status_code == 201
    idea_id = response.get_json()["id"]
    assert officer.post(f"/ideas/{idea_id}/comments", json={"body": "hi"}).status_code == 201
    assert officer.put(f"/ideas/{idea_id}/endorsement").status_code == 200
    assert officer.delete("/auth/token").status_code == 204
