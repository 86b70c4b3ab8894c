"""Who uses the forum: the office tree, users and their API tokens."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from forum.extensions import db
from forum.models.types import UTCDateTime, utcnow

ROLES = ("officer", "senior", "staff", "admin")
USER_STATUSES = ("pending", "active", "deactivated")


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
