"""Running the scan from several processes: the race, the job lease, the in-app scheduler."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum.extensions import db, socketio
from forum.followup import scheduler
from forum.ideas import service as ideas
from forum.leases import acquire_lease
from forum.models import Flag, FlagEvent, JobLease
from tests.conftest import eventually
from tests.followup.helpers import (
    FLAG_DUE,
    LEVEL1_DUE,
    POSTED,
    ROOT,
    flag_of,
    notes,
    post,
)

# One scanning process. It says when it is ready and waits for "go"; once it holds the flag lock it keeps
# it until the other process has entered its own scan, so the two scans provably overlap in time.
_DRIVER = """
import pathlib, sys, time
from wsgi import app
from forum.followup import scan as scan_module
from forum.followup.cli import scan_command

folder, me, other, now = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]


def wait_for(path):
    deadline = time.monotonic() + 60
    while not path.exists():
        if time.monotonic() > deadline:
            sys.exit("timed out waiting for " + path.name)
        time.sleep(0.002)


lock_flags = scan_module.lock_flags


def lock_then_wait_for_the_other():
    lock_flags()
    (folder / ("locked-" + me)).touch()
    wait_for(folder / ("scanning-" + other))


scan_module.lock_flags = lock_then_wait_for_the_other
(folder / ("ready-" + me)).touch()
wait_for(folder / "go")
with app.app_context():
    (folder / ("scanning-" + me)).touch()
    scan_command.main(["--now", now], standalone_mode=False)
"""


@pytest.mark.server
def test_two_processes_scanning_at_once_flag_each_idea_once_on_each_clock(app, tree, tmp_path):
    count = 120
    for n in range(count):
        post(tree["upz_officer"], tree["health"], title=f"Concurrent idea {n}")
        # Answered long ago and never decided: the decision clock has it at the root by the scan's time.
        answered = post(tree["upz_officer"], tree["health"], POSTED - timedelta(days=60), title=f"Stalled idea {n}")
        ideas.add_comment(answered, tree["dist_senior"], "Noted.", now=POSTED - timedelta(days=57))
    db.session.commit()
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "FOLLOWUP_SCAN_INTERVAL": "0",
        "SECRET_KEY": "test",
        "RATELIMIT_ENABLED": "false",
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _DRIVER, str(tmp_path), me, other, LEVEL1_DUE.isoformat()],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for me, other in (("a", "b"), ("b", "a"))
    ]
    eventually(lambda: (tmp_path / "ready-a").exists() and (tmp_path / "ready-b").exists(), timeout=60)
    (tmp_path / "go").touch()
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    # Each held the lock only once the other was inside its scan: they ran at once, and one found nothing to do.
    assert (tmp_path / "locked-a").exists() and (tmp_path / "locked-b").exists()
    raised = sorted(int(out.split(": ")[1].split(" raised")[0]) for out, _ in outputs)
    assert raised == [0, 2 * count]
    db.session.expire_all()
    kinds = db.session.execute(sa.select(Flag.kind, sa.func.count(Flag.id)).group_by(Flag.kind)).all()
    assert sorted(kinds) == [("stalled", count), ("unanswered", count)]
    assert db.session.scalar(sa.select(sa.func.count(FlagEvent.id))) == 2 * count
    assert len(notes(tree["senior"])) == 1  # one digest to MIN's senior (the unanswered ones), not two
    assert len(notes(tree["root_senior"])) == 1  # and one to ROOT's (the stalled ones)


def test_only_one_holder_gets_the_lease_until_it_expires(app, world):
    now = POSTED
    assert acquire_lease("job", "a", now, 60)
    db.session.commit()
    assert not acquire_lease("job", "b", now + timedelta(seconds=30), 60)
    assert acquire_lease("job", "a", now + timedelta(seconds=30), 60)  # the holder renews
    assert not acquire_lease("job", "b", now + timedelta(seconds=89), 60)
    assert acquire_lease("job", "b", now + timedelta(seconds=91), 60)
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


class _App:
    """What start_scheduler reads of an app: its config, whether it is testing, its extensions."""

    def __init__(self, testing: bool, interval: int):
        self.config = {"FOLLOWUP_SCAN_INTERVAL": interval}
        self.testing = testing
        self.extensions = {}


@pytest.mark.parametrize(("testing", "interval"), [(True, 900), (False, 0)])
def test_scheduler_is_off_in_tests_and_when_interval_is_zero(monkeypatch, testing, interval):
    started = []
    monkeypatch.setattr(socketio, "start_background_task", lambda *a, **k: started.append(a) or object())
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    assert scheduler.start_scheduler(_App(testing, interval)) is False
    assert started == []


def test_scheduler_starts_once_per_app_and_not_inside_flask_commands(monkeypatch):
    started = []
    monkeypatch.setattr(socketio, "start_background_task", lambda *a, **k: started.append(a) or object())
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    assert scheduler.start_scheduler(_App(False, 900)) is False
    monkeypatch.delenv("FLASK_RUN_FROM_CLI")
    app = _App(False, 900)
    assert scheduler.start_scheduler(app) is True
    assert scheduler.start_scheduler(app) is False  # once per app
    assert len(started) == 1 and started[0][1] is app and started[0][2] == 900
