"""The composer's server side: preview through the post renderer, comments posted as JSON, the catch-up thread."""

import pytest

from forum.extensions import db
from forum.ideas import service as ideas

JSON = {"Accept": "application/json"}


@pytest.fixture
def officer(client, world, auth):
    auth.login("officer@x.gov")
    return client


@pytest.fixture
def idea(world):
    created = ideas.create_idea(world["officer"], "Composer idea", "Body text.", world["land"].id, None)
    db.session.commit()
    return created


def test_preview_renders_markdown_through_the_same_sanitiser_as_a_post(officer):
    response = officer.post("/preview", json={"body": "**bold** <script>alert(1)</script> [x](javascript:alert(1))"})
    assert response.status_code == 200
    html = response.get_json()["html"]
    assert "<strong>bold</strong>" in html
    assert "<script>" not in html and 'href="javascript' not in html


def test_preview_without_a_body_is_a_422_not_a_500(officer):
    response = officer.post("/preview", json={"body": 3})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_field"


def test_preview_needs_a_login(client):
    assert client.post("/preview", json={"body": "x"}).status_code in (302, 401)


def test_a_comment_posted_by_the_page_script_answers_the_comment_as_json(officer, idea):
    response = officer.post(f"/ideas/{idea.id}/comments", data={"body": "Through *fetch*"}, headers=JSON)
    assert response.status_code == 201
    comment = response.get_json()["comment"]
    assert comment["idea_id"] == idea.id and "<em>fetch</em>" in comment["body_html"]


def test_an_empty_comment_from_the_page_script_is_a_422_with_a_message_for_the_box(officer, idea):
    response = officer.post(f"/ideas/{idea.id}/comments", data={"body": ""}, headers=JSON)
    assert response.status_code == 422
    assert response.get_json()["error"]["message"]


def test_the_plain_form_post_still_redirects_to_the_comment(officer, idea):
    response = officer.post(f"/ideas/{idea.id}/comments", data={"body": "Plain form"})
    assert response.status_code == 302 and "#c" in response.headers["Location"]


def test_thread_json_lists_comments_and_the_answered_state_for_catch_up(officer, idea, world):
    ideas.add_comment(idea, world["senior"], "Official answer")
    db.session.commit()
    data = officer.get(f"/ideas/{idea.id}/thread.json").get_json()
    assert data["responded"] is True
    assert [c["body"] for c in data["comments"]] == ["Official answer"]


def test_thread_json_leaves_the_comments_out_while_the_idea_is_still_at_the_version_the_page_rendered(
    officer, idea, world
):
    rendered = db.session.get(type(idea), idea.id).version
    assert officer.get(f"/ideas/{idea.id}/thread.json?version={rendered}").get_json()["unchanged"] is True
    ideas.add_comment(idea, world["senior"], "Posted before the page joined its room")
    db.session.commit()
    data = officer.get(f"/ideas/{idea.id}/thread.json?version={rendered}").get_json()
    assert data["unchanged"] is False and data["version"] > rendered
    assert [c["body"] for c in data["comments"]] == ["Posted before the page joined its room"]


def test_new_idea_form_starts_with_no_category_chosen(officer, world):
    html = officer.get("/ideas/new").get_data(as_text=True)
    select = html[html.index('<select id="category"') : html.index("</select>", html.index('<select id="category"'))]
    assert select.index('value="0"') < select.index(f'value="{world["land"].id}"')
    assert "selected" not in select
    response = officer.post("/ideas/new", data={"title": "A good title", "body": "Body", "category": "0"})
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.get_data(as_text=True)


def test_markdown_help_page_renders(officer):
    assert officer.get("/help/markdown").status_code == 200
