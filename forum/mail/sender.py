"""Deliver the outbox: after commits, off the request, retrying failures with backoff.

Each process runs one sender thread (a greenlet under gunicorn's gevent worker), woken after every
commit that queued mail and polling every MAIL_POLL_SECONDS for retries and for rows another
process queued. A sender claims a row by moving its `next_attempt_at` forward in one conditional
UPDATE, so two processes never send the same row at once; if a sender dies mid-send, the claim runs
out and another sends it (a rare duplicate, never a loss). A failed attempt waits
MAIL_RETRY_SECONDS * 2^(attempts-1) (at most an hour) and is tried again, for as long as it takes;
only an address the server refuses outright is given up (kept, marked failed). With MAIL_SYNC
(tests) the same code runs inline right after the commit.
"""

from __future__ import annotations

import smtplib
import threading
from datetime import UTC, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, current_app

from forum.extensions import db
from forum.mail.compose import write_notification
from forum.models import MailOutbox, Notification, utcnow

BATCH = 50
CLAIM_SECONDS = 300  # a claimed row is someone's for this long; a crashed sender's claim runs out
MAX_BACKOFF = 3600


def build_message(row: MailOutbox, sender: str) -> EmailMessage:
    """The MIME message of an outbox row: text and HTML alternatives, List-Unsubscribe headers."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.to_addr
    message["Subject"] = row.subject or ""
    message["Date"] = format_datetime(row.created_at)
    message["Message-ID"] = make_msgid(idstring=f"psi-{row.id}", domain=sender.rpartition("@")[2].strip("> ") or None)
    message["Auto-Submitted"] = "auto-generated"
    if row.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{row.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(row.text_body or "")
    message.add_alternative(row.html_body or "", subtype="html")
    return message


def deliver(message: EmailMessage, config) -> None:
    """Send one message over SMTP, or write it to the log when MAIL_SERVER is not set; raises on failure."""
    if not config.get("MAIL_SERVER"):
        current_app.logger.info("email (MAIL_SERVER not set, not sent):\n%s", message.as_string())
        return
    with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=config["MAIL_TIMEOUT"]) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)


def backoff(attempts: int, base: float) -> float:
    """Seconds to wait after the `attempts`-th failure: doubling from `base`, at most an hour."""
    return min(base * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


def _claim(session: so.Session, now) -> list[int]:
    """Take up to BATCH due rows for this sender; each is claimed by one conditional UPDATE."""
    due = session.execute(
        sa.select(MailOutbox.id, MailOutbox.next_attempt_at)
        .where(MailOutbox.sent_at.is_(None), ~MailOutbox.failed, MailOutbox.next_attempt_at <= now)
        .order_by(MailOutbox.next_attempt_at, MailOutbox.id)
        .limit(BATCH)
    ).all()
    claimed = []
    until = now + timedelta(seconds=CLAIM_SECONDS)
    for row_id, seen in due:
        taken = session.execute(
            sa.update(MailOutbox)
            .where(MailOutbox.id == row_id, MailOutbox.next_attempt_at == seen, MailOutbox.sent_at.is_(None))
            .values(next_attempt_at=until)
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken:
            claimed.append(row_id)
    session.commit()
    return claimed


def _write(session: so.Session, row: MailOutbox) -> None:
    """Write an immediate email from its notification, once; retries send the same text."""
    note = session.get(Notification, row.notification_id) if row.notification_id else None
    if note is None:
        row.subject, row.text_body, row.html_body = "PSI Forum", "", ""
        return
    written = write_notification(session, note, row.kind)
    row.subject, row.text_body, row.html_body = written.subject[:300], written.text, written.html
    row.unsubscribe_url = written.unsubscribe


def send_due(app: Flask | None = None) -> int:
    """Send every due outbox row; returns how many were delivered."""
    app = app or current_app._get_current_object()
    config = app.config
    sent = 0
    with app.app_context():
        while True:
            with so.Session(db.engine, expire_on_commit=False) as session:
                ids = _claim(session, utcnow())
                if not ids:
                    return sent
                for row_id in ids:
                    row = session.get(MailOutbox, row_id)
                    try:
                        if row.subject is None:
                            _write(session, row)
                            session.commit()
                        deliver(build_message(row, config["MAIL_FROM"]), config)
                    except smtplib.SMTPRecipientsRefused as exc:
                        session.rollback()
                        _failed(session, row, exc, permanent=True, base=config["MAIL_RETRY_SECONDS"])
                        continue
                    except Exception as exc:  # noqa: BLE001  (any failure is retried: nothing may be lost)
                        session.rollback()
                        _failed(session, row, exc, permanent=False, base=config["MAIL_RETRY_SECONDS"])
                        continue
                    row.sent_at = utcnow()
                    row.attempts += 1
                    session.commit()
                    sent += 1
            if len(ids) < BATCH:
                return sent


def _failed(session: so.Session, row: MailOutbox, exc: Exception, permanent: bool, base: float) -> None:
    row = session.get(MailOutbox, row.id)
    row.attempts += 1
    row.last_error = f"{type(exc).__name__}: {exc}"[:500]
    if permanent:
        row.failed = True
        current_app.logger.error("email %s to %s refused for good: %s", row.id, row.to_addr, row.last_error)
    else:
        row.next_attempt_at = utcnow() + timedelta(seconds=backoff(row.attempts, base))
        current_app.logger.warning(
            "email %s to %s failed (attempt %s), retrying at %s: %s",
            row.id,
            row.to_addr,
            row.attempts,
            row.next_attempt_at.isoformat(),
            row.last_error,
        )
    session.commit()


def pending(app: Flask | None = None) -> int:
    """How many emails are not yet delivered (and not given up)."""
    app = app or current_app._get_current_object()
    with app.app_context(), so.Session(db.engine) as session:
        return session.scalar(
            sa.select(sa.func.count()).select_from(MailOutbox).where(MailOutbox.sent_at.is_(None), ~MailOutbox.failed)
        )


class Sender:
    """The per-process background sender of one app."""

    def __init__(self, app: Flask):
        self.app = app
        self.event = threading.Event()
        self.stopping = False
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def wake(self) -> None:
        """Start the thread if needed and tell it there is mail."""
        self.event.set()
        if self.thread is None or not self.thread.is_alive():
            with self.lock:
                if self.thread is None or not self.thread.is_alive():
                    self.stopping = False
                    self.thread = threading.Thread(target=self._run, name="mail-sender", daemon=True)
                    self.thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread (tests; a daemon thread otherwise ends with the process)."""
        self.stopping = True
        self.event.set()
        if self.thread is not None:
            self.thread.join(timeout)

    def _run(self) -> None:
        poll = float(self.app.config["MAIL_POLL_SECONDS"])
        while not self.stopping:
            self.event.clear()
            try:
                send_due(self.app)
            except Exception:  # the rows stay in the outbox; the next poll tries again
                self.app.logger.exception("mail sender failed; will retry")
            self.event.wait(self._next_wait(poll))

    def _next_wait(self, poll: float) -> float:
        """Sleep until the earliest retry is due, at most `poll` seconds."""
        try:
            with self.app.app_context(), so.Session(db.engine) as session:
                soonest = session.scalar(
                    sa.select(sa.func.min(MailOutbox.next_attempt_at)).where(
                        MailOutbox.sent_at.is_(None), ~MailOutbox.failed
                    )
                )
        except Exception:  # noqa: BLE001  (the database may be briefly away: poll as usual)
            return poll
        if soonest is None:
            return poll
        if soonest.tzinfo is None:
            soonest = soonest.replace(tzinfo=UTC)
        return max(0.05, min(poll, (soonest - utcnow()).total_seconds()))


def sender_for(app: Flask) -> Sender:
    """The app's sender, made on first use."""
    sender = app.extensions.get("mail_sender")
    if sender is None:
        sender = app.extensions.setdefault("mail_sender", Sender(app))
    return sender


def init_app(app: Flask) -> None:
    """The first request starts the sender, which first sends what a crash or an outage left behind."""
    started = []

    @app.before_request
    def _start_sender():
        if not started and not app.config.get("MAIL_SYNC"):
            started.append(True)
            sender_for(app).wake()


def wake() -> None:
    """Ask the sender to look at the outbox now (after each commit that queued mail)."""
    app = current_app._get_current_object()
    if app.config.get("MAIL_SYNC"):
        try:
            send_due(app)
        except Exception:
            app.logger.exception("mail sending failed; the outbox keeps the rows")
        return
    sender_for(app).wake()
