"""Find before you post: ideas like a draft's title, and "Similar ideas" of an idea (page, JSON, API)."""

import pytest

from forum.extensions import db
from forum.ideas import service as ideas


def post(world, title, body="Plain body text.", user="officer"):
    idea = ideas.create_idea(world[user], title, body, world["land"].id, [])
    db.session.commit()
    return idea


@pytest.fixture
def land_ideas(world):
    """Seven ideas about digital land records, and two about something else."""
    made = [
        post(world, f"Digital land records for upazila {n}", "Scanning mutation files and khatian records.")
        for n in range(7)
    ]
    others = [post(world, "Boat ambulance for char islands", "Speedboats carry patients."),
              post(world, "School meals pilot", "Lunch for primary pupils.")]  # fmt: skip
    return made, others


def test_api_lists_at_most_five_similar_ideas_without_the_idea_itself(world, api, land_ideas):
    made, others = land_ideas
    r = api(world["officer2"]).get(f"/ideas/{made[0].id}/similar")
    assert r.status_code == 200
    items = r.get_json()["items"]
    ids = {i["id"] for i in items}
    assert len(items) == 5 and made[0].id not in ids
    assert ids <= {i.id for i in made[1:]}
    assert {"id", "title", "body", "reference", "author", "status"} <= set(items[0])


def test_api_similar_needs_a_token_and_a_real_idea(world, api, client, land_ideas):
    made, _ = land_ideas
    assert client.get(f"/api/v1/ideas/{made[0].id}/similar").status_code == 401
    r = api(world["officer"]).get("/api/v1/ideas/999999/similar".removeprefix("/api/v1"))
    assert r.status_code == 404 and "error" in r.get_json()


def test_a_deleted_idea_is_never_suggested(world, api, land_ideas):
    made, _ = land_ideas
    ideas.delete_idea(made[1], world["officer"])
    db.session.commit()
    ids = {i["id"] for i in api(world["officer"]).get(f"/ideas/{made[0].id}/similar").get_json()["items"]}
    assert made[1].id not in ids and made[0].id not in ids


def test_typing_a_title_shows_ideas_like_it(world, client, auth, land_ideas):
    made, others = land_ideas
    auth.login("officer2@x.gov")
    body = client.get("/search/similar", query_string={"title": "Land records going digital"}).get_json()
    assert 1 <= len(body["items"]) <= 5
    assert {i["id"] for i in body["items"]} <= {i.id for i in made}
    assert body["items"][0]["url"].endswith(f"/ideas/{body['items'][0]['id']}")
    boat = client.get("/search/similar", query_string={"title": "ambulance by boat"}).get_json()["items"]
    assert [i["id"] for i in boat] == [others[0].id]
    assert client.get("/search/similar", query_string={"title": "the of"}).get_json() == {"items": []}


def test_the_json_endpoint_needs_login(client, land_ideas):
    assert client.get("/search/similar?title=land").status_code == 302


def test_new_idea_form_and_idea_page_carry_the_similar_list(world, client, auth, land_ideas):
    made, _ = land_ideas
    auth.login("officer@x.gov")
    form = client.get("/ideas/new").get_data(as_text=True)
    assert "data-similar" in form and 'data-title-input="title"' in form and "js/similar.js" in form
    page = client.get(f"/ideas/{made[0].id}").get_data(as_text=True)
    assert f'data-idea="{made[0].id}"' in page and "Similar ideas" in page
    by_idea = client.get("/search/similar", query_string={"idea": made[0].id}).get_json()["items"]
    assert len(by_idea) == 5 and made[0].id not in {i["id"] for i in by_idea}
