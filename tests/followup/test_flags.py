"""Staff actions on flags (resolve, reassign, escalate) through services, pages and the API; the flag list."""

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from forum.accounts import service as accounts
from forum.domain_errors import Conflict, Forbidden
from forum.extensions import db
from forum.followup import flags, waiting
from forum.models import FlagEvent, Notification
from tests.followup.helpers import (
    DHAKA,
    FLAG_DUE,
    LEVEL1_DUE,
    LEVEL2_DUE,
    MANUAL_AT,
    OWN_CLOCK_DUE,
    POSTED,
    RULES,
    SECOND,
    events_of,
    flag_of,
    notes,
    post,
    run_scan,
)


def test_dashboard_and_flag_pages_are_for_staff_only(tree, runner, client, auth):
    idea = post(tree["upz_officer"], tree["health"])
    run_scan(runner, FLAG_DUE)
    flag = flag_of(idea)
    for email in (tree["officer"].email, tree["senior"].email):
        auth.login(email)
        assert client.get("/followup/").status_code == 403
        assert client.get(f"/followup/flags/{flag.id}").status_code == 403
        assert client.get("/followup/report.csv").status_code == 403
        auth.logout()


def test_staff_resolve_a_flag_with_a_note_and_the_page_shows_the_audit_trail(tree, runner, staff_client):
    idea = post(tree["upz_officer"], tree["health"])
    run_scan(runner, LEVEL1_DUE)
    flag = flag_of(idea)
    response = staff_client.post(f"/followup/flags/{flag.id}", data={"note": ""})
    assert response.status_code == 200 and flag_of(idea).status == "open"
    response = staff_client.post(f"/followup/flags/{flag.id}", data={"note": "Called the DC's office."})
    assert response.status_code == 302
    flag = flag_of(idea)
    assert flag.status == "resolved" and flag.resolved_by.id == tree["staff"].id
    assert flag.resolution_note == "Called the DC's office."
    page = staff_client.get(f"/followup/flags/{flag.id}").get_data(as_text=True)
    assert "event-raised" in page and "event-resolved" in page and "Called the DC" in page
    assert staff_client.get("/followup/flags/99999").status_code == 404


def test_api_lists_flags_with_the_contract_shape(tree, flagged, api):
    body = api(tree["staff"]).get("/followup/flags?status=open").get_json()
    assert [f["idea_id"] for f in body["items"]] == [flagged["idea"].id, flagged["land"].id]
    item = body["items"][0]
    assert {"id", "idea_id", "reason", "level", "assigned_office", "created_at", "status"} <= set(item)
    assert item["assigned_office"] == "DIST" and item["level"] == 0 and item["status"] == "open"
    assert datetime.fromisoformat(item["created_at"]).utcoffset() == timedelta(0)
    assert [f["idea_id"] for f in api(tree["admin"]).get("/followup/flags?office=MIN").get_json()["items"]] == [
        flagged["land"].id
    ]
    assert api(tree["staff"]).get("/followup/flags?status=resolved").get_json() == {
        "items": [],
        "page": 1,
        "per_page": 50,
        "pages": 0,
        "total": 0,
    }


def test_api_resolves_a_flag_once(tree, flagged, api):
    staff = api(tree["staff"])
    flag_id = flagged["flag"].id
    response = staff.post(f"/followup/flags/{flag_id}/resolve", json={"note": "Handled by phone"})
    assert response.status_code == 200
    assert response.get_json()["status"] == "resolved" and response.get_json()["resolution_note"] == "Handled by phone"
    again = staff.post(f"/followup/flags/{flag_id}/resolve", json={"note": "Again"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"
    resolved = staff.get("/followup/flags?status=resolved").get_json()["items"]
    assert [f["id"] for f in resolved] == [flag_id]
    trail = staff.get(f"/followup/flags/{flag_id}").get_json()["events"]
    assert [e["action"] for e in trail] == ["raised", "resolved"] and trail[1]["actor"] == tree["staff"].name


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/followup/flags/999999/resolve", {"note": "x"}, 404),
        ("/followup/flags/abc/resolve", {"note": "x"}, 404),
        ("{flag}", {}, 422),
        ("{flag}", {"note": "   "}, 422),
        ("{flag}", {"note": 12}, 422),
        ("{flag}", {"note": "x" * 1001}, 422),
        ("{flag}", ["not", "an", "object"], 400),
    ],
)
def test_api_bad_resolve_input_is_refused_without_a_write(tree, flagged, api, path, body, status):
    path = path.replace("{flag}", f"/followup/flags/{flagged['flag'].id}/resolve")
    response = api(tree["staff"]).post(path, json=body)
    assert response.status_code == status
    assert {"code", "message"} <= set(response.get_json()["error"])
    assert flag_of(flagged["idea"]).status == "open"


@pytest.mark.parametrize(
    "query", ["/followup/flags?status=maybe", "/followup/flags?office=NOPE", "/followup/report?format=xml"]
)
def test_api_bad_filters_are_422(tree, flagged, api, query):
    response = api(tree["staff"]).get(query)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "invalid_field"


@pytest.mark.parametrize("role", ["officer", "senior"])
def test_api_follow_up_is_403_for_other_roles(tree, flagged, api, role):
    caller = api(tree[role])
    for response in (
        caller.get("/followup/flags"),
        caller.post(f"/followup/flags/{flagged['flag'].id}/resolve", json={"note": "x"}),
        caller.get("/followup/report"),
    ):
        assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"


def test_api_follow_up_needs_a_token(client, world):
    assert client.get("/api/v1/followup/flags").status_code == 401


def test_staff_escalate_by_hand_notifies_and_restarts_the_clock_then_the_scan_escalates_from_there(tree, runner):
    idea = post(tree["upz_officer"], tree["health"])
    run_scan(runner, FLAG_DUE)
    flag = flags.escalate_flag(flag_of(idea), tree["staff"], "  No reply from the DC.  ", MANUAL_AT)
    db.session.commit()
    flag = flag_of(idea)
    assert (flag.level, flag.assigned_office.code, flag.level_since) == (1, "MIN", MANUAL_AT)
    assert events_of(flag)[-1] == ("escalated", 1, "MIN", tree["staff"].name, "No reply from the DC.")
    (note,) = notes(tree["senior"])
    assert note.kind == "flag_escalated" and note.idea_id == idea.id
    assert idea.reference in note.text and tree["staff"].name in note.text and "No reply from the DC." in note.text
    state = waiting.waiting_on(idea, RULES)
    assert (state["office_name"], state["due"], state["next_office_name"]) == (
        "Ministry of Land",
        OWN_CLOCK_DUE,
        "Cabinet Division",
    )

    # The posting-day schedule would reach level 1 on 25 Dec and level 2 on 5 Jan: it no longer applies.
    assert "0 escalated" in run_scan(runner, LEVEL1_DUE)
    assert "0 escalated" in run_scan(runner, OWN_CLOCK_DUE - SECOND)
    assert (flag_of(idea).level, flag_of(idea).assigned_office.code) == (1, "MIN")
    assert "1 escalated" in run_scan(runner, OWN_CLOCK_DUE)
    flag = flag_of(idea)
    assert (flag.level, flag.assigned_office.code, flag.level_since) == (2, "ROOT", OWN_CLOCK_DUE)
    assert [n.kind for n in notes(tree["root_senior"])] == ["flag_escalated"]
    assert "0 raised, 0 escalated, 0 resolved, 0 notifications" in run_scan(runner, OWN_CLOCK_DUE)  # idempotent
    assert "0 escalated" in run_scan(runner, LEVEL2_DUE + timedelta(days=60))  # the root is the top
    assert [(a, lvl, code, who) for a, lvl, code, who, _ in events_of(flag_of(idea))] == [
        ("raised", 0, "DIST", None),
        ("escalated", 1, "MIN", tree["staff"].name),
        ("escalated", 2, "ROOT", None),
    ]


def test_a_late_scan_catches_up_a_flag_changed_by_hand_level_by_level(tree, runner):
    idea = post(tree["upz_officer"], tree["health"])
    run_scan(runner, FLAG_DUE)
    flags.assign_flag(flag_of(idea), tree["staff"], "UPZ", None, MANUAL_AT)  # down to the upazila, level 0
    db.session.commit()
    # Two own-clock periods have passed by 8 Jan: UPZ -> DIST at the end of Mon 28 Dec, then DIST -> MIN at the
    # end of Wed 6 Jan, the 7th working day after Mon 28 (as the schedule counts from the day a level fell due).
    run_scan(runner, datetime(2027, 1, 8, tzinfo=DHAKA))
    flag = flag_of(idea)
    assert (flag.level, flag.assigned_office.code, flag.level_since) == (2, "MIN", datetime(2027, 1, 7, tzinfo=DHAKA))
    assert [e.action for e in flag.events] == ["raised", "assigned", "escalated"]


def test_a_flag_reassigned_up_the_tree_is_never_moved_back_down_by_the_scan(tree, runner):
    idea = post(tree["upz_officer"], tree["health"])
    run_scan(runner, FLAG_DUE)
    flags.assign_flag(flag_of(idea), tree["staff"], "ROOT", "The Cabinet Division asked for it.", MANUAL_AT)
    db.session.commit()
    flag = flag_of(idea)
    assert (flag.level, flag.assigned_office.code, flag.level_since) == (0, "ROOT", MANUAL_AT)
    (note,) = notes(tree["root_senior"])
    assert note.kind == "flag_assigned" and "Cabinet Division" in note.text and idea.reference in note.text
    assert notes(tree["senior"]) == []
    for now in (LEVEL1_DUE, LEVEL2_DUE, LEVEL2_DUE + timedelta(days=60)):  # the schedule would say MIN at level 1
        assert "0 escalated" in run_scan(runner, now)
        assert (flag_of(idea).level, flag_of(idea).assigned_office.code) == (0, "ROOT")
    assert waiting.waiting_on(idea, RULES)["due"] is None  # nothing above the root


def test_a_flag_reassigned_sideways_escalates_from_its_new_office(tree, runner):

    accounts.create_office("MOH", "Ministry of Health", "ROOT")
    moh_senior = accounts.create_user("moh@x.gov", "Health Secretary", "senior", "MOH", "Secret-pass-123")
    db.session.commit()
    idea = post(tree["upz_officer"], tree["health"])
    run_scan(runner, FLAG_DUE)
    flags.assign_flag(flag_of(idea), tree["admin"], "MOH", None, MANUAL_AT)
    db.session.commit()
    assert [n.kind for n in notes(moh_senior)] == ["flag_assigned"]
    run_scan(runner, LEVEL1_DUE)  # the schedule would move it to MIN, level 1
    assert (flag_of(idea).level, flag_of(idea).assigned_office.code) == (0, "MOH")
    run_scan(runner, OWN_CLOCK_DUE - SECOND)
    assert flag_of(idea).assigned_office.code == "MOH"
    run_scan(runner, OWN_CLOCK_DUE)
    assert (flag_of(idea).level, flag_of(idea).assigned_office.code) == (1, "ROOT")


def test_flags_not_changed_by_hand_keep_the_posting_day_schedule(tree, runner):
    mine = post(tree["upz_officer"], tree["health"])
    other = post(tree["upz_officer"], tree["health"], title="Another idea to follow")
    run_scan(runner, FLAG_DUE)
    flags.escalate_flag(flag_of(mine), tree["staff"], None, MANUAL_AT)
    db.session.commit()
    run_scan(runner, LEVEL1_DUE)
    assert (flag_of(other).level, flag_of(other).assigned_office.code) == (1, "MIN")
    assert flag_of(mine).level_since == MANUAL_AT


def test_services_refuse_non_staff_and_resolved_flags(tree, runner):

    idea = post(tree["upz_officer"], tree["health"])
    run_scan(runner, FLAG_DUE)
    flag = flag_of(idea)
    with pytest.raises(Forbidden):
        flags.escalate_flag(flag, tree["senior"], None, MANUAL_AT)
    with pytest.raises(Forbidden):
        flags.assign_flag(flag, tree["officer"], "ROOT", None, MANUAL_AT)
    db.session.rollback()
    flags.resolve_flag(flag_of(idea), tree["staff"], "Done", MANUAL_AT)
    db.session.commit()
    with pytest.raises(Conflict):
        flags.escalate_flag(flag_of(idea), tree["staff"], None, MANUAL_AT)
    db.session.rollback()
    with pytest.raises(Conflict):
        flags.assign_flag(flag_of(idea), tree["staff"], "ROOT", None, MANUAL_AT)
    db.session.rollback()
    assert [e.action for e in flag_of(idea).events] == ["raised", "resolved"]


def test_api_assigns_and_escalates_a_flag_up_to_the_root(tree, flagged, api):
    staff = api(tree["staff"])
    flag_id = flagged["flag"].id
    response = staff.post(f"/followup/flags/{flag_id}/assign", json={"office": "MIN", "note": "Ministry's call"})
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["assigned_office"], response.get_json()["level"]) == ("MIN", 0)
    response = staff.post(f"/followup/flags/{flag_id}/escalate", json={})
    assert response.status_code == 200 and (response.get_json()["assigned_office"], response.get_json()["level"]) == (
        "ROOT",
        1,
    )
    at_root = staff.post(f"/followup/flags/{flag_id}/escalate", json={"note": "Higher?"})
    assert at_root.status_code == 409 and "top of its office tree" in at_root.get_json()["error"]["message"]
    trail = staff.get(f"/followup/flags/{flag_id}").get_json()["events"]
    assert [(e["action"], e["office"], e["actor"], e["note"]) for e in trail] == [
        ("raised", "DIST", None, flagged["flag"].reason),
        ("assigned", "MIN", tree["staff"].name, "Ministry's call"),
        ("escalated", "ROOT", tree["staff"].name, None),
    ]
    assert all(datetime.fromisoformat(e["created_at"]).utcoffset() == timedelta(0) for e in trail)
    assert len(notes(tree["senior"], "flag_assigned")) == 1
    assert [n.kind for n in notes(tree["root_senior"])] == ["flag_escalated"]
    # An admin may do it too.
    assert api(tree["admin"]).post(f"/followup/flags/{flag_id}/assign", json={"office": "DIST"}).status_code == 200


@pytest.mark.parametrize(
    ("action", "flag", "body", "status", "field"),
    [
        ("assign", "{flag}", {"office": "NOPE"}, 422, "office"),
        ("assign", "{flag}", {}, 422, "office"),
        ("assign", "{flag}", {"office": 7}, 422, "office"),
        ("assign", "{flag}", {"office": "  "}, 422, "office"),
        ("assign", "{flag}", {"office": "DIST"}, 422, "office"),  # already assigned there
        ("assign", "{flag}", {"office": "MIN", "note": "x" * 1001}, 422, "note"),
        ("assign", "{flag}", {"office": "MIN", "note": ["x"]}, 422, "note"),
        ("assign", "{flag}", ["MIN"], 400, None),
        ("assign", "999999", {"office": "MIN"}, 404, None),
        ("assign", "abc", {"office": "MIN"}, 404, None),
        ("assign", "{resolved}", {"office": "MIN"}, 409, None),
        ("escalate", "{flag}", {"note": "x" * 1001}, 422, "note"),
        ("escalate", "{flag}", "not an object", 400, None),
        ("escalate", "999999", {}, 404, None),
        ("escalate", "{resolved}", {}, 409, None),
    ],
)
def test_api_bad_assign_or_escalate_is_refused_without_a_write(tree, flagged, api, action, flag, body, status, field):
    staff = api(tree["staff"])
    resolved_id = flag_of(flagged["land"]).id
    assert staff.post(f"/followup/flags/{resolved_id}/resolve", json={"note": "Done"}).status_code == 200
    flag_id = flag.replace("{flag}", str(flagged["flag"].id)).replace("{resolved}", str(resolved_id))
    before = db.session.scalar(sa.select(sa.func.count(FlagEvent.id)))
    response = staff.post(f"/followup/flags/{flag_id}/{action}", json=body)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert {"code", "message"} <= set(error)
    if field:
        assert field in error["message"]
    if status == 409:
        assert "resolved" in error["message"]
    flag = flag_of(flagged["idea"])
    assert (flag.level, flag.assigned_office.code, flag.status) == (0, "DIST", "open")
    assert db.session.scalar(sa.select(sa.func.count(FlagEvent.id))) == before
    assert db.session.scalar(sa.select(sa.func.count(Notification.id)).where(Notification.kind != "flag_raised")) == 0


@pytest.mark.parametrize("role", ["officer", "senior"])
def test_api_assign_and_escalate_are_403_for_other_roles(tree, flagged, api, role):
    caller = api(tree[role])
    flag_id = flagged["flag"].id
    for response in (
        caller.post(f"/followup/flags/{flag_id}/assign", json={"office": "ROOT"}),
        caller.post(f"/followup/flags/{flag_id}/escalate", json={}),
    ):
        assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    assert flag_of(flagged["idea"]).assigned_office.code == "DIST"


def test_assign_and_escalate_need_a_token(client, tree, flagged):
    assert client.post(f"/api/v1/followup/flags/{flagged['flag'].id}/escalate", json={}).status_code == 401
    assert (
        client.post(f"/api/v1/followup/flags/{flagged['flag'].id}/assign", json={"office": "ROOT"}).status_code == 401
    )


def test_staff_escalate_and_reassign_from_the_flag_page(tree, runner, staff_client):
    idea = post(tree["upz_officer"], tree["health"])
    run_scan(runner, FLAG_DUE)
    flag_id = flag_of(idea).id
    page = staff_client.get(f"/followup/flags/{flag_id}").get_data(as_text=True)
    assert 'id="escalate"' in page and 'id="assign"' in page and "Ministry of Land" in page
    assert 'name="assign-office"' in page and 'value="ROOT"' in page

    response = staff_client.post(f"/followup/flags/{flag_id}/escalate", data={"escalate-note": "Chasing up"})
    assert response.status_code == 302
    assert (flag_of(idea).level, flag_of(idea).assigned_office.code) == (1, "MIN")
    page = staff_client.get(f"/followup/flags/{flag_id}").get_data(as_text=True)
    assert "Flag escalated to Ministry of Land (level 1)." in page and "event-escalated" in page

    bad = staff_client.post(f"/followup/flags/{flag_id}/assign", data={"assign-office": "NOPE"})
    assert bad.status_code == 200 and 'class="error"' in bad.get_data(as_text=True)
    assert flag_of(idea).assigned_office.code == "MIN"
    response = staff_client.post(f"/followup/flags/{flag_id}/assign", data={"assign-office": "ROOT"})
    assert response.status_code == 302 and flag_of(idea).assigned_office.code == "ROOT"
    page = staff_client.get(f"/followup/flags/{flag_id}").get_data(as_text=True)
    assert "event-assigned" in page and "the top of its office tree" in page

    response = staff_client.post(f"/followup/flags/{flag_id}/escalate", data={}, follow_redirects=True)
    assert "there is no office above it" in response.get_data(as_text=True)
    assert flag_of(idea).level == 1

    staff_client.post(f"/followup/flags/{flag_id}", data={"note": "Done"})
    response = staff_client.post(f"/followup/flags/{flag_id}/assign", data={"assign-office": "MIN"})
    assert response.status_code == 302 and flag_of(idea).assigned_office.code == "ROOT"
    assert "already resolved" in staff_client.get(f"/followup/flags/{flag_id}").get_data(as_text=True)


def test_flag_page_actions_are_for_staff_only(tree, runner, client_for):
    idea = post(tree["upz_officer"], tree["health"])
    run_scan(runner, FLAG_DUE)
    flag_id = flag_of(idea).id
    senior = client_for(tree["senior"])
    assert senior.post(f"/followup/flags/{flag_id}/escalate", data={}).status_code == 403
    assert senior.post(f"/followup/flags/{flag_id}/assign", data={"assign-office": "MIN"}).status_code == 403
    assert (flag_of(idea).level, flag_of(idea).assigned_office.code) == (0, "DIST")


def test_api_flag_list_is_paginated_in_a_stable_order(tree, runner, api):
    for n in range(5):
        post(tree["upz_officer"], tree["health"], created_at=POSTED + timedelta(minutes=n), title=f"Paged idea {n}")
    run_scan(runner, FLAG_DUE)
    staff = api(tree["staff"])
    everything = staff.get("/followup/flags").get_json()
    assert (everything["total"], everything["pages"], everything["page"], everything["per_page"]) == (5, 1, 1, 50)
    pages = [staff.get(f"/followup/flags?per_page=2&page={n}").get_json() for n in (1, 2, 3, 4)]
    assert [len(p["items"]) for p in pages] == [2, 2, 1, 0]
    assert all((p["total"], p["pages"], p["per_page"]) == (5, 3, 2) for p in pages)
    assert [f["id"] for p in pages for f in p["items"]] == [f["id"] for f in everything["items"]]
    assert staff.get("/followup/flags?per_page=100").status_code == 200


def test_api_flag_list_filters_by_level(tree, flagged, api):
    staff = api(tree["staff"])
    staff.post(f"/followup/flags/{flagged['flag'].id}/escalate", json={})
    level1 = staff.get("/followup/flags?level=1").get_json()
    assert [f["id"] for f in level1["items"]] == [flagged["flag"].id] and level1["total"] == 1
    level0 = staff.get("/followup/flags?level=0").get_json()
    assert [f["idea_id"] for f in level0["items"]] == [flagged["land"].id]
    assert staff.get("/followup/flags?level=2").get_json()["total"] == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=x", "page"),
        ("page=1.5", "page"),
        ("page=99999999999999999999999", "page"),
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("per_page=abc", "per_page"),
        ("level=-1", "level"),
        ("level=x", "level"),
    ],
)
def test_api_bad_page_or_level_is_422_naming_the_field(tree, flagged, api, query, field):
    response = api(tree["staff"]).get(f"/followup/flags?{query}")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_field" and field in error["message"]
