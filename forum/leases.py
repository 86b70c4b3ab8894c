"""Job leases: of several processes, at most one runs a scheduled job (the follow-up scan, the mail digests).

Shared by forum/followup/scheduler.py and forum/mail/scheduler.py, the two schedulers that take one.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from forum.extensions import db
from forum.models import JobLease


def _insert(table: sa.Table):
    """INSERT with ON CONFLICT support on both databases."""
    return postgresql.insert(table) if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert(table)


def acquire_lease(name: str, holder: str, now: datetime, seconds: float) -> bool:
    """Take or renew a named lease until now + seconds; False while another holder's lease runs.

    Both steps are single atomic statements, so of several processes at most one gets it.
    """
    until = now + timedelta(seconds=seconds)
    taken = db.session.execute(
        sa.update(JobLease)
        .where(JobLease.name == name, sa.or_(JobLease.expires_at <= now, JobLease.holder == holder))
        .values(holder=holder, expires_at=until)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken:
        return True
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT that DO NOTHING skipped.
    leases = JobLease.__table__
    inserted = db.session.execute(
        _insert(leases)
        .values(name=name, holder=holder, expires_at=until)
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(leases.c.name)
    ).first()
    return inserted is not None
