"""The follow-up scan on a schedule inside the running application.

Every process that serves requests runs a background task (socketio.start_background_task,
so it is a greenlet under gevent and a daemon thread under threading). Each tick it tries to
take the JobLease row "followup_scan"; only the holder scans, so several processes do the work
once. The holder renews its lease on its next tick; if it dies, another process takes over once
the lease has expired (interval + LEASE_GRACE seconds).
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime

from flask import Flask

from forum.extensions import db, socketio
from forum.followup.rules import Rules
from forum.followup.scan import ScanResult, scan
from forum.leases import acquire_lease
from forum.models import utcnow

LEASE_NAME = "followup_scan"
LEASE_GRACE = 60  # seconds a holder may be late before another process takes over
FIRST_DELAY = 30  # seconds after start-up before the first tick: let the server come up first


def start_scheduler(app: Flask) -> bool:
    """Start the periodic scan for this process, unless turned off; returns whether it started.

    Off when FOLLOWUP_SCAN_INTERVAL is 0, when TESTING, and inside `flask ...` commands
    (`followup scan`, `db upgrade`): those are one-shot processes, the servers do the schedule.
    """
    interval = int(app.config.get("FOLLOWUP_SCAN_INTERVAL") or 0)
    if interval <= 0 or app.testing or os.environ.get("FLASK_RUN_FROM_CLI") == "true":
        return False
    if app.extensions.get("followup_scheduler") is not None:
        return False
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    app.extensions["followup_scheduler"] = socketio.start_background_task(_loop, app, interval, holder)
    return True


def _loop(app: Flask, interval: int, holder: str) -> None:
    socketio.sleep(min(interval, FIRST_DELAY))
    while True:
        try:
            result = run_scheduled_scan(app, holder, interval)
            if result is not None and (result.raised or result.escalated or result.resolved):
                app.logger.info(result.summary())
        except Exception:  # a failed tick must not end the schedule
            app.logger.exception("scheduled follow-up scan failed")
        socketio.sleep(interval)


def run_scheduled_scan(app: Flask, holder: str, interval: int, now: datetime | None = None) -> ScanResult | None:
    """One tick: scan if this process holds (or takes) the lease, else do nothing and return None."""
    with app.app_context():
        try:
            now = now or utcnow()
            if not acquire_lease(LEASE_NAME, holder, now, interval + LEASE_GRACE):
                db.session.rollback()
                return None
            db.session.commit()
            result = scan(now, Rules.from_config(app.config))
            db.session.commit()
            return result
        except Exception:
            db.session.rollback()
            raise
        finally:
            db.session.remove()
