"""An idea's lifecycle: its status history and other offices' adoptions."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.extensions import db
from forum.models.accounts import Office, User
from forum.models.ideas import Idea
from forum.models.types import UTCDateTime, utcnow

# Where another office's adoption of an idea stands.
ADOPTION_STATUSES = ("started", "running", "dropped")


class IdeaStatusChange(db.Model):
    """One move of an idea through its lifecycle: the idea's history, shown as a timeline."""

    __tablename__ = "idea_status_history"
    __table_args__ = (sa.Index("ix_idea_status_history_idea_at", "idea_id", "at"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    idea_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("ideas.id"))
    status: so.Mapped[str] = so.mapped_column(sa.String(16), index=True)
    reason: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    duplicate_of_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("ideas.id"))
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # None for moves the system made (the migration that started the history).
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    actor: so.Mapped[User | None] = so.relationship()
    duplicate_of: so.Mapped[Idea | None] = so.relationship(foreign_keys=[duplicate_of_id])


class Adoption(db.Model):
    """Another office taking up an implemented idea: started, running or dropped."""

    __tablename__ = "idea_adoptions"
    __table_args__ = (sa.UniqueConstraint("idea_id", "office_id", name="uq_idea_adoptions_idea_office"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    idea_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("ideas.id"), index=True)
    office_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("offices.id"), index=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="started")
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    idea: so.Mapped[Idea] = so.relationship()
    office: so.Mapped[Office] = so.relationship()
    created_by: so.Mapped[User] = so.relationship()
