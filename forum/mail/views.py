"""One-click unsubscribe (signed link, no login) and the `flask mail` commands."""

from datetime import UTC, datetime

import click
from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _

from forum.extensions import csrf, db
from forum.mail import digest, sender
from forum.mail.links import MailSite, read_unsubscribe_token
from forum.mail.preferences import KINDS, update_preferences
from forum.models import User, utcnow

bp = Blueprint("mail", __name__)


def _kind_label(kind: str) -> str:
    return {
        "mention": _("mentions of you"),
        "reply": _("replies to your ideas and comments"),
        "official_reply": _("official responses"),
        "flag": _("follow-up flags reaching your office"),
        "digest": _("digests and summaries"),
        "all": _("all emails"),
    }.get(kind, kind)


@bp.route("/mail/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the proof; mail clients POST here without a form (RFC 8058)
def unsubscribe(token: str):
    """GET shows one button; POST (the button, or a mail client's one-click) turns that email kind off."""
    found = read_unsubscribe_token(current_app.config["SECRET_KEY"], token)
    user = db.session.get(User, found[0]) if found else None
    if user is None or found[1] not in (*KINDS, "all"):
        abort(404)
    kind = found[1]
    if request.method == "POST":
        update_preferences(user, {k: "never" for k in (KINDS if kind == "all" else (kind,))})
        db.session.commit()
        return render_template("mail/unsubscribed.html", user=user, what=_kind_label(kind), done=True)
    return render_template("mail/unsubscribed.html", user=user, what=_kind_label(kind), done=False, token=token)


def _parse_now(value: str | None) -> datetime:
    if not value:
        return utcnow()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use ISO 8601, e.g. 2026-11-29T09:00:00+06:00", param_hint="--now") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@bp.cli.command("digest")
@click.option("--now", "now", default=None, help="ISO 8601 time to run as (default: now).")
@click.option("--cadence", type=click.Choice(digest.CADENCES), default="weekly", show_default=True)
def digest_command(now: str | None, cadence: str) -> None:
    """Send the digests due as of --now; running it again for the same period sends nothing more."""
    config = current_app.config
    result = digest.send_digests(
        _parse_now(now), cadence, digest.Schedule.from_config(config), MailSite.from_config(config)
    )
    db.session.commit()
    delivered = sender.send_due(current_app._get_current_object())
    click.echo(f"{result.summary()}; {delivered} delivered")


@bp.cli.command("send")
def send_command() -> None:
    """Deliver whatever waits in the outbox now (retries included)."""
    click.echo(f"{sender.send_due(current_app._get_current_object())} delivered")
