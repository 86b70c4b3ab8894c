"""The follow-up scan on a schedule inside the running application, once however many processes run.

Every serving process ticks every FOLLOWUP_SCAN_INTERVAL seconds; the lease "followup_scan" lets only
one of them scan (forum/leases.py).
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from forum.followup.clocks import decision_days
from forum.followup.rules import Rules
from forum.followup.scan import ScanResult, scan
from forum.leases import run_leased, start_leased_job

LEASE_NAME = "followup_scan"
FIRST_DELAY = 30  # seconds after start-up before the first tick: let the server come up first


def start_scheduler(app: Flask) -> bool:
    """Start the periodic scan for this process, unless turned off; returns whether it started."""
    interval = int(app.config.get("FOLLOWUP_SCAN_INTERVAL") or 0)

    def report(result: ScanResult) -> None:
        if result.raised or result.escalated or result.resolved:
            app.logger.info(result.summary())

    return start_leased_job(app, LEASE_NAME, interval, FIRST_DELAY, _scan_job(app), report)


def run_scheduled_scan(app: Flask, holder: str, interval: int, now: datetime | None = None) -> ScanResult | None:
    """One tick: scan if this process holds (or takes) the lease, else do nothing and return None."""
    return run_leased(app, LEASE_NAME, holder, interval, _scan_job(app), now)


def _scan_job(app: Flask):
    return lambda now: scan(now, Rules.from_config(app.config), decision_days(app.config))
