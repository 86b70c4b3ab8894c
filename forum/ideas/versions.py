"""Versions of what the page caches hold: a counter per set of rows, bumped after every change to it.

The idea list's version changes whenever an idea changes in a way a list row shows (posted, edited,
deleted, commented on, endorsed, moved to another status, renamed category). The list page's cache
(forum/ideas/cache.py) keys its entries on it, so every process serves a fresh list the moment any
process commits a change: the counter is a database row, read once per list view. The directory's
version (offices, people, category owners, holidays) keys the idea page's follow-up and lifecycle panels.

On PostgreSQL the bump runs after the commit, in its own short transaction: inside the change's
transaction the counter row would be locked until that commit, serialising every writer behind it. A
reader that sees the new counter also sees the committed change; one that read the old counter may
cache the newer rows under the old key, which is harmless. A process that dies between the commit and
the bump leaves the list stale for at most the cache's time-to-live. On SQLite every write transaction
already holds the one database lock, so the bump is part of the change's own transaction: no second
transaction per post, and the change and its new version commit (or roll back) together.
"""

from __future__ import annotations

import sqlalchemy as sa

from forum.effects import after_commit_once
from forum.extensions import db
from forum.models import CacheVersion, Idea

IDEA_LIST = "idea_list"
_BUMPED = "forum_idea_list_bumped"  # session.info: the transaction that already bumped the list (SQLite)
# The office tree, the people in it (names, roles, offices, status), the categories' owners and the
# holidays: what the idea page's follow-up and lifecycle panels read besides the idea itself.
DIRECTORY = "directory"
# Built once: every post bumps the list (building the statement anew cost about as much as running it).
_VERSIONS = CacheVersion.__table__
_BUMP = sa.update(_VERSIONS).where(_VERSIONS.c.name == sa.bindparam("bump_name")).values(value=_VERSIONS.c.value + 1)
_FIRST = sa.insert(_VERSIONS).values(name=sa.bindparam("bump_name"), value=1)


def version(name: str = IDEA_LIST) -> int:
    """The current version of `name` (0 before its first change)."""
    return db.session.scalar(sa.select(CacheVersion.value).where(CacheVersion.name == name)) or 0


def version_of(name: str) -> sa.ScalarSelect:
    """`version(name)` as a subquery, to read it in the same statement as something else."""
    value = sa.select(CacheVersion.value).where(CacheVersion.name == name).scalar_subquery()
    return sa.func.coalesce(value, 0)


def idea_list_changed() -> None:
    """The idea list has a new version once this transaction commits (one bump per transaction)."""
    if db.session.get_bind().dialect.name != "sqlite":
        after_commit_once(_bump, IDEA_LIST)
        return
    session = db.session()  # the scoped session's current Session
    transaction = session.get_transaction()
    if session.info.get(_BUMPED) is not transaction:
        session.info[_BUMPED] = transaction
        _bump_in(session.connection(), IDEA_LIST)


def idea_changed(idea: Idea) -> None:
    """Bump the idea's version (it keys the rendered-page cache) in SQL, so concurrent changes on PostgreSQL
    each get their own number instead of overwriting one another; the idea list changes with it."""
    idea.version = Idea.version + 1
    idea_list_changed()


def directory_changed() -> None:
    """Queue: once this transaction commits, the directory (offices, people, category owners, holidays) changed."""
    after_commit_once(_bump, DIRECTORY)


def _bump(name: str) -> None:
    with db.engine.begin() as connection:
        _bump_in(connection, name)


def _bump_in(connection: sa.Connection, name: str) -> None:
    if not connection.execute(_BUMP, {"bump_name": name}).rowcount:
        connection.execute(_FIRST, {"bump_name": name})  # a database made with create_all(), not the migration
