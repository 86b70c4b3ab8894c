"""The idea list's rendered content is cached per list version; every change a row shows makes a new one."""

import pytest

from forum import create_app
from forum.extensions import db
from forum.ideas import service as ideas
from forum.ideas import versions
from forum.lifecycle import service as lifecycle
from tests.conftest import without_csrf


def list_html(client, **params) -> str:
    response = client.get("/", query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def idea(world):
    posted = ideas.create_idea(world["officer"], "Digitise land records", "Body.", world["land"].id)
    db.session.commit()
    return posted


def test_a_second_load_is_served_from_the_cache(app, world, idea, client_for):
    client = client_for(world["officer2"])
    first = list_html(client)
    cache = app.extensions["thread_cache"]
    hits = cache.hits
    assert without_csrf(list_html(client)) == without_csrf(first)
    assert cache.hits == hits + 1
    assert "Digitise land records" in first


@pytest.mark.parametrize(
    "change, shown",
    [
        (lambda w, i: ideas.create_idea(w["officer2"], "Solar pumps", "Body.", w["land"].id), "Solar pumps"),
        (lambda w, i: ideas.add_comment(i, w["officer2"], "Good idea"), "1 comment"),
        (lambda w, i: ideas.endorse(i, w["officer2"]), "1 endorsement"),
        (lambda w, i: ideas.update_idea(i, w["officer"], "Digitise all land", "Body.", w["land"].id), "all land"),
        (lambda w, i: lifecycle.change_status(i, w["senior"], "under_review", "Looking at it"), "status-under_review"),
        (lambda w, i: ideas.update_category(w["land"], "Land and survey", "MIN"), "Land and survey"),
    ],
    ids=["new idea", "comment", "endorsement", "edit", "status", "category rename"],
)
def test_every_change_a_row_shows_is_on_the_next_load(app, world, idea, client_for, change, shown):
    client = client_for(world["officer2"])
    assert shown not in list_html(client)
    before = versions.version()
    change(world, idea)
    db.session.commit()
    assert versions.version() == before + 1
    assert shown in list_html(client)


def test_a_deleted_idea_leaves_the_list(app, world, idea, client_for):
    client = client_for(world["officer2"])
    assert "Digitise land records" in list_html(client)
    ideas.delete_idea(idea, world["officer"])
    db.session.commit()
    assert "Digitise land records" not in list_html(client)


def test_a_rolled_back_change_keeps_the_version(app, world, idea):
    before = versions.version()
    ideas.add_comment(idea, world["officer2"], "Never saved")
    db.session.rollback()
    assert versions.version() == before


def test_a_change_made_through_another_process_is_seen_at_once(app_config, app, world, idea, client_for):
    client = client_for(world["officer2"])
    assert "Solar pumps" not in list_html(client)  # now cached in this app
    db.session.remove()
    other = create_app(app_config)  # another process: its own caches, the same database
    with other.app_context():
        author = db.session.get(type(world["officer2"]), world["officer2"].id)
        ideas.create_idea(author, "Solar pumps for schools", "Body.", world["land"].id)
        db.session.commit()
        db.session.remove()
    assert "Solar pumps" in list_html(client)


def test_filters_and_pages_are_cached_apart(app, world, idea, client_for):
    ideas.create_idea(world["officer2"], "Mobile clinics", "Body.", world["health"].id)
    db.session.commit()
    client = client_for(world["officer2"])
    everything = list_html(client)
    land_only = list_html(client, category=world["land"].id)
    assert "Mobile clinics" in everything and "Mobile clinics" not in land_only
    assert "Digitise land records" in land_only


def test_each_time_zone_gets_its_own_rendering(app, world, idea, client_for, make_user):
    far_away = make_user()
    far_away.timezone = "America/New_York"
    db.session.commit()
    dhaka, new_york = client_for(world["officer2"]), client_for(far_away)
    list_html(dhaka)
    cache = app.extensions["thread_cache"]
    misses = cache.misses
    list_html(new_york)  # the rows' times are written in the viewer's zone: not Dhaka's rendering
    assert cache.misses == misses + 1
    hits = cache.hits
    list_html(dhaka)
    list_html(new_york)
    assert cache.hits == hits + 2


def test_a_reader_who_wants_latin_digits_never_gets_a_bangla_digit_rendering(app, world, idea, client_for, make_user):
    bangla, latin = make_user(), make_user()
    bangla.locale, latin.locale, latin.digits = "bn", "bn", "latin"
    db.session.commit()
    assert "০" in list_html(client_for(bangla)) or "১" in list_html(client_for(bangla))
    latin_html = list_html(client_for(latin))
    assert not any(digit in latin_html for digit in "০১২৩৪৫৬৭৮৯")


# The list page's frame (forum/ideas/views.py _framed): one per kind of viewer, the listing and the viewer's
# own values in its holes.


@pytest.mark.parametrize("language", ["en", "bn"])
def test_the_list_from_its_frame_is_the_list_rendered_in_full_for_every_role(app, world, idea, client_for, language):
    for role in ("officer", "senior", "staff", "admin"):
        client = client_for(world[role])
        client.get(f"/lang/{language}")
        for params in ({}, {"sort": "top"}, {"category": world["land"].id, "page": 1}):
            framed = list_html(client, **params), list_html(client, **params)
            app.config["PAGE_FRAME_CACHE"] = False
            try:
                full = list_html(client, **params)
            finally:
                app.config["PAGE_FRAME_CACHE"] = True
            assert without_csrf(framed[0]) == without_csrf(framed[1]) == without_csrf(full), (role, params)


def test_two_viewers_of_one_kind_share_the_lists_frame_and_each_sees_their_own_header(app, world, idea, client_for):
    one, two = client_for(world["officer"]), client_for(world["officer2"])
    one_html, two_html = list_html(one), list_html(two)
    frames = [key for key in app.extensions["page_frames"]._data if "ideas/index.html" in key[-1]]
    assert len(frames) == 1
    assert ">Officer One</a>" in one_html and ">Officer Two</a>" not in one_html
    assert ">Officer Two</a>" in two_html and ">Officer One</a>" not in two_html
    assert f'data-user-id="{world["officer"].id}"' in one_html and f'data-user-id="{world["officer2"].id}"' in two_html


def test_a_new_idea_and_the_language_links_query_show_through_the_frame(app, world, idea, client_for):
    client = client_for(world["officer2"])
    assert "Solar pumps" not in list_html(client, sort="top")
    ideas.create_idea(world["officer2"], "Solar pumps", "Body.", world["land"].id)
    db.session.commit()
    html = list_html(client, sort="top")
    assert "Solar pumps" in html
    assert "next=/?sort%3Dtop" in html or "next=/?sort=top" in html
