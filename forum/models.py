"""Every table of the forum: the schema at a glance."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from forum.extensions import db

ROLES = ("officer", "senior", "staff", "admin")
IDEA_STATUSES = ("open", "under_review", "piloting", "implemented", "replicated", "closed")
# Why a closed idea was closed (SPEC section 7).
CLOSED_REASONS = ("declined", "duplicate", "withdrawn")
# Where another office's adoption of an idea stands.
ADOPTION_STATUSES = ("started", "running", "dropped")
# The two follow-up clocks (SPEC section 7): no senior answer yet; answered but not decided in time.
FLAG_KINDS = ("unanswered", "stalled")
USER_STATUSES = ("pending", "active", "deactivated")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """Stores naive UTC, returns aware UTC: SQLite keeps no offset, the API needs one."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


def render_migration_item(type_, obj, autogen_context):
    """Alembic: write UTCDateTime as a plain DateTime, so revisions do not import the app."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


class Office(db.Model):
    """A node of the office tree (Cabinet Division > Ministry > ... > Upazila)."""

    __tablename__ = "offices"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    parent_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("offices.id"), index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    parent: so.Mapped[Office | None] = so.relationship(remote_side=[id], back_populates="children")
    children: so.Mapped[list[Office]] = so.relationship(back_populates="parent", order_by="Office.name")
    users: so.WriteOnlyMapped[User] = so.relationship(back_populates="office")

    def ancestors(self) -> list[Office]:
        """Offices above this one, nearest first."""
        chain, node, seen = [], self.parent, {self.id}
        while node is not None and node.id not in seen:
            chain.append(node)
            seen.add(node.id)
            node = node.parent
        return chain

    def __repr__(self) -> str:
        return f"<Office {self.code}>"


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(256))
    role: so.Mapped[str] = so.mapped_column(sa.String(16), default="officer")
    office_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("offices.id"), index=True)
    # pending (signed up, awaiting an admin), active, deactivated.
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="active")
    designation: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    locale: so.Mapped[str | None] = so.mapped_column(sa.String(8))
    # "bangla" or "latin" digits in numbers and dates; None: Bangla digits while reading in Bangla.
    digits: so.Mapped[str | None] = so.mapped_column(sa.String(8))
    # IANA zone every date is shown in (profile setting).
    timezone: so.Mapped[str] = so.mapped_column(sa.String(64), default="Asia/Dhaka", server_default="Asia/Dhaka")
    # Bumped on logout and deactivation so that old sessions and sockets stop working.
    session_version: so.Mapped[int] = so.mapped_column(default=1)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    office: so.Mapped[Office] = so.relationship(back_populates="users")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        # The version makes a logout everywhere (or a deactivation) void every old session.
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @property
    def is_senior(self) -> bool:
        return self.role == "senior"

    @property
    def is_staff(self) -> bool:
        return self.role in ("staff", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(100), default="api")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    last_used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    revoked_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    user: so.Mapped[User] = so.relationship()


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


class SearchOutbox(db.Model):
    """Documents whose index entry must be refreshed; written in the same transaction
    as the change, so a crash between commit and indexing heals on the next run."""

    __tablename__ = "search_outbox"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    doc_type: so.Mapped[str] = so.mapped_column(sa.String(16))  # "idea" or "comment"
    doc_id: so.Mapped[int] = so.mapped_column()
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


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


class JobLease(db.Model):
    """A named lease so that only one process runs a scheduled job at a time."""

    __tablename__ = "job_leases"
    name: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    holder: so.Mapped[str] = so.mapped_column(sa.String(128))
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)


class CacheVersion(db.Model):
    """A counter that names the current state of a set of rows for the page caches (see forum/ideas/cache.py)."""

    __tablename__ = "cache_versions"
    name: so.Mapped[str] = so.mapped_column(sa.String(32), primary_key=True)
    value: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)


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


class SavedSearch(db.Model):
    """A user's saved query and filters; with notify, new matching ideas and comments notify its owner."""

    __tablename__ = "saved_searches"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    q: so.Mapped[str] = so.mapped_column(sa.String(500))
    # {"author"?, "office"?, "category"?}: as the search page and API take them.
    filters: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    notify: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    user: so.Mapped[User] = so.relationship()


class SavedSearchTerm(db.Model):
    """One index term of a saved search that notifies: a new post is tested only against the saved
    searches sharing a term with it, never against all of them."""

    __tablename__ = "saved_search_terms"
    saved_search_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("saved_searches.id", ondelete="CASCADE"), primary_key=True
    )
    term: so.Mapped[str] = so.mapped_column(sa.String(200), primary_key=True, index=True)
