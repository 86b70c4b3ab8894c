"""Follow-up: flags on ideas waiting too long, their audit trail, and the holidays the clocks skip."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.extensions import db
from forum.models.accounts import Office, User
from forum.models.ideas import Idea
from forum.models.types import UTCDateTime, utcnow

# The two follow-up clocks (SPEC section 7): no senior answer yet; answered but not decided in time.
FLAG_KINDS = ("unanswered", "stalled")


class Flag(db.Model):
    """A follow-up flag: an idea no senior user answered in time (kind "unanswered"), or one answered but
    not decided in time (kind "stalled"). At most one of each kind per idea."""

    __tablename__ = "followup_flags"
    # Unique per kind: two scans racing cannot both flag the same idea for the same clock.
    __table_args__ = (sa.UniqueConstraint("idea_id", "kind", name="uq_followup_flags_idea_kind"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    idea_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("ideas.id"), index=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(16), default="unanswered", server_default="unanswered")
    reason: so.Mapped[str] = so.mapped_column(sa.String(300))
    level: so.Mapped[int] = so.mapped_column(default=0)
    assigned_office_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("offices.id"), index=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="open", index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    # When the flag reached its current level: the escalation clock runs from here.
    level_since: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    resolved_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    resolved_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    resolution_note: so.Mapped[str | None] = so.mapped_column(sa.Text)

    idea: so.Mapped[Idea] = so.relationship()
    assigned_office: so.Mapped[Office] = so.relationship()
    resolved_by: so.Mapped[User | None] = so.relationship()
    events: so.Mapped[list[FlagEvent]] = so.relationship(
        back_populates="flag", order_by="FlagEvent.id", cascade="all, delete-orphan"
    )


class FlagEvent(db.Model):
    """Audit trail of a flag: who did what, when."""

    __tablename__ = "followup_flag_events"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    flag_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("followup_flags.id"), index=True)
    # None when the scan (the system) did it.
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    action: so.Mapped[str] = so.mapped_column(sa.String(32))  # raised, escalated, resolved, assigned
    level: so.Mapped[int] = so.mapped_column(default=0)
    office_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("offices.id"))
    note: so.Mapped[str | None] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    flag: so.Mapped[Flag] = so.relationship(back_populates="events")
    actor: so.Mapped[User | None] = so.relationship()
    office: so.Mapped[Office | None] = so.relationship()


class Holiday(db.Model):
    """A public holiday: not a working day for the follow-up clocks."""

    __tablename__ = "holidays"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    day: so.Mapped[date] = so.mapped_column(sa.Date, unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
