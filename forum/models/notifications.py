"""A user's notifications, stored for when they come back and also sent live."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.extensions import db
from forum.models.accounts import User
from forum.models.ideas import Idea
from forum.models.types import UTCDateTime, utcnow


class Notification(db.Model):
    """Stored so that nothing is lost while the user is offline; also sent live."""

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_read", "user_id", "read_at"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    kind: so.Mapped[str] = so.mapped_column(sa.String(32))
    idea_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("ideas.id"))
    comment_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("comments.id"))
    text: so.Mapped[str] = so.mapped_column(sa.String(500))
    # What the sentence says beyond the idea and comment (an office, a level, a status): it is phrased
    # in the reader's language when shown (forum/notifications/text.py); `text` is the English fallback.
    params: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    read_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    user: so.Mapped[User] = so.relationship()
    idea: so.Mapped[Idea | None] = so.relationship()
