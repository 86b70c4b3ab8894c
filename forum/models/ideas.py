"""Ideas and their threads: categories, tags, comments, endorsements, follows and @mentions."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.extensions import db
from forum.models.accounts import Office, User
from forum.models.types import UTCDateTime, utcnow

IDEA_STATUSES = ("open", "under_review", "piloting", "implemented", "replicated", "closed")
# Why a closed idea was closed (SPEC section 7).
CLOSED_REASONS = ("declined", "duplicate", "withdrawn")


class Category(db.Model):
    __tablename__ = "categories"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(100), unique=True)
    # The office that owns the category; follow-up may assign flags to it.
    office_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("offices.id"), index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    office: so.Mapped[Office | None] = so.relationship()


idea_tags = sa.Table(
    "idea_tags",
    db.metadata,
    sa.Column("idea_id", sa.ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class Tag(db.Model):
    __tablename__ = "tags"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(40), unique=True)


class Idea(db.Model):
    __tablename__ = "ideas"
    __table_args__ = (sa.Index("ix_ideas_status_created", "status", "created_at"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # Tracking reference such as PSI-2026-000123, set right after the insert.
    reference: so.Mapped[str | None] = so.mapped_column(sa.String(32), unique=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    # Sanitised HTML, rendered once on write so that reads never run Markdown.
    body_html: so.Mapped[str] = so.mapped_column(sa.Text)
    category_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("categories.id"), index=True)
    # The author's office when the idea was posted.
    office_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("offices.id"), index=True)
    author_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="open")
    # Set while the status is "closed": declined, duplicate or withdrawn.
    closed_reason: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    duplicate_of_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("ideas.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)
    edited_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    deleted_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # Time of the first comment by a senior user: the idea is "answered" from then on.
    first_response_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime, index=True)
    comment_count: so.Mapped[int] = so.mapped_column(default=0)
    endorsement_count: so.Mapped[int] = so.mapped_column(default=0)
    # Bumped on every change to the idea or its thread; keys the rendered-thread cache.
    version: so.Mapped[int] = so.mapped_column(default=1)

    category: so.Mapped[Category] = so.relationship()
    office: so.Mapped[Office] = so.relationship()
    author: so.Mapped[User] = so.relationship()
    tags: so.Mapped[list[Tag]] = so.relationship(secondary=idea_tags, order_by="Tag.name")
    duplicate_of: so.Mapped[Idea | None] = so.relationship(remote_side=[id])
    comments: so.WriteOnlyMapped[Comment] = so.relationship(back_populates="idea")

    @property
    def answered(self) -> bool:
        """The follow-up clock stopped: a senior whose reply counts (FOLLOWUP_ANSWER_SCOPE) commented."""
        return self.first_response_at is not None

    @property
    def responded(self) -> bool:
        """SPEC section 3: true once any senior has replied, even one whose office is not responsible."""
        return self.first_response_at is not None or bool(self.has_official_reply)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Comment(db.Model):
    __tablename__ = "comments"
    __table_args__ = (sa.Index("ix_comments_idea_created", "idea_id", "created_at"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    idea_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("ideas.id"))
    parent_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("comments.id"), index=True)
    author_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    body_html: so.Mapped[str] = so.mapped_column(sa.Text)
    # True when the author was a senior user at the time of posting: an official response.
    official: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    edited_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    deleted_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    idea: so.Mapped[Idea] = so.relationship(back_populates="comments")
    author: so.Mapped[User] = so.relationship()
    parent: so.Mapped[Comment | None] = so.relationship(remote_side=[id])

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


# Loaded with the idea as one EXISTS (no query of its own): any official reply, counted for the clock or not.
Idea.has_official_reply = so.column_property(
    sa.exists().where(Comment.idea_id == Idea.id, Comment.official.is_(True)).correlate_except(Comment)
)


class Endorsement(db.Model):
    __tablename__ = "endorsements"
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    idea_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("ideas.id"), primary_key=True, index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class Follow(db.Model):
    """A user's subscription to an idea's activity."""

    __tablename__ = "follows"
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    idea_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("ideas.id"), primary_key=True, index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class Mention(db.Model):
    """Someone named with @ in an idea or a comment; on a waiting idea, a senior mentioned is 'asked'."""

    __tablename__ = "mentions"
    __table_args__ = (sa.Index("ix_mentions_idea_user", "idea_id", "user_id"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    idea_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("ideas.id"))
    # None when the mention is in the idea's own text.
    comment_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("comments.id"))
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    author_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    user: so.Mapped[User] = so.relationship(foreign_keys=[user_id])
    author: so.Mapped[User] = so.relationship(foreign_keys=[author_id])
