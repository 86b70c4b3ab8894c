"""Email: each user's preferences and the outbox the sender delivers from."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.extensions import db
from forum.models.types import UTCDateTime, utcnow


class EmailPreference(db.Model):
    """How often a user wants each kind of email; no row means the defaults."""

    __tablename__ = "email_preferences"
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    mention: so.Mapped[str] = so.mapped_column(sa.String(16), default="immediate")
    reply: so.Mapped[str] = so.mapped_column(sa.String(16), default="immediate")
    official_reply: so.Mapped[str] = so.mapped_column(sa.String(16), default="immediate")
    flag: so.Mapped[str] = so.mapped_column(sa.String(16), default="immediate")
    digest: so.Mapped[str] = so.mapped_column(sa.String(16), default="weekly")


class MailOutbox(db.Model):
    """An email to send, written in the same transaction as its cause; the sender retries until delivered."""

    __tablename__ = "mail_outbox"
    __table_args__ = (sa.Index("ix_mail_outbox_due", "sent_at", "next_attempt_at"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    # mention, reply, official_reply, flag, digest, summary
    kind: so.Mapped[str] = so.mapped_column(sa.String(32))
    # Set for scheduled mail ("digest:weekly:2026-11-29:42"): a second run of the same week adds nothing.
    dedupe_key: so.Mapped[str | None] = so.mapped_column(sa.String(120), unique=True)
    # An immediate email is written by the sender from its notification (the post only adds this row);
    # once written, subject and bodies are kept so that every retry sends the same message.
    notification_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("notifications.id"))
    to_addr: so.Mapped[str] = so.mapped_column(sa.String(254))
    subject: so.Mapped[str | None] = so.mapped_column(sa.String(300))
    text_body: so.Mapped[str | None] = so.mapped_column(sa.Text)
    html_body: so.Mapped[str | None] = so.mapped_column(sa.Text)
    unsubscribe_url: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    # A sender claims a row by moving this forward; a crashed sender's claim simply runs out.
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    sent_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # True once the server refused it for good (bad address): kept for the record, never retried.
    failed: so.Mapped[bool] = so.mapped_column(default=False)
    last_error: so.Mapped[str | None] = so.mapped_column(sa.String(500))
