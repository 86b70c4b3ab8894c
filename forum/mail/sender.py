"""Deliver the outbox: after commits, off the request, retrying failures with backoff.

Each process runs one sender thread (a greenlet under gunicorn's gevent worker), woken after every
commit that queued mail that is due at once and polling every MAIL_POLL_SECONDS for retries and for
rows another process queued. An email about a post (reply, mention, official response) waits
MAIL_NOTIFY_DELAY_SECONDS, as Discourse does: the reader's later ones on the same idea join it in one
email, and those read on the site meanwhile are dropped. A sender claims rows by moving their
`next_attempt_at` forward in one conditional UPDATE, so two processes never send the same row at
once; if a sender dies mid-send, the claim runs out and another sends it (a rare duplicate, never a
loss). A failed attempt waits MAIL_RETRY_SECONDS * 2^(attempts-1) (at most an hour) and is tried
again, for as long as it takes; only an address the server refuses outright is given up (kept,
marked failed). With MAIL_SYNC (tests) the same code runs inline right after the commit.
"""

from __future__ import annotations

import smtplib
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, current_app

from forum.extensions import db
from forum.mail.compose import write_notification, write_notifications
from forum.mail.links import MailSite
from forum.mail.preferences import DELAYED_KINDS
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


@dataclass
class _Email:
    """One email of a batch: its outbox row, the rows folded into it, and how sending it went."""

    row: MailOutbox
    folded: list[MailOutbox] = field(default_factory=list)
    error: Exception | None = None


def _unsent() -> sa.ColumnElement[bool]:
    """Rows still to send: not sent, not given up."""
    return sa.and_(MailOutbox.sent_at.is_(None), ~MailOutbox.failed)


def _held(now: datetime, delay: float) -> sa.ColumnElement[bool]:
    """Rows about a post queued less than `delay` seconds ago still wait: more replies may join them, or the
    reader may read them on the site first (Discourse's email window)."""
    return sa.and_(MailOutbox.kind.in_(DELAYED_KINDS), MailOutbox.created_at > now - timedelta(seconds=delay))


def _due(now: datetime, delay: float) -> sa.ColumnElement[bool]:
    return sa.and_(_unsent(), MailOutbox.next_attempt_at <= now, ~_held(now, delay))


def _claim(session: so.Session, now: datetime, delay: float) -> list[int]:
    """Take up to BATCH due rows, and every waiting row that will share an email with one of them, in one
    conditional UPDATE; commits the claim (another sender skips claimed rows until CLAIM_SECONDS run out)."""
    due = session.execute(
        sa.select(MailOutbox.id, MailOutbox.user_id, MailOutbox.kind, Notification.idea_id)
        .outerjoin(Notification, Notification.id == MailOutbox.notification_id)
        .where(_due(now, delay))
        .order_by(MailOutbox.next_attempt_at, MailOutbox.id)
        .limit(BATCH)
    ).all()
    if not due:
        return []
    ids = {row.id for row in due}
    groups = {(row.user_id, row.kind, row.idea_id) for row in due if row.kind in DELAYED_KINDS and row.idea_id}
    if groups:
        # Later replies on the same idea for the same reader ride along in the first one's email.
        waiting = session.execute(
            sa.select(MailOutbox.id, MailOutbox.user_id, MailOutbox.kind, Notification.idea_id)
            .join(Notification, Notification.id == MailOutbox.notification_id)
            .where(
                _unsent(),
                MailOutbox.subject.is_(None),
                MailOutbox.user_id.in_({user_id for user_id, _, _ in groups}),
                MailOutbox.kind.in_(DELAYED_KINDS),
            )
        ).all()
        ids |= {row.id for row in waiting if (row.user_id, row.kind, row.idea_id) in groups}
    claimed = session.scalars(
        sa.update(MailOutbox)
        .where(MailOutbox.id.in_(ids), MailOutbox.sent_at.is_(None), MailOutbox.next_attempt_at <= now)
        .values(next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS))
        .returning(MailOutbox.id)
        .execution_options(synchronize_session=False)
    ).all()
    session.commit()
    return sorted(claimed)


def _batch(session: so.Session, ids: list[int], site: MailSite) -> tuple[list[_Email], list[MailOutbox]]:
    """Write the claimed rows' emails, reading only: one email per reader, kind and idea for replies and
    mentions, and none for notifications the reader has already read. Returns the emails and the rows that
    need no email at all."""
    rows = session.scalars(sa.select(MailOutbox).where(MailOutbox.id.in_(ids)).order_by(MailOutbox.id)).all()
    note_ids = [row.notification_id for row in rows if row.notification_id and row.subject is None]
    notes = {
        note.id: note
        for note in session.scalars(
            sa.select(Notification)
            .where(Notification.id.in_(note_ids))
            .options(so.joinedload(Notification.user), so.joinedload(Notification.idea))
        )
    }
    emails: list[_Email] = []
    unneeded: list[MailOutbox] = []
    groups: dict[tuple, list[MailOutbox]] = {}
    for row in rows:
        note = notes.get(row.notification_id)
        if row.subject is not None:  # written before: a retry sends the same message
            emails.append(_Email(row))
        elif note is None:
            unneeded.append(row)  # its notification is gone
        elif note.read_at is not None:
            unneeded.append(row)  # read on the site while the email waited
        elif row.kind in DELAYED_KINDS and note.idea_id:
            groups.setdefault((row.user_id, row.kind, note.idea_id), []).append(row)
        else:
            emails.append(_Email(row))
            _write(session, row, [note], site)
    for group in groups.values():
        first, *rest = group
        emails.append(_Email(first, folded=rest))
        _write(session, first, [notes[row.notification_id] for row in group], site)
    return emails, unneeded


def _write(session: so.Session, row: MailOutbox, notes: list[Notification], site: MailSite) -> None:
    """Write an immediate email from its notifications, once; retries send the same text."""
    if len(notes) == 1:
        written = write_notification(session, notes[0], row.kind, site)
    else:
        written = write_notifications(session, notes, row.kind, site)
    row.subject, row.text_body, row.html_body = written.subject[:300], written.text, written.html
    row.unsubscribe_url = written.unsubscribe


def send_due(app: Flask | None = None, now: datetime | None = None) -> int:
    """Send every due outbox row; returns how many emails were delivered.

    Per batch, two transactions however many emails: the claim, and one that records what was sent (and
    folds or drops the rows that need no email of their own). The emails are written and sent between them
    holding no write lock; a crash before the second commit sends that batch again once its claim runs out
    (a rare duplicate, never a loss).
    """
    app = app or current_app._get_current_object()
    config = app.config
    site = MailSite.from_config(config)
    delay = float(config["MAIL_NOTIFY_DELAY_SECONDS"])
    sent = 0
    with app.app_context():
        while True:
            with so.Session(db.engine, expire_on_commit=False) as session, session.no_autoflush:
                ids = _claim(session, now or utcnow(), delay)
                if not ids:
                    return sent
                emails, unneeded = _batch(session, ids, site)
                # End the reading transaction before talking to the mail server: on SQLite every transaction
                # begins IMMEDIATE, holding the write lock the posts need. The rows keep their changes.
                session.expunge_all()
                session.rollback()
                for email in emails:
                    try:
                        deliver(build_message(email.row, config["MAIL_FROM"]), config)
                    except Exception as exc:  # noqa: BLE001  (any failure is retried: nothing may be lost)
                        email.error = exc
                done = now or utcnow()
                session.add_all([email.row for email in emails] + [r for e in emails for r in e.folded] + unneeded)
                for email in emails:
                    if email.error is None:
                        email.row.sent_at = done
                        email.row.attempts += 1
                        sent += 1
                    else:
                        _failed(email.row, email.error, done, base=config["MAIL_RETRY_SECONDS"])
                    for row in email.folded:
                        session.delete(row)  # its notification is in the email above
                for row in unneeded:
                    session.delete(row)
                session.commit()
            if len(ids) < BATCH:
                return sent


def _failed(row: MailOutbox, exc: Exception, now: datetime, base: float) -> None:
    row.attempts += 1
    row.last_error = f"{type(exc).__name__}: {exc}"[:500]
    if isinstance(exc, smtplib.SMTPRecipientsRefused):  # the address is refused for good
        row.failed = True
        current_app.logger.error("email %s to %s refused for good: %s", row.id, row.to_addr, row.last_error)
    else:
        row.next_attempt_at = now + timedelta(seconds=backoff(row.attempts, base))
        current_app.logger.warning(
            "email %s to %s failed (attempt %s), retrying at %s: %s",
            row.id,
            row.to_addr,
            row.attempts,
            row.next_attempt_at.isoformat(),
            row.last_error,
        )


def pending(app: Flask | None = None) -> int:
    """How many emails are not yet delivered (and not given up)."""
    app = app or current_app._get_current_object()
    with app.app_context(), so.Session(db.engine) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(MailOutbox).where(_unsent()))


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
        self.start()

    def start(self) -> None:
        """Start the thread if it is not running."""
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
        """Sleep until the earliest row is due (a retry, or an email about a post at the end of its wait), at
        most `poll` seconds."""
        delay = float(self.app.config["MAIL_NOTIFY_DELAY_SECONDS"])
        now = utcnow()
        try:
            with self.app.app_context(), so.Session(db.engine) as session:
                held = _held(now, delay)
                released = session.scalar(sa.select(sa.func.min(MailOutbox.next_attempt_at)).where(_unsent(), ~held))
                waiting = session.scalar(sa.select(sa.func.min(MailOutbox.created_at)).where(_unsent(), held))
        except Exception:  # noqa: BLE001  (the database may be briefly away: poll as usual)
            return poll
        times = [_aware(released)] if released else []
        if waiting:
            times.append(_aware(waiting) + timedelta(seconds=delay))
        if not times:
            return poll
        return max(0.05, min(poll, (min(times) - now).total_seconds()))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


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


def wake(delayed: bool = False) -> None:
    """Ask the sender to look at the outbox now (after each commit that queued mail).

    `delayed`: only emails about posts were queued. They wait MAIL_NOTIFY_DELAY_SECONDS, so the sender is
    not woken for each post (at 100 posts a second that alone was a query storm); it wakes up when the
    earliest is due, or at its next poll for one queued while it slept.
    """
    app = current_app._get_current_object()
    if app.config.get("MAIL_SYNC"):
        try:
            send_due(app)
        except Exception:
            app.logger.exception("mail sending failed; the outbox keeps the rows")
        return
    sender = sender_for(app)
    if delayed and float(app.config["MAIL_NOTIFY_DELAY_SECONDS"]) > 0:
        sender.start()
    else:
        sender.wake()
