"""Mentions: the people-suggest endpoints, @-mentions in comments and ideas, and what is refused."""

import pytest
import sqlalchemy as sa
from flask_socketio import SocketIOTestClient

from forum.accounts import service as accounts
from forum.extensions import db, socketio
from forum.ideas import service as ideas
from forum.models import Comment, Idea, Mention, Notification


def at(user) -> str:
    """The mention the composer writes for a user."""
    return f"@[{user.name}](/users/{user.id})"


@pytest.fixture
def app_config(app_config):
    """Flask-SocketIO's test client refuses a message queue (the PostgreSQL + Redis pass sets one)."""
    return {**app_config, "SOCKETIO_MESSAGE_QUEUE": None}


@pytest.fixture
def idea(world):
    found = ideas.create_idea(world["officer"], "Digital land records", "Scan every mouza map.", world["land"].id)
    db.session.commit()
    return found


def test_suggest_lists_at_most_ten_active_people_with_designation_and_office(world, api, make_user):
    for n in range(12):
        make_user(role="senior", office="MIN", designation=f"Deputy Secretary {n}")
    gone = make_user(office="MIN", designation="Deputy Secretary (retired)")
    accounts.set_user_status(gone, "deactivated")
    db.session.commit()
    response = api(world["officer"]).get("/users/suggest?q=deputy")
    items = response.get_json()["items"]
    assert response.status_code == 200 and len(items) == 10
    assert set(items[0]) >= {"id", "name", "designation", "office"}
    assert items[0]["office"] == "MIN" and items[0]["designation"].startswith("Deputy Secretary")
    assert gone.id not in {i["id"] for i in items}


def test_suggest_puts_name_prefixes_first_and_treats_wildcards_as_text(world, api):
    client = api(world["officer"])
    names = [i["name"] for i in client.get("/users/suggest?q=sen").get_json()["items"]]
    assert names[0] == "Senior One"
    assert client.get("/users/suggest?q=%25").get_json()["items"] == []
    assert client.get("/users/suggest?q=").get_json()["items"] == []


def test_suggest_needs_a_token_in_the_api_and_a_login_on_pages(world, client, auth):
    assert client.get("/api/v1/users/suggest?q=sen").status_code == 401
    assert client.get("/users/suggest?q=sen").status_code in (302, 401)
    auth.login("officer@x.gov")
    assert client.get("/users/suggest?q=sen").get_json()["items"][0]["name"] == "Senior One"


def test_a_mention_in_a_comment_notifies_links_and_renders_as_a_profile_link(world, idea, api):
    response = api(world["officer2"]).post(
        f"/ideas/{idea.id}/comments", json={"body": f"{at(world['senior'])} could your office look at this?"}
    )
    assert response.status_code == 201
    comment = response.get_json()
    assert (
        f'@<a href="/users/{world["senior"].id}" rel="nofollow noopener noreferrer">Senior One</a>'
        in comment["body_html"]
    )
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == world["senior"].id))
    assert note.kind == "mention" and note.comment_id == comment["id"] and note.idea_id == idea.id
    assert "Officer Two mentioned you" in note.text
    mention = db.session.scalar(sa.select(Mention))
    assert (mention.user_id, mention.comment_id, mention.author_id) == (
        world["senior"].id,
        comment["id"],
        world["officer2"].id,
    )


def test_a_mention_reaches_the_person_live(app, world, idea):
    sock = SocketIOTestClient(app, socketio, auth={"token": accounts.issue_token(world["senior"])})
    db.session.commit()
    try:
        sock.get_received()
        ideas.add_comment(idea, world["officer2"], f"Asking {at(world['senior'])}")
        db.session.commit()
        live = [e for e in sock.get_received() if e["name"] == "notification"]
        assert live and live[0]["args"][0]["kind"] == "mention" and live[0]["args"][0]["idea_id"] == idea.id
    finally:
        sock.disconnect()


def test_the_idea_author_mentioned_in_a_comment_gets_one_notification_not_two(world, idea):
    ideas.add_comment(idea, world["officer2"], f"{at(world['officer'])} great idea")
    db.session.commit()
    kinds = db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == world["officer"].id)).all()
    assert kinds == ["mention"]


def test_a_mention_in_an_idea_notifies_the_person(world, api):
    response = api(world["officer"]).post(
        "/ideas",
        json={"title": "Mobile courts for land", "body": f"cc {at(world['senior'])}", "category": world["land"].id},
    )
    assert response.status_code == 201
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == world["senior"].id))
    assert note.kind == "mention" and note.idea_id == response.get_json()["id"] and note.comment_id is None


def test_editing_a_comment_tells_only_the_newly_mentioned(world, idea, make_user):
    third = make_user()
    comment = ideas.add_comment(idea, world["officer2"], f"{at(world['senior'])}")
    db.session.commit()
    ideas.edit_comment(comment, world["officer2"], f"{at(world['senior'])} and {at(third)}")
    db.session.commit()
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(Notification.kind == "mention"))
        == 2
    )


def test_mentions_of_unknown_or_deactivated_people_are_refused_naming_them(world, idea, api, make_user):
    gone = make_user(office="MIN")
    accounts.set_user_status(gone, "deactivated")
    db.session.commit()
    response = api(world["officer2"]).post(
        f"/ideas/{idea.id}/comments", json={"body": f"@[Nobody Here](/users/99999) and {at(gone)}"}
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["field"] == "body" and error["message"].startswith("body cannot mention")
    assert "Nobody Here" in error["message"] and gone.name in error["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Mention)) == 0


def test_more_than_ten_people_in_one_post_are_refused(world, api, make_user):
    people = [make_user() for _ in range(11)]
    body = " ".join(at(p) for p in people)
    response = api(world["officer"]).post(
        "/ideas", json={"title": "Too many people", "body": body, "category": world["land"].id}
    )
    assert response.status_code == 422
    message = response.get_json()["error"]["message"]
    assert "at most 10" in message and message.startswith("body") and people[10].name in message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Idea)) == 0


def test_a_page_comment_with_an_unknown_mention_shows_the_error_on_the_form(world, idea, client, auth):
    auth.login("officer2@x.gov")
    response = client.post(
        f"/ideas/{idea.id}/comments", data={"body": "@[Ghost](/users/4242) hello"}, follow_redirects=True
    )
    assert "Ghost" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0


def test_composer_pages_load_the_mention_script(world, idea, client, auth):
    auth.login("officer2@x.gov")
    for path in (f"/ideas/{idea.id}", "/ideas/new"):
        page = client.get(path).get_data(as_text=True)
        assert "js/mention.js" in page and 'data-suggest-url="/users/suggest"' in page
