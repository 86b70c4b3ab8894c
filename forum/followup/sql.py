"""Database-specific statements the follow-up writers share: upserts, day truncation, the flag lock."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from forum.extensions import db

_PG_FLAG_LOCK = 0x5F01_0A11  # pg_advisory_xact_lock key: one writer of flags at a time


def dialect() -> str:
    """The name of the database the session talks to."""
    return db.session.get_bind().dialect.name


def upsert(table: sa.Table):
    """INSERT with ON CONFLICT support on both databases."""
    return postgresql.insert(table) if dialect() == "postgresql" else sqlite.insert(table)


def utc_day(column):
    """The UTC calendar day of a UTCDateTime column as 'YYYY-MM-DD' text, on either database."""
    if dialect() == "postgresql":
        return sa.func.to_char(column, "YYYY-MM-DD")
    return sa.func.date(column)  # SQLite stores naive UTC text


def lock_flags() -> None:
    """Serialise the writers of flags (scans and staff changes): PostgreSQL takes a transaction advisory
    lock; SQLite's BEGIN IMMEDIATE (forum/__init__.py) already holds the write lock for the transaction."""
    if dialect() == "postgresql":
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_FLAG_LOCK})
    else:
        # Any statement starts the BEGIN IMMEDIATE transaction, which waits for other writers.
        db.session.execute(sa.select(sa.literal(1)))
