"""Job leases: of several processes, at most one runs a scheduled job (the follow-up scan, the mail digests).

`start_leased_job` runs a job every `interval` seconds in each serving process (a greenlet under gevent,
a daemon thread under threading); each tick tries to take the job's lease and only the holder runs the
job, so several processes do the work once. The holder renews on its next tick; if it dies, another
process takes over once the lease has expired (interval + LEASE_GRACE seconds).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.dialects import postgresql, sqlite

from forum.extensions import db, socketio
from forum.models import JobLease, utcnow

LEASE_GRACE = 60  # seconds a holder may be late before another process takes over

T = TypeVar("T")


def _insert(table: sa.Table):
    """INSERT with ON CONFLICT support on both databases."""
    return postgresql.insert(table) if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert(table)


def acquire_lease(name: str, holder: str, now: datetime, seconds: float) -> bool:
    """Take or renew a named lease until now + seconds; False while another holder's lease runs.

    Both steps are single atomic statements, so of several processes at most one gets it.
    """
    until = now + timedelta(seconds=seconds)
    taken = db.session.execute(
        sa.update(JobLease)
        .where(JobLease.name == name, sa.or_(JobLease.expires_at <= now, JobLease.holder == holder))
        .values(holder=holder, expires_at=until)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken:
        return True
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT that DO NOTHING skipped.
    leases = JobLease.__table__
    inserted = db.session.execute(
        _insert(leases)
        .values(name=name, holder=holder, expires_at=until)
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(leases.c.name)
    ).first()
    return inserted is not None


def run_leased(
    app: Flask, name: str, holder: str, interval: float, job: Callable[[datetime], T], now: datetime | None = None
) -> T | None:
    """One tick: run `job(now)` and commit if this process holds (or takes) the lease; else None."""
    with app.app_context():
        try:
            now = now or utcnow()
            if not acquire_lease(name, holder, now, interval + LEASE_GRACE):
                db.session.rollback()
                return None
            db.session.commit()
            result = job(now)
            db.session.commit()
            return result
        except Exception:
            db.session.rollback()
            raise
        finally:
            db.session.remove()


def start_leased_job(
    app: Flask,
    name: str,
    interval: int,
    first_delay: int,
    job: Callable[[datetime], T],
    report: Callable[[T], None],
) -> bool:
    """Run `job` every `interval` seconds in this process under the lease `name`; returns whether it started.

    Off when the interval is 0, when TESTING, and inside `flask ...` commands (`followup scan`,
    `db upgrade`): those are one-shot processes, the servers keep the schedule. Once per app.
    """
    if interval <= 0 or app.testing or os.environ.get("FLASK_RUN_FROM_CLI") == "true":
        return False
    key = f"leased_job:{name}"
    if app.extensions.get(key) is not None:
        return False
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    app.extensions[key] = socketio.start_background_task(_loop, app, interval, holder, name, first_delay, job, report)
    return True


def _loop(app: Flask, interval: int, holder: str, name: str, first_delay: int, job, report) -> None:
    socketio.sleep(min(interval, first_delay))
    while True:
        try:
            result = run_leased(app, name, holder, interval, job)
            if result is not None:
                report(result)
        except Exception:  # a failed tick must not end the schedule
            app.logger.exception("scheduled job %s failed", name)
        socketio.sleep(interval)
