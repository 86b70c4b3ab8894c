"""The bell menu: latest notifications in the reader's language, grouped, read when opened."""

import pytest

from forum.extensions import db
from forum.ideas import service as ideas
from forum.models import Notification


@pytest.fixture
def idea_with_replies(world):
    idea = ideas.create_idea(world["officer"], "Menu idea", "Body.", world["land"].id, None)
    db.session.commit()
    for n in range(3):
        ideas.add_comment(idea, world["admin"], f"Peer comment {n}")
    ideas.add_comment(idea, world["senior"], "Official answer")
    db.session.commit()
    return idea


def test_menu_groups_unread_comments_on_one_idea(client, auth, idea_with_replies):
    auth.login("officer@x.gov")
    items = client.get("/notifications/menu").get_json()["items"]
    texts = [item["text"] for item in items]
    assert "3 new comments on “Menu idea”" in texts
    assert any("official response" in text for text in texts)
    assert all(not item["read"] for item in items)


def test_opening_a_notification_marks_its_group_read_and_goes_to_the_comment(client, auth, idea_with_replies, world):
    auth.login("officer@x.gov")
    grouped = next(i for i in client.get("/notifications/menu").get_json()["items"] if i["count"] == 3)
    response = client.get(grouped["url"])
    assert response.status_code == 302 and f"/ideas/{idea_with_replies.id}#c" in response.headers["Location"]
    unread = db.session.scalars(db.select(Notification).where(Notification.read_at.is_(None))).all()
    assert [n.kind for n in unread if n.user_id == world["officer"].id] == ["official_response"]


def test_another_users_notification_is_not_found(client, auth, idea_with_replies):
    auth.login("admin@x.gov")
    note = db.session.scalars(db.select(Notification)).first()
    assert client.get(f"/notifications/{note.id}/open").status_code == 404


def test_notification_text_follows_the_readers_language(client, auth, idea_with_replies):
    auth.login("officer@x.gov")
    client.get("/lang/bn")
    page = client.get("/notifications").get_data(as_text=True)
    # The rows were written while the request language was English; they show in Bangla now.
    assert "commented on your idea" not in page
    assert "Admin One আপনার আইডিয়া “Menu idea”-এ মন্তব্য করেছেন" in page
    items = client.get("/notifications/menu").get_json()["items"]
    assert any("নতুন মন্তব্য" in i["text"] for i in items)


def test_saved_search_and_mention_notices_are_phrased_when_shown(client, auth, world):
    idea = ideas.create_idea(world["admin"], "Old title", "Body.", world["land"].id, None)
    db.session.commit()
    stored = "New idea “Old title” matches your saved search “river ferry”"
    db.session.add(Notification(user=world["officer"], kind="saved_search", idea=idea, text=stored))
    db.session.add(Notification(user=world["officer"], kind="mention", idea=idea, text="stored mention text"))
    idea.title = "New title"  # the sentence is built when read, from what the row points at
    db.session.commit()
    auth.login("officer@x.gov")
    texts = [item["text"] for item in client.get("/notifications/menu").get_json()["items"]]
    assert "A new idea “New title” matches your saved search “river ferry”" in texts
    assert "Admin One mentioned you in the idea “New title”" in texts
