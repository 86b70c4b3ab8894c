"""Follow-up test helpers: a fixed calendar, posting at a given moment, running the scan, reading flags."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from forum.extensions import db
from forum.followup.calendar import parse_weekend
from forum.followup.rules import Rules
from forum.ideas import service as ideas
from forum.models import Flag, Notification

ROOT = Path(__file__).resolve().parent.parent.parent
DHAKA = ZoneInfo("Asia/Dhaka")  # FOLLOWUP_TIMEZONE's default: deadlines are Dhaka midnights (18:00 UTC)
# Sunday 6 December 2026 (16:00 in Dhaka), a working day under the default Friday-Saturday weekend. With 7
# working days to respond and 7 more per escalation: flagged at the end of Tue 15 Dec, escalated at the end
# of Thu 24 Dec and at the end of Mon 4 Jan 2027 (the weekends 11-12, 18-19, 25-26 Dec and 1-2 Jan do not
# count), each end being midnight in Dhaka.
POSTED = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
FLAG_DUE = datetime(2026, 12, 16, tzinfo=DHAKA)
LEVEL1_DUE = datetime(2026, 12, 25, tzinfo=DHAKA)
LEVEL2_DUE = datetime(2027, 1, 5, tzinfo=DHAKA)
SECOND = timedelta(seconds=1)
RULES = Rules(response_days=7, escalate_days=7, weekend=parse_weekend("fri,sat"))  # the defaults

# A flag changed by hand leaves the posting-day schedule: it escalates one office up from where staff put it,
# FOLLOWUP_ESCALATE_DAYS working days after that change (its level_since), and the scan never moves it down.
MANUAL_AT = datetime(2026, 12, 17, 9, 0, tzinfo=UTC)  # Thursday, the day after the flag was raised
# 7 working days after Thu 17 Dec (Fri-Sat weekends): Sun 20 ... Thu 24, Sun 27, Mon 28: due at the end of Mon 28.
OWN_CLOCK_DUE = datetime(2026, 12, 29, tzinfo=DHAKA)


def post(author, category, created_at=POSTED, title="Mobile courts for land disputes"):
    """An idea by `author` in `category`, dated `created_at`."""
    idea = ideas.create_idea(author, title, "Some *text*.", category.id)
    idea.created_at = created_at
    db.session.commit()
    return idea


def run_scan(runner, now):
    """`flask followup scan --now NOW`; its one-line summary."""
    result = runner.invoke(args=["followup", "scan", "--now", now.isoformat()])
    assert result.exit_code == 0, result.output
    return result.output


def flag_of(idea, kind="unanswered"):
    """The idea's flag of that kind (clock) as the database has it now (or None)."""
    db.session.expire_all()
    return db.session.scalar(sa.select(Flag).where(Flag.idea_id == idea.id, Flag.kind == kind))


def notes(user, kind=None):
    """The user's notifications, oldest first, optionally of one kind."""
    query = sa.select(Notification).where(Notification.user_id == user.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return db.session.scalars(query.order_by(Notification.id)).all()


def events_of(flag):
    """The flag's audit trail as (action, level, office code, actor name, note) tuples."""
    return [(e.action, e.level, e.office.code, e.actor.name if e.actor else None, e.note) for e in flag.events]
