"""Database-specific statements the follow-up writers share: upserts, local days, the flag lock."""

from __future__ import annotations

from datetime import date, tzinfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from forum.extensions import db
from forum.followup.calendar import offset_periods

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


def local_day(column, tz: tzinfo, first: date, last: date):
    """The local calendar day (zone `tz`) of a UTCDateTime column as 'YYYY-MM-DD' text, on either database,
    exact for values between the days `first` and `last`.

    SQLite knows no zones, and PostgreSQL's own tz database may differ from Python's: both databases get
    the same CASE over the zone's offset periods (calendar.offset_periods, from Python's zoneinfo), so
    they agree with each other and with the Python clocks. Offsets are integers rendered inline (no
    bound parameters), so the expression compares equal to itself in GROUP BY on PostgreSQL.
    """
    postgres = dialect() == "postgresql"

    def shifted(seconds: int):
        if postgres:
            return sa.func.to_char(column + sa.literal_column(f"INTERVAL '{int(seconds)} seconds'"), "YYYY-MM-DD")
        return sa.func.date(column, sa.literal_column(f"'{int(seconds):+d} seconds'"))

    periods = offset_periods(tz, first, last)
    if len(periods) == 1:
        return shifted(periods[0][1])
    # Stored values are naive UTC: compare them with naive UTC literals in the databases' own text form.
    whens = [
        (column < sa.literal_column(f"'{until.replace(tzinfo=None):%Y-%m-%d %H:%M:%S}'"), shifted(seconds))
        for until, seconds in periods[:-1]
    ]
    return sa.case(*whens, else_=shifted(periods[-1][1]))


def lock_flags() -> None:
    """Serialise the writers of flags (scans and staff changes): PostgreSQL takes a transaction advisory
    lock; SQLite's BEGIN IMMEDIATE (forum/__init__.py) already holds the write lock for the transaction."""
    if dialect() == "postgresql":
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_FLAG_LOCK})
    else:
        # Any statement starts the BEGIN IMMEDIATE transaction, which waits for other writers.
        db.session.execute(sa.select(sa.literal(1)))
