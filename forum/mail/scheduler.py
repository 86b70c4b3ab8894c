"""The digest schedule inside the running application: once per period, however many processes run.

Each process ticks every MAIL_DIGEST_INTERVAL seconds and tries to take the JobLease "mail_digest"
(the lease the follow-up scan uses for its own job); only the holder writes the digests. Even without
the lease a period could not be sent twice: every digest has a unique dedupe key in the outbox.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime

from flask import Flask

from forum.extensions import db, socketio
from forum.leases import acquire_lease
from forum.mail.digest import CADENCES, Result, send_digests
from forum.models import utcnow

LEASE_NAME = "mail_digest"
LEASE_GRACE = 60
FIRST_DELAY = 60


def start_digest_schedule(app: Flask) -> bool:
    """Start this process's digest ticks unless off (interval 0, TESTING, or a `flask ...` command)."""
    interval = int(app.config.get("MAIL_DIGEST_INTERVAL") or 0)
    if interval <= 0 or app.testing or os.environ.get("FLASK_RUN_FROM_CLI") == "true":
        return False
    if app.extensions.get("mail_digest_schedule") is not None:
        return False
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    app.extensions["mail_digest_schedule"] = socketio.start_background_task(_loop, app, interval, holder)
    return True


def _loop(app: Flask, interval: int, holder: str) -> None:
    socketio.sleep(min(interval, FIRST_DELAY))
    while True:
        try:
            for result in run_scheduled_digests(app, holder, interval) or []:
                if result.queued:
                    app.logger.info(result.summary())
        except Exception:  # a failed tick must not end the schedule
            app.logger.exception("scheduled mail digest failed")
        socketio.sleep(interval)


def run_scheduled_digests(app: Flask, holder: str, interval: int, now: datetime | None = None) -> list[Result] | None:
    """One tick: if this process holds (or takes) the lease, queue every digest due; else None."""
    with app.app_context():
        try:
            now = now or utcnow()
            if not acquire_lease(LEASE_NAME, holder, now, interval + LEASE_GRACE):
                db.session.rollback()
                return None
            db.session.commit()
            results = []
            for cadence in CADENCES:
                results.append(send_digests(now, cadence))
                db.session.commit()
            return results
        except Exception:
            db.session.rollback()
            raise
        finally:
            db.session.remove()
