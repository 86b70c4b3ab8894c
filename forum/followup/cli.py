"""`flask followup scan [--now ISO8601]`, hung off the followup blueprint by views.py."""

from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from forum.extensions import db
from forum.followup.clocks import decision_days
from forum.followup.rules import Rules
from forum.followup.scan import scan
from forum.models import utcnow


def parse_now(value: str | None) -> datetime:
    """An ISO 8601 moment; a naive one is taken as UTC. None means the current time."""
    if not value:
        return utcnow()
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 date-time: {value!r}", param_hint="--now") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@click.command("scan")
@click.option("--now", "now_text", default=None, help="Evaluate as of this ISO 8601 time (default: now).")
@with_appcontext
def scan_command(now_text: str | None) -> None:
    """Flag and escalate unanswered and undecided ideas as of --now; idempotent, safe to run concurrently."""
    now = parse_now(now_text)
    try:
        result = scan(now, Rules.from_config(current_app.config), decision_days(current_app.config))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    click.echo(result.summary())
