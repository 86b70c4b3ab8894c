"""The digest schedule inside the running application: once per period, however many processes run.

Each process ticks every MAIL_DIGEST_INTERVAL seconds; the lease "mail_digest" (forum/leases.py) lets
only one of them write the digests. Even without the lease a period could not be sent twice: every
digest has a unique dedupe key in the outbox.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Flask

from forum.extensions import db
from forum.leases import run_leased, start_leased_job
from forum.mail.digest import CADENCES, Result, Schedule, send_digests
from forum.mail.links import MailSite

LEASE_NAME = "mail_digest"
FIRST_DELAY = 60


def start_digest_schedule(app: Flask) -> bool:
    """Start this process's digest ticks unless off (interval 0, TESTING, or a `flask ...` command)."""
    interval = int(app.config.get("MAIL_DIGEST_INTERVAL") or 0)

    def report(results: list[Result]) -> None:
        for result in results:
            if result.queued:
                app.logger.info(result.summary())

    return start_leased_job(app, LEASE_NAME, interval, FIRST_DELAY, _digests(app), report)


def run_scheduled_digests(app: Flask, holder: str, interval: int, now: datetime | None = None) -> list[Result] | None:
    """One tick: if this process holds (or takes) the lease, queue every digest due; else None."""
    return run_leased(app, LEASE_NAME, holder, interval, _digests(app), now)


def _digests(app: Flask) -> Callable[[datetime], list[Result]]:
    schedule, site = Schedule.from_config(app.config), MailSite.from_config(app.config)

    def run(now: datetime) -> list[Result]:
        results = []
        for cadence in CADENCES:
            results.append(send_digests(now, cadence, schedule, site))
            db.session.commit()  # each cadence on its own: a failure in one keeps the others sent
        return results

    return run
