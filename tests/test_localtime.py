"""Dates shown in each user's time zone and language; the API keeps UTC ISO 8601 with offsets."""

from datetime import UTC, datetime

from forum.extensions import db
from forum.ideas import service as ideas
from forum.localtime import format_local, zone
from forum.notifications.service import notify

MOMENT = datetime(2026, 11, 26, 17, 30, tzinfo=UTC)  # 23:30 on Thursday 26 November in Dhaka


def test_a_moment_is_formatted_in_the_given_zone_and_language():
    assert format_local(MOMENT, zone("Asia/Dhaka"), "en") == "2026-11-26 23:30"
    assert format_local(MOMENT, zone("America/New_York"), "en") == "2026-11-26 12:30"
    assert "নভেম্বর" in format_local(MOMENT, zone("Asia/Dhaka"), "bn", "long")


def test_an_unknown_zone_falls_back_to_dhaka():
    assert zone("Mars/Olympus") == zone("Asia/Dhaka")


def test_the_profile_sets_the_time_zone_and_refuses_an_unknown_one(world, auth, client):
    auth.login("officer@x.gov")
    page = client.get("/profile").get_data(as_text=True)
    assert '<option selected value="Asia/Dhaka">' in page or 'value="Asia/Dhaka" selected' in page
    data = {"name": "Officer One", "designation": "", "locale": "", "submit": "1"}
    assert client.post("/profile", data={**data, "timezone": "Europe/London"}).status_code == 302
    assert world["officer"].timezone == "Europe/London"
    assert client.post("/profile", data={**data, "timezone": "Nowhere/City"}).status_code == 200
    assert world["officer"].timezone == "Europe/London"


def test_pages_show_times_in_the_viewers_zone_and_load_the_ticker(world, auth, client):
    notify(world["officer"], "comment", None, "Something happened")
    db.session.commit()
    from forum.models import Notification

    note = db.session.scalar(db.select(Notification))
    note.created_at = MOMENT
    world["officer"].timezone = "America/New_York"
    db.session.commit()
    auth.login("officer@x.gov")
    page = client.get("/notifications").get_data(as_text=True)
    assert 'datetime="2026-11-26T17:30:00+00:00"' in page and "2026-11-26 12:30" in page and "data-relative" in page
    assert 'id="time-script"' in page and 'data-tz="America/New_York"' in page


def test_the_follow_up_deadline_on_the_idea_page_is_local_and_names_the_zone(world, auth, client):
    idea = ideas.create_idea(world["officer"], "Land records online", "Body", world["land"].id)
    idea.created_at = MOMENT
    db.session.commit()
    auth.login("officer@x.gov")
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Waiting on Ministry of Land since 2026-11-26" in page
    assert "Bangladesh Standard Time" in page and "UTC." not in page


def test_the_api_keeps_utc_iso_8601_with_an_offset(world, api):
    idea = ideas.create_idea(world["officer"], "Land records online", "Body", world["land"].id)
    idea.created_at = MOMENT
    db.session.commit()
    world["officer"].timezone = "America/New_York"
    db.session.commit()
    assert api(world["officer"]).get(f"/ideas/{idea.id}").get_json()["created_at"] == "2026-11-26T17:30:00+00:00"
