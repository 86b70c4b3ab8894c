"""The JSON API: shapes, status codes and the error shape of SPEC section 3."""

import pytest

from forum.extensions import db
from forum.models import Idea


def new_idea(client_api, world, **overrides):
    body = {"title": "Online land records", "body": "Some *text*.", "category": world["land"].id, "tags": ["land"]}
    body.update(overrides)
    return client_api.post("/ideas", json=body)


def test_token_returns_user_and_works_as_bearer(client, world, api):
    officer = api(world["officer"])
    response = officer.get("/offices")
    assert response.status_code == 200
    codes = {o["code"]: o["parent"] for o in response.get_json()["items"]}
    assert codes == {"ROOT": None, "MIN": "ROOT", "DIST": "MIN"}


def test_wrong_password_is_401_with_error_shape(client, world):
    response = client.post("/api/v1/auth/token", json={"email": "officer@x.gov", "password": "nope"})
    assert response.status_code == 401
    assert set(response.get_json()["error"]) >= {"code", "message"}


def test_requests_without_token_are_401(client, world):
    response = client.get("/api/v1/ideas")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_revoked_token_stops_working(client, world, api):
    officer = api(world["officer"])
    assert officer.delete("/auth/token").status_code == 204
    assert officer.get("/ideas").status_code == 401


def test_create_idea_returns_the_contract_shape(world, api):
    response = new_idea(api(world["officer"]), world)
    assert response.status_code == 201
    idea = response.get_json()
    assert {
        "id",
        "title",
        "body",
        "body_html",
        "category",
        "tags",
        "reference",
        "author",
        "office",
        "created_at",
        "comment_count",
        "responded",
        "status",
    } <= set(idea)
    assert idea["reference"].startswith("PSI-") and idea["office"] == "DIST"
    assert idea["body_html"] == "<p>Some <em>text</em>.</p>\n"
    assert idea["created_at"].endswith("+00:00")
    assert idea["responded"] is False and idea["status"] == "open"


def test_senior_comment_is_official_and_marks_idea_responded(world, api):
    idea = new_idea(api(world["officer"]), world).get_json()
    senior = api(world["senior"])
    comment = senior.post(f"/ideas/{idea['id']}/comments", json={"body": "We will pilot this."})
    assert comment.status_code == 201 and comment.get_json()["official"] is True
    reply = api(world["officer2"]).post(
        f"/ideas/{idea['id']}/comments", json={"body": "Thanks", "parent_id": comment.get_json()["id"]}
    )
    assert reply.get_json()["parent_id"] == comment.get_json()["id"] and reply.get_json()["official"] is False
    full = senior.get(f"/ideas/{idea['id']}").get_json()
    assert full["responded"] is True and full["comment_count"] == 2
    assert [c["id"] for c in full["comments"]] == [comment.get_json()["id"], reply.get_json()["id"]]


def test_listing_paginates_and_filters(world, api):
    officer = api(world["officer"])
    for n in range(7):
        new_idea(officer, world, title=f"Idea number {n}", category=world["land"].id if n % 2 else world["health"].id)
    page = officer.get("/ideas", query_string={"per_page": 3, "page": 2}).get_json()
    assert page["total"] == 7 and page["pages"] == 3 and page["page"] == 2 and len(page["items"]) == 3
    land = officer.get("/ideas", query_string={"category": world["land"].id}).get_json()
    assert land["total"] == 3 and all(i["category"]["id"] == world["land"].id for i in land["items"])


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"title": "x"}, 422, "title"),
        ({"title": "x" * 201}, 413, "title"),
        ({"body": ""}, 422, "body"),
        ({"body": "b" * 20_001}, 413, "body"),
        ({"category": 99999}, 422, "category"),
        ({"category": "abc"}, 422, "category"),
        ({"tags": "not-a-list-but-ok"}, 201, None),
        ({"tags": [1, 2]}, 422, "tags"),
        ({"tags": ["a", "b", "c", "d", "e", "f"]}, 422, "tags"),
    ],
)
def test_idea_fields_are_validated_without_partial_writes(world, api, payload, status, field):
    response = new_idea(api(world["officer"]), world, **payload)
    assert response.status_code == status, response.get_data(as_text=True)
    if field:
        error = response.get_json()["error"]
        assert error["field"] == field and field in error["message"]
        assert db.session.scalar(db.select(db.func.count(Idea.id))) == 0


def test_malformed_json_is_400(world, api, client):
    officer = api(world["officer"])
    response = client.post(
        "/api/v1/ideas", data="{not json", headers={**officer.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_request"


def test_request_over_one_megabyte_is_413(world, api, client):
    officer = api(world["officer"])
    response = officer.post("/ideas", json={"title": "Big one", "body": "x" * (1024 * 1024 + 10), "category": 1})
    assert response.status_code == 413 and "error" in response.get_json()


def test_unknown_idea_is_404_and_wrong_role_is_403(world, api):
    officer = api(world["officer"])
    assert officer.get("/ideas/987654").status_code == 404
    assert officer.post("/ideas/987654/comments", json={"body": "hi"}).status_code == 404
    idea = new_idea(officer, world).get_json()
    other = api(world["officer2"])
    response = other.patch(f"/ideas/{idea['id']}", json={"title": "Hijacked title"})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    assert other.patch(f"/ideas/{idea['id']}", json={"status": "closed"}).status_code == 403


def test_comment_edit_and_soft_delete(world, api):
    officer = api(world["officer"])
    idea = new_idea(officer, world).get_json()
    comment = officer.post(f"/ideas/{idea['id']}/comments", json={"body": "first"}).get_json()
    reply = api(world["officer2"]).post(
        f"/ideas/{idea['id']}/comments", json={"body": "reply", "parent_id": comment["id"]}
    )
    assert api(world["officer2"]).patch(f"/comments/{comment['id']}", json={"body": "mine now"}).status_code == 403
    edited = officer.patch(f"/comments/{comment['id']}", json={"body": "**edited**"}).get_json()
    assert edited["body_html"] == "<p><strong>edited</strong></p>\n" and edited["edited_at"]
    assert officer.delete(f"/comments/{comment['id']}").status_code == 204
    thread = officer.get(f"/ideas/{idea['id']}").get_json()["comments"]
    assert thread[0]["deleted"] is True and thread[0]["body"] == ""
    assert thread[1]["id"] == reply.get_json()["id"] and thread[1]["parent_id"] == comment["id"]


def test_script_never_reaches_the_html(world, api):
    body = "<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    idea = new_idea(api(world["officer"]), world, body=body).get_json()
    html = idea["body_html"].lower()
    assert "<script" not in html and 'href="javascript' not in html and "<img" not in html and 'onerror="' not in html


def test_endorse_and_follow(world, api):
    idea = new_idea(api(world["officer"]), world).get_json()
    other = api(world["officer2"])
    assert other.put(f"/ideas/{idea['id']}/endorsement").get_json()["endorsement_count"] == 1
    assert other.put(f"/ideas/{idea['id']}/endorsement").get_json()["endorsement_count"] == 1
    assert other.delete(f"/ideas/{idea['id']}/endorsement").get_json()["endorsement_count"] == 0
    assert other.put(f"/ideas/{idea['id']}/follow").get_json() == {"following": True}
