"""Bookkeeping rows of the running system: job leases and the page caches' version counters."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.extensions import db
from forum.models.types import UTCDateTime


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
