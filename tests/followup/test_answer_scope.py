"""FOLLOWUP_ANSWER_SCOPE: only the responsible office (or above, or the flag's office) stops the clock."""

import pytest

from forum.accounts import service as accounts
from forum.extensions import db
from forum.ideas import service as ideas


@pytest.fixture
def other_ministry(world):
    """A senior official of an office outside the idea's chain: OTHER under ROOT."""
    accounts.create_office("OTHER", "Ministry of Health", "ROOT")
    user = accounts.create_user("health@x.gov", "Health Senior", "senior", "OTHER", "Secret-pass-123")
    db.session.commit()
    return user


@pytest.fixture
def idea(world):
    found = ideas.create_idea(world["officer"], "Digital land records", "Scan every mouza map.", world["land"].id)
    db.session.commit()
    return found


def test_a_senior_of_the_responsible_office_stops_the_clock(world, idea):
    comment = ideas.add_comment(idea, world["senior"], "We will do it.")
    db.session.commit()
    assert comment.official and idea.first_response_at is not None


def test_a_senior_of_an_office_above_stops_the_clock(world, idea, make_user):
    cabinet = make_user(role="senior", office="ROOT")
    ideas.add_comment(idea, cabinet, "Cabinet Division supports this.")
    db.session.commit()
    assert idea.first_response_at is not None


def test_an_unrelated_offices_senior_reply_is_official_but_the_idea_keeps_waiting(
    world, idea, other_ministry, auth, client
):
    comment = ideas.add_comment(idea, other_ministry, "Interesting for health too.")
    db.session.commit()
    assert comment.official and idea.first_response_at is None
    auth.login("officer@x.gov")
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Health Senior of Ministry of Health replied officially, but that office is not responsible" in page
    assert "still waiting on Ministry of Land" in page


def test_scope_any_lets_every_senior_reply_stop_the_clock(app, world, idea, other_ministry):
    ideas.add_comment(idea, other_ministry, "Answered from health.", answer_scope="any")
    db.session.commit()
    assert idea.first_response_at is not None


def test_the_api_reads_the_scope_from_the_config(app, world, idea, other_ministry, api):
    app.config["FOLLOWUP_ANSWER_SCOPE"] = "any"
    response = api(other_ministry).post(f"/ideas/{idea.id}/comments", json={"body": "Answered from health."})
    assert response.status_code == 201
    db.session.expire_all()
    assert idea.first_response_at is not None


def test_mentioning_a_senior_of_the_waiting_office_shows_who_was_asked(world, idea, auth, client):
    ideas.add_comment(idea, world["officer2"], f"@[Senior One](/users/{world['senior'].id}) please look")
    db.session.commit()
    auth.login("officer@x.gov")
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Asked by name:" in page and "Senior One (Ministry of Land), asked by Officer Two on" in page


def test_the_api_says_responded_but_not_answered_after_an_unrelated_senior_reply(world, idea, other_ministry, api):
    api = api(world["officer"])
    assert api.get(f"/ideas/{idea.id}").get_json()["responded"] is False
    ideas.add_comment(idea, other_ministry, "Interesting for health too.")
    db.session.commit()
    data = api.get(f"/ideas/{idea.id}").get_json()
    # SPEC section 3: responded once any senior replied; the follow-up clock still runs (answered is false).
    assert data["responded"] is True and data["answered"] is False and data["first_response_at"] is None
    assert data["comments"][0]["official"] is True and data["comments"][0]["idea_answered"] is False
    listed = api.get("/ideas").get_json()["items"]
    assert [(i["responded"], i["answered"]) for i in listed if i["id"] == idea.id] == [(True, False)]
    ideas.add_comment(idea, world["senior"], "Ministry of Land will do it.")
    db.session.commit()
    data = api.get(f"/ideas/{idea.id}").get_json()
    assert data["responded"] is True and data["answered"] is True


def test_the_idea_page_does_not_call_an_unrelated_reply_an_answer(world, idea, other_ministry, client_for):
    ideas.add_comment(idea, other_ministry, "Interesting for health too.")
    db.session.commit()
    page = client_for(world["officer"]).get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Awaiting response" in page and "answered-note" not in page
    assert "Waiting on Ministry of Land since" in page
