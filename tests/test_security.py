"""Safe by default, requests: security headers on every response, images from this site only, and
hostile input (deep JSON, NUL characters, ids past 64 bits, calendar ends) refused without a 500."""

import pytest

from forum.extensions import db
from forum.ideas import service as ideas
from forum.ideas.rendering import render_markdown
from forum.security.headers import content_security_policy

BIG = str(2**64)
HUGE = str(2**70)
# One past PostgreSQL's `integer` (every id column): bound as ::INTEGER it aborted the transaction.
PAST_INT4 = str(2**31)


def _rules(app, prefix: str = ""):
    """(method, path with every URL argument filled with `value`) for each route under `prefix`."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(prefix) or rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, rule


def _fill(rule, value: str) -> str:
    path = rule.rule
    for name in rule.arguments:
        for kind in ("int:", "path:", ""):
            path = path.replace(f"<{kind}{name}>", value)
    return path


@pytest.fixture
def bearer(world, api):
    return api(world["admin"]).headers


# Headers ---------------------------------------------------------------------

SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options")


@pytest.mark.parametrize(
    "path",
    [
        "/login",
        "/healthz",
        "/static/css/forum.css",
        "/no-such-page",
        "/api/v1/ideas",
        "/api/v1/no-such-route",
        "/socket.io/?EIO=4&transport=polling",
    ],
)
def test_every_response_carries_the_security_headers(client, path):
    with client.get(path) as response:
        missing = [name for name in SECURITY_HEADERS if name not in response.headers]
    assert missing == [], (path, response.status_code)


def test_the_policy_allows_this_site_only():
    policy = dict(part.strip().split(" ", 1) for part in content_security_policy("forum.gov.bd").split(";"))
    assert policy["img-src"] == "'self'"
    assert policy["connect-src"] == "'self' ws://forum.gov.bd wss://forum.gov.bd"
    assert policy["base-uri"] == "'none'" and policy["form-action"] == "'self'"
    assert policy["script-src"] == "'self'" and "unsafe" not in content_security_policy("x")


@pytest.mark.parametrize("host", ["evil.com; script-src *", "a b", "x\r\nSet-Cookie: y", ""])
def test_a_strange_host_header_never_reaches_the_policy(host):
    assert content_security_policy(host).count("connect-src 'self';") == 1


def test_markdown_images_from_elsewhere_become_links():
    html = render_markdown("![chart](https://tracker.example/pixel.png) ![logo](/static/favicon.svg)")
    assert '<a href="https://tracker.example/pixel.png"' in html and ">chart</a>" in html
    assert '<img src="/static/favicon.svg"' in html
    assert 'tracker.example/pixel.png" alt' not in html


@pytest.mark.parametrize("src", ["//tracker.example/p.png", "javascript:alert(1)", "data:image/png;base64,AAAA"])
def test_protocol_relative_and_data_images_are_not_images(src):
    assert "<img" not in render_markdown(f"![x]({src})")


# Deep JSON -------------------------------------------------------------------


def test_deeply_nested_json_is_400_on_every_api_route(app, world, bearer, client):
    idea = ideas.create_idea(world["officer"], "An idea", "Its body.", world["land"].id)
    db.session.commit()
    tried = 0
    for method, rule in _rules(app, "/api/v1"):
        if method == "GET":
            continue
        for body in ("[" * 100_000, "[" * 50 + "]" * 50, '{"a":' * 40 + "1" + "}" * 40):
            response = client.open(
                _fill(rule, str(idea.id)), method=method, data=body, content_type="application/json", headers=bearer
            )
            tried += 1
            assert response.status_code == 400, (method, rule.rule, body[:5], response.status_code)
            assert response.get_json()["error"]["code"] == "bad_request"
    assert tried >= 30


def test_json_within_the_depth_limit_still_works(world, api):
    response = api(world["officer"]).post(
        "/ideas", json={"title": "Nested tags", "body": "Body.", "category": world["land"].id, "tags": [["x"]]}
    )
    assert response.status_code == 422  # a tag must be text: an answer about the field, not about nesting


# NUL characters ----------------------------------------------------------------


def test_a_nul_in_the_query_string_of_any_change_is_refused(app, world, bearer, client):
    for method, rule in _rules(app):
        if method == "GET":
            continue
        response = client.open(_fill(rule, "1") + "?q=a%00b&page=1", method=method, headers=bearer)
        assert response.status_code == 400, (method, rule.rule, response.status_code)


def test_a_nul_in_a_query_string_to_read_is_dropped(client, world, bearer):
    client.post("/login", data={"email": "admin@x.gov", "password": "Secret-pass-123"})
    for path in ("/?tag=a%00b&office=MI%00N", "/search?q=la%00nd&since=2026-01-01%00", "/followup/?office=%00"):
        assert client.get(path).status_code == 200, path
    for path in ("/ideas?status=op%00en", "/search?q=la%00nd&author=a%00", "/followup/flags?office=%00"):
        assert client.get("/api/v1" + path, headers=bearer).status_code in (200, 422), path


def test_a_nul_in_any_form_field_is_refused_on_every_page(app, world, client):
    client.post("/login", data={"email": "admin@x.gov", "password": "Secret-pass-123"})
    for method, rule in _rules(app):
        if method != "POST" or rule.rule.startswith("/api/"):
            continue
        response = client.post(_fill(rule, "1"), data={"title": "x\x00y", "body": "ok", "name": "n\x00"})
        assert response.status_code == 400, (rule.rule, response.status_code)


def test_a_nul_in_a_json_string_is_refused(world, api):
    caller = api(world["officer"])
    for body in (
        {"title": "Title\x00", "body": "Body", "category": world["land"].id},
        {"title": "Title", "body": "Body", "category": world["land"].id, "tags": ["a\x00"]},
        {"title\x00": "x"},
    ):
        response = caller.post("/ideas", json=body)
        assert response.status_code == 400, body
    assert caller.get("/ideas").get_json()["total"] == 0


# Ids and pages past 64 bits ------------------------------------------------------


@pytest.mark.parametrize("value", [PAST_INT4, BIG, HUGE, "-" + HUGE])
def test_ids_past_the_id_range_are_404_on_every_route(app, world, bearer, client, value):
    client.post("/login", data={"email": "admin@x.gov", "password": "Secret-pass-123"})
    for method, rule in _rules(app):
        # A language code and a signed reset token are not ids (a bad token redirects to ask for a new link).
        if not rule.arguments or rule.endpoint in ("accounts.set_language", "accounts.reset_password", "static"):
            continue
        response = client.open(_fill(rule, value), method=method, headers=bearer, json={})
        assert response.status_code in (404, 405), (method, rule.rule, response.status_code)


@pytest.mark.parametrize(
    "query",
    [f"/ideas?page={HUGE}", f"/ideas?per_page={HUGE}", f"/ideas?category={HUGE}", f"/followup/flags?page={HUGE}"],
)
def test_page_numbers_past_64_bits_are_422_in_the_api(bearer, client, query):
    assert client.get("/api/v1" + query, headers=bearer).status_code == 422


@pytest.mark.parametrize("query", [f"/?page={HUGE}", f"/search?q=land&page={HUGE}", f"/followup/?page={HUGE}"])
def test_page_numbers_past_64_bits_show_a_page(client, world, query):
    client.post("/login", data={"email": "admin@x.gov", "password": "Secret-pass-123"})
    assert client.get(query).status_code == 200


@pytest.mark.parametrize("field", ["category", "parent_id", "duplicate_of"])
def test_ids_past_the_id_range_in_a_json_body_are_422_and_write_nothing(world, api, field):
    caller = api(world["admin"])
    idea = caller.post("/ideas", json={"title": "An idea to aim at", "body": "Body", "category": world["land"].id})
    idea_id = idea.get_json()["id"]
    requests = {
        "category": ("/ideas", {"title": "Another idea", "body": "Body", "category": int(PAST_INT4)}),
        "parent_id": (f"/ideas/{idea_id}/comments", {"body": "A reply", "parent_id": int(PAST_INT4)}),
        "duplicate_of": (
            f"/ideas/{idea_id}/status",
            {"status": "closed", "reason": "duplicate", "note": "Same", "duplicate_of": int(PAST_INT4)},
        ),
    }
    path, body = requests[field]
    response = caller.post(path, json=body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["message"]
    after = caller.get(f"/ideas/{idea_id}").get_json()
    assert (after["status"], after["comment_count"], caller.get("/ideas").get_json()["total"]) == ("open", 0, 1)


def test_search_by_an_author_id_past_64_bits_finds_nothing(bearer, client):
    response = client.get(f"/api/v1/search?q=land&author={HUGE}", headers=bearer)
    assert response.status_code == 200 and response.get_json()["total"] == 0


# Calendar ends -------------------------------------------------------------------


@pytest.mark.parametrize(
    "dates",
    [
        "until=9999-12-31",
        "since=0001-01-01T00:00:00%2B14:00",
        "since=9999-12-31T23:59:59-14:00",
        "until=0001-01-01",
        "since=9999-12-31",
    ],
)
def test_search_dates_at_the_ends_of_the_calendar_are_422_or_empty(bearer, client, dates):
    response = client.get(f"/api/v1/search?q=land&{dates}", headers=bearer)
    assert response.status_code == 422 or (response.status_code == 200 and response.get_json()["total"] == 0)


def test_the_search_page_survives_calendar_ends(client, world):
    client.post("/login", data={"email": "admin@x.gov", "password": "Secret-pass-123"})
    for dates in ("until=9999-12-31", "since=0001-01-01T00:00:00%2B14:00"):
        assert client.get(f"/search?q=land&{dates}").status_code == 200
