"""Follow-up: flags on unanswered ideas, escalation up the office tree, resolution, reports, holidays."""

import csv
import io
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from forum.extensions import db, socketio
from forum.followup import flags, scheduler, waiting
from forum.followup import report as reports
from forum.followup.calendar import WorkCalendar, parse_weekend
from forum.followup.rules import Rules
from forum.followup.scan import DIGEST_OVER, scan
from forum.ideas import service as ideas
from forum.models import Flag, FlagEvent, Holiday, JobLease, Notification

ROOT = Path(__file__).resolve().parent.parent
# Sunday 6 December 2026, a working day under the default Friday-Saturday weekend. With 7 working days to
# respond and 7 more per escalation: flagged at the end of Tue 15 Dec, escalated at the end of Thu 24 Dec
# and at the end of Mon 4 Jan 2027 (the weekends 11-12, 18-19, 25-26 Dec and 1-2 Jan do not count).
POSTED = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
FLAG_DUE = datetime(2026, 12, 16, tzinfo=UTC)
LEVEL1_DUE = datetime(2026, 12, 25, tzinfo=UTC)
LEVEL2_DUE = datetime(2027, 1, 5, tzinfo=UTC)
SECOND = timedelta(seconds=1)
RULES = Rules(response_days=7, escalate_days=7, weekend=parse_weekend("fri,sat"))  # the defaults


@pytest.fixture
def app_config(app_config):
    # Flask-SocketIO's test client refuses a message queue; the subprocess tests still use the env's queue.
    return {**app_config, "SOCKETIO_MESSAGE_QUEUE": None}


@pytest.fixture
def tree(world, make_user):
    """ROOT > MIN > DIST > UPZ, with a senior user in each of ROOT, MIN and DIST and an officer in UPZ."""
    from forum.accounts import service as accounts

    accounts.create_office("UPZ", "Kaliakair Upazila", "DIST")
    db.session.commit()
    return {
        **world,
        "upz_officer": make_user("officer", "UPZ"),
        "dist_senior": make_user("senior", "DIST", designation="Deputy Commissioner"),
        "root_senior": make_user("senior", "ROOT", designation="Cabinet Secretary"),
    }


def post(author, category, created_at=POSTED, title="Mobile courts for land disputes"):
    idea = ideas.create_idea(author, title, "Some *text*.", category.id)
    idea.created_at = created_at
    db.session.commit()
    return idea


def run_scan(runner, now):
    result = runner.invoke(args=["followup", "scan", "--now", now.isoformat()])
    assert result.exit_code == 0, result.output
    return result.output


def flag_of(idea):
    db.session.expire_all()
    return db.session.scalar(sa.select(Flag).where(Flag.idea_id == idea.id))


def notes(user, kind=None):
    query = sa.select(Notification).where(Notification.user_id == user.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return db.session.scalars(query.order_by(Notification.id)).all()


# Working-day calendar ----------------------------------------------------------------------------------------


def test_weekend_is_parsed_from_names():
    assert parse_weekend("fri,sat") == {4, 5}
    assert parse_weekend(" Saturday , SUNDAY ") == {5, 6}
    with pytest.raises(ValueError):
        parse_weekend("fri,funday")
    with pytest.raises(ValueError):
        parse_weekend("mon,tue,wed,thu,fri,sat,sun")


def test_working_days_skip_weekends_and_holidays():
    calendar = WorkCalendar(parse_weekend("fri,sat"), [date(2026, 12, 14)])
    assert calendar.add_working_days(date(2026, 12, 10), 1) == date(2026, 12, 13)  # Thu -> Sun
    assert calendar.add_working_days(date(2026, 12, 13), 1) == date(2026, 12, 15)  # Mon 14 is a holiday
    assert calendar.due_at(POSTED, 0) == datetime(2026, 12, 7, tzinfo=UTC)
    assert calendar.working_days_between(POSTED, datetime(2026, 12, 16, 9, tzinfo=UTC)) == 7


# The scan, walking time forward --------------------------------------------------------------------------------


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
    assert "0 raised, 0 escalated, 0 resolved" in run_scan(runner, LEVEL2_DUE + timedelta(days=90))


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
    ideas.set_idea_status(closed, tree["staff"], "closed")
    reviewed = post(tree["upz_officer"], tree["health"], title="Reviewed idea here")
    ideas.set_idea_status(reviewed, tree["staff"], "under_review")
    db.session.commit()
    assert "0 raised" in run_scan(runner, LEVEL2_DUE)
    assert all(flag_of(i) is None for i in (by_senior, deleted, closed, reviewed))


def test_flags_of_ideas_later_closed_or_deleted_are_withdrawn_by_the_scan(tree, runner):
    closed = post(tree["upz_officer"], tree["health"])
    deleted = post(tree["upz_officer"], tree["health"], title="Deleted idea here")
    run_scan(runner, FLAG_DUE)
    ideas.set_idea_status(closed, tree["staff"], "closed")
    ideas.delete_idea(deleted, tree["upz_officer"])
    db.session.commit()
    assert "2 resolved" in run_scan(runner, FLAG_DUE + timedelta(hours=1))
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


def test_a_holiday_and_a_weekend_push_the_flag_date(tree, runner, admin_client):
    idea = post(tree["upz_officer"], tree["health"])
    response = admin_client.post("/followup/holidays", data={"day": "2026-12-14", "name": "Test holiday"})
    assert response.status_code == 302
    # Without the holiday the idea would be flagged at the end of Tue 15 Dec; the holiday on Mon 14 moves the
    # 7th working day to Wed 16, and the weekend of 18-19 Dec moves escalation to the end of Sun 27 Dec.
    run_scan(runner, FLAG_DUE + timedelta(hours=12))
    assert flag_of(idea) is None
    run_scan(runner, datetime(2026, 12, 17, tzinfo=UTC))
    assert flag_of(idea).level == 0
    run_scan(runner, datetime(2026, 12, 28, tzinfo=UTC) - SECOND)
    assert flag_of(idea).level == 0
    run_scan(runner, datetime(2026, 12, 28, tzinfo=UTC))
    assert flag_of(idea).level == 1


def test_other_weekend_and_durations_come_from_config(tree):
    config = {"FOLLOWUP_WEEKEND": "sat,sun", "FOLLOWUP_RESPONSE_DAYS": "2", "FOLLOWUP_ESCALATE_DAYS": "1"}
    rules = Rules.from_config(config)
    idea = post(tree["upz_officer"], tree["health"], created_at=datetime(2026, 12, 11, 9, tzinfo=UTC))  # a Friday
    scan(datetime(2026, 12, 16, tzinfo=UTC) - SECOND, rules)  # Mon 14 and Tue 15 are the 2 working days
    assert flag_of(idea) is None
    scan(datetime(2026, 12, 16, tzinfo=UTC), rules)
    assert flag_of(idea).level == 0
    scan(datetime(2026, 12, 17, tzinfo=UTC), rules)
    assert flag_of(idea).level == 1


# Notifications -----------------------------------------------------------------------------------------------


def test_raised_flag_reaches_the_office_seniors_live(app, tree):
    from forum.accounts import service as accounts

    token = accounts.issue_token(tree["dist_senior"])
    idea = post(tree["upz_officer"], tree["health"])
    sock = socketio.test_client(app, auth={"token": token})
    assert sock.is_connected()
    sock.get_received()
    scan(FLAG_DUE, RULES)
    db.session.commit()
    received = []
    for _ in range(40):  # with a Redis message queue the event arrives asynchronously
        received += [e["args"][0] for e in sock.get_received() if e["name"] == "notification"]
        if received:
            break
        time.sleep(0.05)
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


# Two processes at once -----------------------------------------------------------------------------------------

_DRIVER = """
import pathlib, sys, time
from wsgi import app
from forum.followup.cli import scan_command
go = pathlib.Path(sys.argv[1])
while not go.exists():
    time.sleep(0.002)
with app.app_context():
    scan_command.main(["--now", sys.argv[2]], standalone_mode=False)
"""


def test_two_processes_scanning_at_once_flag_each_idea_once(app, tree, tmp_path):
    count = 120
    for n in range(count):
        post(tree["upz_officer"], tree["health"], title=f"Concurrent idea {n}")
    db.session.commit()
    go = tmp_path / "go"
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "FOLLOWUP_SCAN_INTERVAL": "0",
        "SECRET_KEY": "test",
        "RATELIMIT_ENABLED": "false",
    }
    now = LEVEL1_DUE.isoformat()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _DRIVER, str(go), now],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    time.sleep(3)  # both processes import the app and wait for the start signal
    go.touch()
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    raised = sorted(int(out.split(": ")[1].split(" raised")[0]) for out, _ in outputs)
    assert raised == [0, count]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Flag.id))) == count
    assert db.session.scalar(sa.select(sa.func.count(FlagEvent.id))) == count
    assert len(notes(tree["senior"])) == 1  # one digest to MIN's senior, not two


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


# The schedule inside the application ---------------------------------------------------------------------------


def test_only_one_holder_gets_the_lease_until_it_expires(app, world):
    now = POSTED
    assert scheduler.acquire_lease("job", "a", now, 60)
    db.session.commit()
    assert not scheduler.acquire_lease("job", "b", now + timedelta(seconds=30), 60)
    assert scheduler.acquire_lease("job", "a", now + timedelta(seconds=30), 60)  # the holder renews
    assert not scheduler.acquire_lease("job", "b", now + timedelta(seconds=89), 60)
    assert scheduler.acquire_lease("job", "b", now + timedelta(seconds=91), 60)
    db.session.commit()
    assert db.session.get(JobLease, "job").holder == "b"


def test_scheduled_scan_runs_in_one_process_only(app, tree):
    idea = post(tree["upz_officer"], tree["health"])
    db.session.commit()
    first = scheduler.run_scheduled_scan(app, "process-a", 900, now=FLAG_DUE)
    second = scheduler.run_scheduled_scan(app, "process-b", 900, now=FLAG_DUE + timedelta(seconds=5))
    assert first is not None and first.raised == 1
    assert second is None
    assert flag_of(idea).level == 0


def test_scheduler_is_off_in_tests_and_when_interval_is_zero(app, monkeypatch):
    started = []
    monkeypatch.setattr(socketio, "start_background_task", lambda *a, **k: started.append(a) or object())
    assert scheduler.start_scheduler(app) is False  # TESTING
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    app.config.update(TESTING=False, FOLLOWUP_SCAN_INTERVAL=0)
    assert scheduler.start_scheduler(app) is False
    app.config.update(FOLLOWUP_SCAN_INTERVAL=900)
    assert scheduler.start_scheduler(app) is True
    assert scheduler.start_scheduler(app) is False  # once per app
    assert started and started[0][1] is app and started[0][2] == 900
    app.config.update(TESTING=True)
    app.extensions.pop("followup_scheduler")


# Waiting on: the idea page ---------------------------------------------------------------------------------------


def test_waiting_on_names_the_office_its_contacts_and_the_due_date(tree, runner):
    idea = post(tree["upz_officer"], tree["health"])
    state = waiting.waiting_on(idea, RULES)
    assert state["office_name"] == "Gazipur District" and state["since"] == POSTED
    assert state["contacts"] == [f"{tree['dist_senior'].name}, Deputy Commissioner"]
    assert state["due"] == FLAG_DUE and state["flag"] is None and state["reference"] == idea.reference
    run_scan(runner, LEVEL1_DUE)
    state = waiting.waiting_on(idea, RULES)
    assert state["office_name"] == "Ministry of Land" and state["level"] == 1 and state["since"] == LEVEL1_DUE
    assert state["due"] == LEVEL2_DUE and state["next_office_name"] == "Cabinet Division"
    ideas.add_comment(idea, tree["senior"], "Answer", now=LEVEL1_DUE + timedelta(days=1))
    db.session.commit()
    assert waiting.waiting_on(idea, RULES) is None


def test_waiting_on_for_a_senior_authors_idea_says_no_clock_runs(tree):
    idea = post(tree["dist_senior"], tree["health"])
    state = waiting.waiting_on(idea, RULES)
    assert state["status"] == "senior_author" and state["due"] is None


def test_idea_page_shows_whom_it_waits_on(tree, client, auth, runner):
    idea = post(tree["upz_officer"], tree["health"])
    auth.login(tree["officer"].email)
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Waiting on Gazipur District" in page and "Deputy Commissioner" in page and idea.reference in page
    run_scan(runner, LEVEL1_DUE)
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Waiting on Ministry of Land" in page and "Escalated (level 1)" in page


# Staff pages ---------------------------------------------------------------------------------------------------


@pytest.fixture
def staff_client(app, world):
    client = app.test_client()
    client.post("/login", data={"email": world["staff"].email, "password": "Secret-pass-123"})
    return client


@pytest.fixture
def admin_client(app, world):
    client = app.test_client()
    client.post("/login", data={"email": world["admin"].email, "password": "Secret-pass-123"})
    return client


def test_staff_dashboard_lists_flags_oldest_first_with_charts_and_report(tree, runner, staff_client):
    older = post(tree["upz_officer"], tree["health"], created_at=POSTED - timedelta(days=1), title="Older idea first")
    newer = post(tree["upz_officer"], tree["land"], title="Newer idea second")
    run_scan(runner, LEVEL1_DUE)
    page = staff_client.get("/followup/").get_data(as_text=True)
    assert page.index(older.reference) < page.index(newer.reference)
    assert "<svg" in page and "<script" not in page.split("<main>")[1].split("</main>")[0]
    assert "By responsible office" in page and "By category" in page
    filtered = staff_client.get("/followup/?office=ROOT&level=1").get_data(as_text=True)
    assert newer.reference in filtered and older.reference not in filtered
    assert staff_client.get("/followup/?level=x").status_code == 200  # a bad filter is a message, not a 500


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


def test_csv_export_has_the_report_table(tree, runner, staff_client):
    post(tree["upz_officer"], tree["health"])
    run_scan(runner, FLAG_DUE)
    response = staff_client.get("/followup/report.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    dist = next(r for r in rows if r["group"] == "office" and r["key"] == "DIST")
    assert dist["ideas"] == "1" and dist["answered"] == "0" and dist["open_flags_level_0"] == "1"


# Holidays ------------------------------------------------------------------------------------------------------


def test_admin_adds_and_removes_holidays(world, admin_client):
    assert admin_client.get("/followup/holidays").status_code == 200
    assert admin_client.post("/followup/holidays", data={"day": "2026-12-16", "name": "Victory Day"}).status_code == 302
    duplicate = admin_client.post("/followup/holidays", data={"day": "2026-12-16", "name": "Again"})
    assert duplicate.status_code == 200 and "already a holiday" in duplicate.get_data(as_text=True)
    assert admin_client.post("/followup/holidays", data={"day": "soon", "name": "X"}).status_code == 200
    holiday = db.session.scalar(sa.select(Holiday))
    assert (holiday.day, holiday.name) == (date(2026, 12, 16), "Victory Day")
    assert "Holidays" in admin_client.get("/admin/users").get_data(as_text=True)
    assert admin_client.post(f"/followup/holidays/{holiday.id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Holiday.id))) == 0


def test_holidays_page_is_for_admins_only(world, staff_client):
    assert staff_client.get("/followup/holidays").status_code == 403
    assert staff_client.post("/followup/holidays", data={"day": "2026-12-16", "name": "X"}).status_code == 403


# The JSON API --------------------------------------------------------------------------------------------------


@pytest.fixture
def flagged(tree, runner):
    idea = post(tree["upz_officer"], tree["health"])
    land = post(tree["upz_officer"], tree["land"], POSTED + timedelta(hours=1), title="Land idea for the API")
    run_scan(runner, FLAG_DUE)
    return {"idea": idea, "land": land, "flag": flag_of(idea)}


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
    assert again.status_code == 409 and again.get_json()["error"]["code"]
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


def test_api_report_as_json_and_csv(tree, flagged, api):
    staff = api(tree["staff"])
    report = staff.get("/followup/report?format=json").get_json()
    assert report["levels"] == [0]
    offices = {r["key"]: r for r in report["offices"]}
    assert offices["DIST"]["ideas"] == 1 and offices["DIST"]["open_flags"] == {"0": 1}
    assert offices["MIN"]["ideas"] == 1 and report["totals"]["open_flags_total"] == 2
    csv_response = staff.get("/followup/report?format=csv")
    assert csv_response.status_code == 200 and csv_response.mimetype == "text/csv"
    assert csv_response.get_data(as_text=True).startswith("group,key,name,ideas")


# Report figures --------------------------------------------------------------------------------------------------


def test_percentile_interpolates_between_ranks():
    assert reports.percentile([], 0.5) is None
    assert reports.percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert reports.percentile([float(n) for n in range(1, 11)], 0.9) == pytest.approx(9.1)


def test_report_counts_answers_and_response_times_per_office_and_category(tree, runner):
    answered = [post(tree["upz_officer"], tree["health"], title=f"Answered idea {n}") for n in range(4)]
    for days, idea in zip((1, 2, 3, 9), answered, strict=True):
        ideas.add_comment(idea, tree["dist_senior"], "Answer", now=POSTED + timedelta(days=days))
    post(tree["upz_officer"], tree["health"], title="Waiting idea")
    post(tree["dist_senior"], tree["health"], title="Senior's own idea")  # left out of the report
    db.session.commit()
    run_scan(runner, FLAG_DUE)
    report = reports.compute_report(FLAG_DUE)
    (dist,) = [r for r in report["offices"] if r["key"] == "DIST"]
    assert (dist["ideas"], dist["answered"], dist["share_answered"]) == (5, 4, 0.8)
    assert dist["median_days"] == 2.5 and dist["p90_days"] == pytest.approx(7.2)
    assert dist["open_flags"] == {"0": 1}
    (health,) = [r for r in report["categories"] if r["name"] == "Health"]
    assert health["ideas"] == 5 and health["open_flags_total"] == 1
    csv_text = reports.report_csv(report)
    assert "total,,All,5,4,0.8,2.5,7.2,1,1" in csv_text


# Staff reassign and escalate by hand -----------------------------------------------------------------------------
# A flag changed by hand leaves the posting-day schedule: it escalates one office up from where staff put it,
# FOLLOWUP_ESCALATE_DAYS working days after that change (its level_since), and the scan never moves it down.

MANUAL_AT = datetime(2026, 12, 17, 9, 0, tzinfo=UTC)  # Thursday, the day after the flag was raised
# 7 working days after Thu 17 Dec (Fri-Sat weekends): Sun 20 ... Thu 24, Sun 27, Mon 28: due at the end of Mon 28.
OWN_CLOCK_DUE = datetime(2026, 12, 29, tzinfo=UTC)


def events_of(flag):
    return [(e.action, e.level, e.office.code, e.actor.name if e.actor else None, e.note) for e in flag.events]


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
    run_scan(runner, datetime(2027, 1, 8, tzinfo=UTC))
    flag = flag_of(idea)
    assert (flag.level, flag.assigned_office.code, flag.level_since) == (2, "MIN", datetime(2027, 1, 7, tzinfo=UTC))
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
    from forum.accounts import service as accounts

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
    from forum.domain_errors import Conflict, Forbidden

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


# The flag page forms ---------------------------------------------------------------------------------------------


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


def test_flag_page_actions_need_the_csrf_token_and_the_staff_role(app, tree, runner, staff_client, client, auth):
    import re

    idea = post(tree["upz_officer"], tree["health"])
    run_scan(runner, FLAG_DUE)
    flag_id = flag_of(idea).id
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert staff_client.post(f"/followup/flags/{flag_id}/escalate", data={}).status_code in (200, 400)
        assert flag_of(idea).level == 0
        page = staff_client.get(f"/followup/flags/{flag_id}").get_data(as_text=True)
        token = re.search(r'id="escalate-csrf_token" name="escalate-csrf_token" type="hidden" value="([^"]+)"', page)
        response = staff_client.post(f"/followup/flags/{flag_id}/escalate", data={"escalate-csrf_token": token[1]})
        assert response.status_code == 302 and flag_of(idea).level == 1
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    auth.login(tree["senior"].email)
    assert client.post(f"/followup/flags/{flag_id}/escalate", data={}).status_code == 403
    assert client.post(f"/followup/flags/{flag_id}/assign", data={"assign-office": "DIST"}).status_code == 403
    assert (flag_of(idea).level, flag_of(idea).assigned_office.code) == (1, "MIN")


# Flag list pagination -------------------------------------------------------------------------------------------


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


# The cached report -----------------------------------------------------------------------------------------------


def test_report_is_cached_for_a_minute_and_dropped_after_a_flag_change(app, tree, runner, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(reports.time, "monotonic", lambda: clock[0])
    idea = post(tree["upz_officer"], tree["health"])
    first = reports.cached_report(60, FLAG_DUE)
    assert first["cached"] is False and first["computed_at"] == FLAG_DUE.isoformat() and first["cache_seconds"] == 60
    post(tree["upz_officer"], tree["health"], title="Second idea, unseen for now")
    clock[0] += 59
    second = reports.cached_report(60, FLAG_DUE + timedelta(hours=1))
    assert second["cached"] is True and second["computed_at"] == first["computed_at"]
    assert second["totals"]["ideas"] == 1
    clock[0] += 2
    third = reports.cached_report(60, FLAG_DUE + timedelta(hours=2))
    assert third["cached"] is False and third["totals"]["ideas"] == 2

    run_scan(runner, FLAG_DUE)  # a scan committed in this process drops the cache
    assert reports.cached_report(60)["totals"]["open_flags_total"] == 2
    flags.resolve_flag(flag_of(idea), tree["staff"], "Done", FLAG_DUE)
    db.session.commit()
    assert reports.cached_report(60)["totals"]["open_flags_total"] == 1
    db.session.rollback()
    assert reports.cached_report(0)["cached"] is False


def test_dashboard_and_api_show_when_the_report_was_computed(tree, flagged, api, staff_client):
    body = api(tree["staff"]).get("/followup/report").get_json()
    computed = datetime.fromisoformat(body["computed_at"])
    assert computed.utcoffset() == timedelta(0) and body["cached"] is False and body["cache_seconds"] == 60
    again = api(tree["staff"]).get("/followup/report").get_json()
    assert again["cached"] is True and again["computed_at"] == body["computed_at"]
    page = staff_client.get("/followup/").get_data(as_text=True)
    assert f"computed at {computed:%Y-%m-%d %H:%M:%S} UTC" in page and "every 60 seconds" in page


@pytest.mark.parametrize("page", ["abc", "-1", "99999999999999999999999", "0"])
def test_dashboard_survives_any_page_number(tree, staff_client, page):
    response = staff_client.get("/followup/", query_string={"page": page})
    assert response.status_code == 200
