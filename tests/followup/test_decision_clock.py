"""The decision clock: an idea answered but still open or under review FOLLOWUP_DECISION_DAYS working days
after its first answer is flagged "stalled", escalated on the same schedule, and resolved when it moves on."""

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.followup import flags
from forum.followup.scan import scan
from forum.ideas import service as ideas
from forum.lifecycle import service as lifecycle
from forum.models import Flag, FlagEvent, MailOutbox
from tests.conftest import flask_db
from tests.followup.helpers import DHAKA, FLAG_DUE, POSTED, RULES, SECOND, flag_of, notes, post, run_scan

# Deadlines are midnights in Dhaka (FOLLOWUP_TIMEZONE).
# Answered on Wed 9 Dec 2026 (before the first clock's deadline). 20 working days after it under the
# Friday-Saturday weekend: Thu 10, Sun 13 ... Wed 6 Jan 2027, so it is due at the end of Wed 6 Jan;
# 7 more working days (Thu 7, Sun 10 ... Sun 17) to the first escalation.
ANSWERED = POSTED + timedelta(days=3)
DECISION_DUE = datetime(2027, 1, 7, tzinfo=DHAKA)
DECISION_LEVEL1_DUE = datetime(2027, 1, 18, tzinfo=DHAKA)


def answered_idea(tree, at=ANSWERED, title="Mobile courts for land disputes"):
    idea = post(tree["upz_officer"], tree["health"], title=title)
    ideas.add_comment(idea, tree["dist_senior"], "Thank you, we are looking at it.", now=at)
    db.session.commit()
    return idea


def test_an_answered_idea_left_open_is_flagged_stalled_after_20_working_days_and_escalated_on_schedule(tree, runner):
    idea = answered_idea(tree)

    assert "0 raised" in run_scan(runner, DECISION_DUE - SECOND)
    assert flag_of(idea) is None and flag_of(idea, "stalled") is None

    assert "1 raised" in run_scan(runner, DECISION_DUE)
    flag = flag_of(idea, "stalled")
    # The same responsible office as the first clock (Health has no owner: DIST, the parent of UPZ).
    assert (flag.kind, flag.level, flag.assigned_office.code, flag.status) == ("stalled", 0, "DIST", "open")
    assert flag.level_since == DECISION_DUE and "not decided within 20 working days" in flag.reason
    assert [(e.action, e.level) for e in flag.events] == [("raised", 0)]
    raised = notes(tree["dist_senior"], "flag_raised")
    assert len(raised) == 1 and "no decision for 20 working days" in raised[0].text

    run_scan(runner, DECISION_LEVEL1_DUE - SECOND)
    assert flag_of(idea, "stalled").level == 0
    assert "1 escalated" in run_scan(runner, DECISION_LEVEL1_DUE)
    flag = flag_of(idea, "stalled")
    assert (flag.level, flag.assigned_office.code) == (1, "MIN")
    escalated = notes(tree["senior"], "flag_escalated")
    assert len(escalated) == 1 and "still undecided" in escalated[0].text
    assert flag_of(idea) is None  # answered in time: the first clock never flagged it


def test_under_review_keeps_the_decision_clock_running(tree, runner):
    idea = answered_idea(tree)
    ideas.set_idea_status(idea, tree["dist_senior"], "under_review", "Looking at the costs.")
    db.session.commit()
    assert "1 raised" in run_scan(runner, DECISION_DUE)
    assert flag_of(idea, "stalled").status == "open"


@pytest.mark.parametrize(("status", "reason"), [("piloting", None), ("implemented", None), ("closed", "declined")])
def test_a_decision_resolves_the_stalled_flag_in_the_same_transaction(tree, runner, status, reason):
    idea = answered_idea(tree)
    run_scan(runner, DECISION_DUE)
    moved_at = DECISION_DUE + timedelta(days=1)
    ideas.set_idea_status(idea, tree["dist_senior"], "under_review", "Looking at the costs.")
    assert flag_of(idea, "stalled").status == "open"
    lifecycle.change_status(idea, tree["dist_senior"], status, "Decided at the district meeting.", reason, now=moved_at)
    db.session.commit()
    flag = flag_of(idea, "stalled")
    assert (flag.status, flag.resolved_at, flag.resolved_by.id) == ("resolved", moved_at, tree["dist_senior"].id)
    assert flag.events[-1].action == "decided" and status.replace("_", " ") in flag.events[-1].note
    # Nothing left for the scan to do, now or later: a decided idea is never flagged again.
    assert "0 raised, 0 escalated, 0 resolved" in run_scan(runner, DECISION_LEVEL1_DUE + timedelta(days=30))


def test_the_scan_resolves_a_stalled_flag_whose_idea_moved_on_another_way(tree, runner):
    idea = answered_idea(tree)
    run_scan(runner, DECISION_DUE)
    idea.status = "implemented"  # e.g. set by an admin in the database
    db.session.commit()
    assert "1 resolved" in run_scan(runner, DECISION_DUE + timedelta(hours=1))
    flag = flag_of(idea, "stalled")
    assert flag.status == "resolved" and flag.events[-1].action == "decided" and flag.events[-1].actor is None


def test_an_idea_can_carry_one_flag_of_each_kind_and_never_two_of_one(tree, runner):
    idea = post(tree["upz_officer"], tree["health"])
    run_scan(runner, FLAG_DUE)  # unanswered in time: the first clock flags it
    ideas.add_comment(idea, tree["dist_senior"], "Late answer.", now=FLAG_DUE + timedelta(days=1))
    db.session.commit()
    assert flag_of(idea).status == "resolved"
    later = FLAG_DUE + timedelta(days=60)
    assert "1 raised" in run_scan(runner, later)
    assert "0 raised" in run_scan(runner, later)  # idempotent
    kinds = db.session.execute(sa.select(Flag.kind, Flag.status).where(Flag.idea_id == idea.id)).all()
    assert sorted(kinds) == [("stalled", "open"), ("unanswered", "resolved")]
    with pytest.raises(sa.exc.IntegrityError):
        db.session.add(Flag(idea_id=idea.id, kind="stalled", reason="x", assigned_office_id=idea.office_id))
        db.session.flush()
    db.session.rollback()


def test_ideas_by_seniors_and_deleted_ideas_run_no_decision_clock(tree, runner):
    by_senior = ideas.create_idea(tree["dist_senior"], "A senior's own idea", "Text.", tree["health"].id)
    by_senior.created_at, by_senior.first_response_at = POSTED, ANSWERED
    deleted = answered_idea(tree, title="Deleted idea here")
    ideas.delete_idea(deleted, tree["upz_officer"])
    db.session.commit()
    assert "0 raised" in run_scan(runner, DECISION_DUE + timedelta(days=30))


def test_decision_days_come_from_the_config(tree, runner, app):
    idea = answered_idea(tree)
    app.config["FOLLOWUP_DECISION_DAYS"] = 2  # Thu 10 and Sun 13 Dec: due at the end of Sun 13
    assert "0 raised" in run_scan(runner, datetime(2026, 12, 14, tzinfo=DHAKA) - SECOND)
    assert "1 raised" in run_scan(runner, datetime(2026, 12, 14, tzinfo=DHAKA))
    assert "within 2 working days" in flag_of(idea, "stalled").reason


def test_the_scan_function_defaults_to_20_decision_days(tree):
    answered_idea(tree)
    assert scan(DECISION_DUE - SECOND, RULES).raised == 0
    assert scan(DECISION_DUE, RULES).raised == 1
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(FlagEvent.id))) == 1


def test_api_flags_carry_their_kind_and_filter_by_it(tree, runner, api):
    unanswered = post(tree["upz_officer"], tree["land"], title="Never answered idea")
    stalled = answered_idea(tree)
    run_scan(runner, DECISION_DUE)
    body = api(tree["staff"]).get("/followup/flags").get_json()
    assert {(f["idea_id"], f["kind"]) for f in body["items"]} == {
        (unanswered.id, "unanswered"),
        (stalled.id, "stalled"),
    }
    only = api(tree["staff"]).get("/followup/flags?kind=stalled").get_json()["items"]
    assert [(f["idea_id"], f["kind"]) for f in only] == [(stalled.id, "stalled")]
    only = api(tree["staff"]).get("/followup/flags?kind=unanswered").get_json()["items"]
    assert [f["idea_id"] for f in only] == [unanswered.id]
    response = api(tree["staff"]).get("/followup/flags?kind=late")
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "kind"


def test_dashboard_shows_both_clocks_side_by_side_and_the_kind_of_each_flag(tree, runner, client_for):
    post(tree["upz_officer"], tree["land"], title="Never answered idea")
    stalled = answered_idea(tree)
    run_scan(runner, DECISION_DUE)
    page = client_for(tree["staff"]).get("/followup/").get_data(as_text=True)
    first, decision = page.index("Waiting for a first answer"), page.index("Waiting for a decision")
    section = page[page.index('id="kinds"') : page.index('id="flags"')]
    assert first < decision and "kind-unanswered" in section and "kind-stalled" in section
    assert section.count("1 open flag") == 2
    assert page.count('<td class="kind">waiting for a decision</td>') == 1
    assert page.count('<td class="kind">waiting for a first answer</td>') == 1
    filtered = client_for(tree["staff"]).get("/followup/?kind=stalled").get_data(as_text=True)
    assert '<td class="kind">waiting for a first answer</td>' not in filtered and stalled.title in filtered
    rows = client_for(tree["staff"]).get("/followup/flags.csv?kind=stalled").data.decode("utf-8-sig").splitlines()
    assert len(rows) == 2 and rows[0].split(",")[4] == "kind" and rows[1].split(",")[4] == "stalled"
    flag_page = client_for(tree["staff"]).get(f"/followup/flags/{flag_of(stalled, 'stalled').id}")
    assert 'class="flag-kind">waiting for a decision<' in flag_page.get_data(as_text=True)


def test_the_report_counts_stalled_flags_beside_the_unanswered_ones(tree, runner, client_for):
    post(tree["upz_officer"], tree["health"], title="Never answered idea")
    answered_idea(tree)
    run_scan(runner, DECISION_DUE)
    csv = client_for(tree["staff"]).get("/followup/report.csv").get_data(as_text=True).splitlines()
    header = csv[0].split(",")
    total = dict(zip(header, csv[-1].split(","), strict=True))
    # Two ideas, one row each (an idea with flags of both kinds is never counted twice).
    assert total["ideas"] == "2" and total["open_flags_total"] == "1" and total["stalled_flags_total"] == "1"


@pytest.mark.server  # runs `flask db upgrade` in subprocesses
def test_the_migration_makes_existing_flags_unanswered_and_allows_one_flag_per_kind(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    flask_db(url, tmp_path, "upgrade", "7a3f0c2e8d41")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO offices VALUES (1, 'A', 'A', NULL, '2026-01-01')"))
        conn.execute(sa.text("INSERT INTO categories VALUES (1, 'C', NULL, '2026-01-01')"))
        conn.execute(
            sa.text(
                "INSERT INTO users (id, email, name, password_hash, role, office_id, status, designation, "
                "session_version, created_at) VALUES (7, 'a@x', 'A', 'x', 'officer', 1, 'active', '', 1, '2026-01-01')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO ideas (id, reference, title, body, body_html, category_id, office_id, author_id, "
                "status, created_at, comment_count, endorsement_count, version) "
                "VALUES (1, 'R1', 't', 'b', 'b', 1, 1, 7, 'open', '2026-01-02 10:00:00', 0, 0, 1)"
            )
        )
        conn.execute(sa.text(FLAG_ROW.format(kind_column="", kind="")))
    flask_db(url, tmp_path, "upgrade", "c3d9e1f07a52")  # this revision (a later one may not downgrade on SQLite)
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT idea_id, kind FROM followup_flags")).all() == [(1, "unanswered")]
        conn.execute(sa.text(FLAG_ROW.format(kind_column=", kind", kind=", 'stalled'")))
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.text(FLAG_ROW.format(kind_column=", kind", kind=", 'stalled'")))
    flask_db(url, tmp_path, "downgrade", "7a3f0c2e8d41")  # keeps each idea's first-clock flag
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT idea_id FROM followup_flags")).all() == [(1,)]
    engine.dispose()


FLAG_ROW = (
    "INSERT INTO followup_flags (idea_id, reason, level, assigned_office_id, status, created_at, level_since"
    "{kind_column}) VALUES (1, 'r', 0, 1, 'open', '2026-01-20', '2026-01-20'{kind})"
)


def test_a_stalled_flag_is_emailed_to_the_seniors_through_the_mail_outbox(tree, runner):
    idea = answered_idea(tree)
    run_scan(runner, DECISION_DUE)
    [note] = notes(tree["dist_senior"], "flag_raised")
    mail = db.session.scalars(sa.select(MailOutbox).where(MailOutbox.notification_id == note.id)).all()
    assert [(m.user_id, m.to_addr, m.kind) for m in mail] == [
        (tree["dist_senior"].id, tree["dist_senior"].email, "flag")
    ]
    assert idea.reference in note.text


def test_staff_escalate_a_stalled_flag_by_hand_and_it_then_follows_its_own_clock(tree, runner):
    idea = answered_idea(tree)
    run_scan(runner, DECISION_DUE)
    moved_at = datetime(2027, 1, 7, 9, 0, tzinfo=DHAKA)  # Thursday
    flags.escalate_flag(flag_of(idea, "stalled"), tree["staff"], "The district cannot decide this.", moved_at)
    db.session.commit()
    assert (flag_of(idea, "stalled").level, flag_of(idea, "stalled").assigned_office.code) == (1, "MIN")
    # 7 working days after Thu 7 Jan: Sun 10 ... Thu 14, Sun 17, Mon 18: due at the end of Mon 18 Jan.
    own_clock_due = datetime(2027, 1, 19, tzinfo=DHAKA)
    assert "0 escalated" in run_scan(runner, own_clock_due - SECOND)
    assert flag_of(idea, "stalled").assigned_office.code == "MIN"  # not moved back down, nor on by schedule
    assert "1 escalated" in run_scan(runner, own_clock_due)
    flag = flag_of(idea, "stalled")
    assert (flag.level, flag.assigned_office.code) == (2, "ROOT")
    assert "Still undecided" in flag.events[-1].note
