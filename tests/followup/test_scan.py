"""The follow-up scan: flagging, escalation up the tree, auto-resolution, idempotence, notifications, the CLI."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from forum.accounts import service as accounts
from forum.extensions import db, socketio
from forum.followup.notices import DIGEST_OVER
from forum.followup.scan import scan
from forum.ideas import service as ideas
from forum.models import Flag, FlagEvent, Notification
from tests.conftest import eventually
from tests.followup.helpers import (
    FLAG_DUE,
    LEVEL1_DUE,
    LEVEL2_DUE,
    POSTED,
    ROOT,
    RULES,
    SECOND,
    flag_of,
    notes,
    post,
    run_scan,
)


def test_idea_is_flagged_after_7_working_days_escalated_after_14_and_21_then_resolved_by_a_senior_reply(tree, runner):
    idea = post(tree["upz_officer"], tree["health"])  # Health has no owner: responsible is DIST, UPZ's parent

    assert "0 raised" in run_scan(runner, FLAG_DUE - SECOND)
    assert flag_of(idea) is None

    output = run_scan(runner, FLAG_DUE)
    assert "1 raised" in output and "1 open flags" in output
    flag = flag_of(idea)
    assert (flag.level, flag.assigned_office.code, flag.status) == (0, "DIST", "open")
    assert flag.level_since == FLAG_DUE and flag.created_at == FLAG_DUE
    assert [n.kind for n in notes(tree["dist_senior"])] == ["flag_raised"]
    assert idea.reference in notes(tree["dist_senior"])[0].text

    run_scan(runner, LEVEL1_DUE - SECOND)
    assert flag_of(idea).level == 0
    assert "1 escalated" in run_scan(runner, LEVEL1_DUE)
    flag = flag_of(idea)
    assert (flag.level, flag.assigned_office.code) == (1, "MIN")
    assert [n.kind for n in notes(tree["senior"])] == ["flag_escalated"]

    run_scan(runner, LEVEL2_DUE - SECOND)
    assert flag_of(idea).level == 1
    run_scan(runner, LEVEL2_DUE)
    assert (flag_of(idea).level, flag_of(idea).assigned_office.code) == (2, "ROOT")
    assert [n.kind for n in notes(tree["root_senior"])] == ["flag_escalated"]

    # ROOT is the top of the tree: the flag stays there however long it waits.
    assert "0 escalated" in run_scan(runner, LEVEL2_DUE + timedelta(days=60))
    assert flag_of(idea).level == 2

    ideas.add_comment(idea, tree["root_senior"], "We will look into it.", now=LEVEL2_DUE + timedelta(days=61))
    db.session.commit()
    flag = flag_of(idea)
    assert flag.status == "resolved" and flag.resolved_by.id == tree["root_senior"].id
    assert [e.action for e in flag.events] == ["raised", "escalated", "escalated", "answered"]
    assert [e.level for e in flag.events] == [0, 1, 2, 2]
    # Answered: the first clock is done with it (the decision clock, tests/followup/test_decision_clock.py,
    # starts only FOLLOWUP_DECISION_DAYS working days later).
    assert "0 raised, 0 escalated, 0 resolved" in run_scan(runner, LEVEL2_DUE + timedelta(days=62))


def test_idea_answered_on_day_3_is_never_flagged(tree, runner):
    idea = post(tree["upz_officer"], tree["health"])
    ideas.add_comment(idea, tree["officer"], "A peer comment does not stop the clock.", now=POSTED + timedelta(days=1))
    ideas.add_comment(idea, tree["dist_senior"], "Official answer.", now=POSTED + timedelta(days=3))
    db.session.commit()
    for now in (FLAG_DUE, LEVEL1_DUE, LEVEL2_DUE + timedelta(days=30)):
        run_scan(runner, now)
    assert flag_of(idea) is None


def test_peer_comments_do_not_stop_the_clock(tree, runner):
    idea = post(tree["upz_officer"], tree["health"])
    ideas.add_comment(idea, tree["officer"], "Me too.", now=POSTED + timedelta(days=1))
    db.session.commit()
    run_scan(runner, FLAG_DUE)
    assert flag_of(idea).status == "open"


def test_late_first_scan_sets_the_level_the_schedule_says(tree, runner):
    idea = post(tree["upz_officer"], tree["health"])
    assert "1 raised" in run_scan(runner, LEVEL1_DUE + timedelta(hours=5))
    flag = flag_of(idea)
    assert (flag.level, flag.assigned_office.code, flag.level_since) == (1, "MIN", LEVEL1_DUE)
    assert [e.action for e in flag.events] == ["raised"]


def test_category_owner_is_the_responsible_office(tree, runner):
    idea = post(tree["upz_officer"], tree["land"])  # Land services is owned by MIN
    run_scan(runner, FLAG_DUE)
    assert flag_of(idea).assigned_office.code == "MIN"
    run_scan(runner, LEVEL1_DUE)
    assert (flag_of(idea).level, flag_of(idea).assigned_office.code) == (1, "ROOT")
    run_scan(runner, LEVEL2_DUE)
    assert flag_of(idea).level == 1  # already at the root


def test_idea_from_a_root_office_waits_on_that_office(tree, runner, make_user):
    idea = post(make_user("officer", "ROOT"), tree["health"])
    run_scan(runner, LEVEL2_DUE)
    assert (flag_of(idea).level, flag_of(idea).assigned_office.code) == (0, "ROOT")


def test_ideas_by_seniors_deleted_or_not_open_are_not_flagged(tree, runner):
    by_senior = post(tree["dist_senior"], tree["health"])
    deleted = post(tree["upz_officer"], tree["health"], title="Deleted idea here")
    ideas.delete_idea(deleted, tree["upz_officer"])
    closed = post(tree["upz_officer"], tree["health"], title="Closed idea here")
    ideas.set_idea_status(closed, tree["staff"], "closed", "Out of scope.", "declined")
    reviewed = post(tree["upz_officer"], tree["health"], title="Reviewed idea here")
    ideas.set_idea_status(reviewed, tree["staff"], "under_review", "Looking at it.")
    db.session.commit()
    assert "0 raised" in run_scan(runner, LEVEL2_DUE)
    assert all(flag_of(i) is None for i in (by_senior, deleted, closed, reviewed))


def test_flags_of_ideas_later_closed_are_withdrawn_at_once_and_of_deleted_ideas_by_the_scan(tree, runner):
    closed = post(tree["upz_officer"], tree["health"])
    deleted = post(tree["upz_officer"], tree["health"], title="Deleted idea here")
    run_scan(runner, FLAG_DUE)
    ideas.set_idea_status(closed, tree["staff"], "closed", "Out of scope.", "declined")
    ideas.delete_idea(deleted, tree["upz_officer"])
    db.session.commit()
    # The status move resolved its flag in its own transaction; the scan catches the deletion.
    assert flag_of(closed).status == "resolved" and flag_of(closed).resolved_by.id == tree["staff"].id
    assert "1 resolved" in run_scan(runner, FLAG_DUE + timedelta(hours=1))
    for idea in (closed, deleted):
        flag = flag_of(idea)
        assert flag.status == "resolved" and flag.events[-1].action == "withdrawn"
    run_scan(runner, LEVEL1_DUE)
    assert flag_of(closed).level == 0  # a resolved flag never escalates


def test_second_scan_with_the_same_now_changes_nothing(tree, runner):
    for n in range(3):
        post(tree["upz_officer"], tree["health"], title=f"Idea number {n}")
    now = datetime.fromisoformat("2026-12-22T10:00:00.123456+00:00")
    assert "3 raised" in run_scan(runner, now)

    def snapshot():
        db.session.expire_all()
        flags = [
            (f.id, f.level, f.assigned_office_id, f.level_since, f.status) for f in db.session.scalars(sa.select(Flag))
        ]
        count = db.session.scalar(sa.select(sa.func.count(FlagEvent.id)))
        return flags, count, db.session.scalar(sa.select(sa.func.count(Notification.id)))

    before = snapshot()
    assert "0 raised, 0 escalated, 0 resolved, 0 notifications, 3 open flags" in run_scan(runner, now)
    assert snapshot() == before


def test_naive_now_is_taken_as_utc_and_bad_now_is_refused(tree, runner):
    idea = post(tree["upz_officer"], tree["health"])
    result = runner.invoke(args=["followup", "scan", "--now", "2026-12-16T00:00:00"])
    assert result.exit_code == 0 and "as of 2026-12-16T00:00:00+00:00" in result.output
    assert flag_of(idea) is not None
    result = runner.invoke(args=["followup", "scan", "--now", "next tuesday"])
    assert result.exit_code == 2 and "ISO 8601" in result.output


def test_scan_without_now_uses_the_current_time(tree, runner):
    post(tree["upz_officer"], tree["health"], created_at=datetime.now(UTC) - timedelta(days=60))
    assert "1 raised" in runner.invoke(args=["followup", "scan"]).output


def test_raised_flag_reaches_the_office_seniors_live(app, tree):
    token = accounts.issue_token(tree["dist_senior"])
    idea = post(tree["upz_officer"], tree["health"])
    sock = socketio.test_client(app, auth={"token": token})
    assert sock.is_connected()
    sock.get_received()
    scan(FLAG_DUE, RULES)
    db.session.commit()
    received = []

    def notification_arrived():  # with a Redis message queue the event arrives asynchronously
        received.extend(e["args"][0] for e in sock.get_received() if e["name"] == "notification")
        return received

    eventually(notification_arrived)
    sock.disconnect()
    assert received and received[0]["kind"] == "flag_raised" and received[0]["idea_id"] == idea.id


def test_many_flags_for_one_office_send_one_digest(tree):
    for n in range(DIGEST_OVER + 1):
        post(tree["upz_officer"], tree["health"], title=f"Idea number {n}")
    result = scan(FLAG_DUE, RULES)
    db.session.commit()
    assert result.raised == DIGEST_OVER + 1 and result.notified == 1
    (note,) = notes(tree["dist_senior"])
    assert note.kind == "flag_raised" and note.idea_id is None and f"{DIGEST_OVER + 1} ideas" in note.text


@pytest.mark.server
def test_the_flask_command_runs_as_a_subprocess(app, tree, tmp_path):
    idea = post(tree["upz_officer"], tree["health"])
    db.session.commit()
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "SECRET_KEY": "test",
    }
    flask = [sys.executable, "-m", "flask", "--app", "wsgi", "followup", "scan", "--now", FLAG_DUE.isoformat()]
    done = subprocess.run(flask, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1 and "1 raised" in done.stdout
    assert flag_of(idea).status == "open"
