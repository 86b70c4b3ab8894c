"""The idea page's follow-up and lifecycle panels are cached; every change they show is on the next load."""

from datetime import date

import pytest

from forum import create_app
from forum.accounts import service as accounts
from forum.extensions import db
from forum.followup import flags
from forum.followup import holidays as holiday_service
from forum.ideas import service as ideas
from forum.lifecycle import service as lifecycle
from forum.models import Flag, Office, User
from tests.followup.helpers import FLAG_DUE, LEVEL1_DUE, MANUAL_AT, flag_of, post, run_scan


def page(client, idea_id: int) -> str:
    response = client.get(f"/ideas/{idea_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def panel(client, idea_id: int) -> str:
    """The follow-up panel's HTML."""
    html = page(client, idea_id)
    return html[html.index('id="followup-state"') : html.index("</aside>")]


@pytest.fixture
def idea(tree):
    """An unanswered Health idea from the upazila: it waits on DIST, then MIN, then ROOT."""
    return post(tree["upz_officer"], tree["health"])


@pytest.fixture
def reader(tree, client_for):
    return client_for(tree["officer2"])


def test_a_second_load_serves_both_panels_from_the_cache(app, idea, reader):
    first = panel(reader, idea.id)
    cache = app.extensions["thread_cache"]
    misses = cache.misses
    assert panel(reader, idea.id) == first
    assert cache.misses == misses
    assert "Waiting on Gazipur District" in first


def test_the_scan_raising_and_escalating_the_flag_shows_on_the_next_load(idea, reader, runner):
    assert "Flagged: no senior response in time." not in panel(reader, idea.id)
    run_scan(runner, FLAG_DUE)
    assert "Flagged: no senior response in time." in panel(reader, idea.id)
    run_scan(runner, LEVEL1_DUE)
    assert "Escalated (level 1)" in panel(reader, idea.id)


def test_staff_resolving_or_reassigning_the_flag_shows_on_the_next_load(tree, idea, reader, runner):
    run_scan(runner, FLAG_DUE)
    assert "Waiting on Gazipur District" in panel(reader, idea.id)
    flags.assign_flag(flag_of(idea), tree["staff"], "ROOT", "Needs the Cabinet", MANUAL_AT)
    db.session.commit()
    assert "Waiting on Cabinet Division" in panel(reader, idea.id)
    flags.resolve_flag(flag_of(idea), tree["staff"], "Handled by phone", MANUAL_AT)
    db.session.commit()
    assert "resolved by programme staff: Handled by phone" in panel(reader, idea.id)


def test_a_senior_reply_shows_as_the_answer_on_the_next_load(tree, idea, reader):
    assert "Answered by a senior official" not in panel(reader, idea.id)
    ideas.add_comment(idea, tree["dist_senior"], "We will look into it.")
    db.session.commit()
    assert "Answered by a senior official" in panel(reader, idea.id)


def _rename_office(tree):
    accounts.update_office(db.session.get(Office, tree["dist"].id), "Gazipur Zila", "MIN")


def _new_senior(tree):
    accounts.create_user("dc2@x.gov", "Second Deputy", "senior", "DIST", "quiet-harbour-lantern-42")


def _rename_senior(tree):
    senior = tree["dist_senior"]
    accounts.update_profile(senior, "Renamed Commissioner", senior.designation, None)


def _deactivate_senior(tree):
    accounts.set_user_status(tree["dist_senior"], "deactivated")


@pytest.mark.parametrize(
    "change, shown, gone",
    [
        (_rename_office, "Waiting on Gazipur Zila", "Waiting on Gazipur District"),
        (_new_senior, "Second Deputy", None),
        (_rename_senior, "Renamed Commissioner, Deputy Commissioner", None),
        (_deactivate_senior, None, "Deputy Commissioner"),
    ],
    ids=["office renamed", "new senior contact", "senior renamed", "senior deactivated"],
)
def test_directory_changes_show_on_the_next_load(tree, idea, reader, change, shown, gone):
    before = panel(reader, idea.id)
    assert gone is None or gone in before
    change(tree)
    db.session.commit()
    after = panel(reader, idea.id)
    assert shown is None or shown in after
    assert gone is None or gone not in after


def test_a_new_holiday_moves_the_due_date_on_the_next_load(idea, reader):
    before = panel(reader, idea.id)
    holiday_service.add_holiday(date(2026, 12, 8), "A day off")  # a Tuesday inside the first week
    db.session.commit()
    after = panel(reader, idea.id)
    assert "Flagged if unanswered by" in before and "Flagged if unanswered by" in after
    assert after != before


def test_changes_made_by_another_process_show_although_this_one_cached_the_panels(
    app_config, tree, idea, reader, runner
):
    run_scan(runner, FLAG_DUE)
    assert "Flagged: no senior response in time." in panel(reader, idea.id)
    flag_id, staff_id, district_id = flag_of(idea).id, tree["staff"].id, tree["dist"].id
    db.session.remove()
    other = create_app(app_config)  # another process: its own caches, the same database
    with other.app_context():
        staff = db.session.get(User, staff_id)
        flags.resolve_flag(db.session.get(Flag, flag_id), staff, "Done elsewhere", MANUAL_AT)
        accounts.update_office(db.session.get(Office, district_id), "Gazipur Zila", "MIN")
        db.session.commit()
        db.session.remove()
    html = panel(reader, idea.id)
    assert "Done elsewhere" in html
    assert "Gazipur Zila" in html


def test_only_staff_get_the_flag_link_whoever_loaded_the_panel_first(tree, idea, reader, client_for, runner):
    run_scan(runner, FLAG_DUE)
    staff = client_for(tree["staff"])
    assert "Flag and audit trail" not in panel(reader, idea.id)
    assert "Flag and audit trail" in panel(staff, idea.id)
    assert "Flag and audit trail" not in panel(reader, idea.id)


def test_adoption_forms_and_the_status_form_follow_the_viewer(tree, client_for):
    idea = post(tree["upz_officer"], tree["health"])
    lifecycle.change_status(idea, tree["staff"], "implemented", "Done in the upazila")
    adoption = lifecycle.adopt(idea, tree["officer"], "DIST", "Trying it")
    db.session.commit()
    author, adopter, staff = (client_for(tree[name]) for name in ("upz_officer", "officer", "staff"))
    form = f'id="adoption-status-{adoption.id}"'
    for _ in range(2):  # cold, then warm: each viewer gets their own forms either way
        assert form not in page(author, idea.id)
        assert form in page(adopter, idea.id)
        assert "Move this idea" in page(staff, idea.id)
        assert "Move this idea" not in page(adopter, idea.id)
    assert "Gazipur District" in page(author, idea.id)  # where it has spread


def test_a_new_adoption_or_move_shows_on_the_next_load(tree, client_for):
    idea = post(tree["upz_officer"], tree["health"])
    reader = client_for(tree["officer2"])
    assert "Where it has spread" not in page(reader, idea.id)
    lifecycle.change_status(idea, tree["staff"], "implemented", "Done in the upazila")
    db.session.commit()
    assert "Done in the upazila" in page(reader, idea.id)
    lifecycle.adopt(idea, tree["officer"], "DIST", "Trying it")
    db.session.commit()
    assert "Where it has spread" in page(reader, idea.id)
