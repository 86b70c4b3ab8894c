"""The follow-up rules, written once: who is responsible, the office tree, the working-day schedule.

The scan (scan.py), the idea page's "waiting on" panel (waiting.py) and the report (report.py) all
read them from here (docs/followup.md has the long form):

- Tracked ideas: status "open", not deleted, posted by a user who is not senior.
- Answered: Idea.first_response_at is set (a senior user commented) at or before `now`.
- Responsible office (level 0): the office that owns the idea's category if it has one,
  else the parent of the idea's office, else the idea's office itself (a root office).
- Working days, weekends, holidays and deadlines are local to FOLLOWUP_TIMEZONE (calendar.py).
- Flagged (level 0) when still unanswered at the end of the FOLLOWUP_RESPONSE_DAYS-th working
  day after the day it was posted; escalated one office up for every further
  FOLLOWUP_ESCALATE_DAYS working days, stopping at the root of the tree.
- A flag a person reassigned or escalated follows its own clock: one office up every
  FOLLOWUP_ESCALATE_DAYS working days after it reached its office.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from forum.extensions import db
from forum.followup.calendar import DEFAULT_ZONE, WorkCalendar, parse_weekend, parse_zone
from forum.models import Category, Flag, FlagEvent, Holiday, Idea, Office, User

# Flag events written by a person (not the scan) that take a flag off the posting-day schedule.
MANUAL_ACTIONS = ("assigned", "escalated")


@dataclass(frozen=True)
class Rules:
    """The follow-up settings of SPEC section 3."""

    response_days: int
    escalate_days: int
    weekend: frozenset[int]
    timezone: str = DEFAULT_ZONE  # FOLLOWUP_TIMEZONE: the zone whose local days the clocks count

    @property
    def tz(self) -> ZoneInfo:
        return parse_zone(self.timezone)

    @classmethod
    def from_config(cls, config: Mapping) -> Rules:
        """Read once at the edge (a view, the CLI, the scheduler) from the app's config."""
        return cls(
            response_days=int(config["FOLLOWUP_RESPONSE_DAYS"]),
            escalate_days=max(1, int(config["FOLLOWUP_ESCALATE_DAYS"])),
            weekend=parse_weekend(config["FOLLOWUP_WEEKEND"]),
            timezone=parse_zone(config.get("FOLLOWUP_TIMEZONE")).key,
        )


def load_calendar(rules: Rules) -> WorkCalendar:
    """The working-day calendar in the follow-up zone, with the holidays (local dates) kept by admins."""
    return WorkCalendar(rules.weekend, db.session.scalars(sa.select(Holiday.day)), rules.tz)


def tracked_condition(now: datetime) -> sa.ColumnElement[bool]:
    """SQL: the ideas the follow-up clock runs on as of `now` (needs Idea joined to its author)."""
    return sa.and_(
        Idea.status == "open",
        Idea.deleted_at.is_(None),
        sa.or_(Idea.first_response_at.is_(None), Idea.first_response_at > now),
        User.role != "senior",
    )


def is_tracked(idea: Idea) -> bool:
    """Python: the same rule as tracked_condition, for one loaded idea (answered or not)."""
    return idea.status == "open" and not idea.is_deleted and not idea.author.is_senior


def responsible_office_id(category_office_id: int | None, idea_office_id: int, parent_of: Callable) -> int:
    """Level-0 office: the category's owner, else the parent of the idea's office, else that office."""
    if category_office_id is not None:
        return category_office_id
    parent = parent_of(idea_office_id)
    return parent if parent is not None else idea_office_id


def responsible_office_column() -> sa.ColumnElement[int]:
    """SQL: the same rule as responsible_office_id (needs Idea joined to Category and to its Office)."""
    return sa.func.coalesce(Category.office_id, Office.parent_id, Office.id)


class OfficeTree:
    """The office tree as parent links: who is responsible, and the escalation chain."""

    def __init__(self, parent_of: Callable[[int], int | None]) -> None:
        self.parent_of = parent_of
        self._chains: dict[int, list[int]] = {}

    @classmethod
    def load(cls) -> OfficeTree:
        """A snapshot of the whole tree in one query, for the scan and the report."""
        parents = {
            office_id: parent_id for office_id, parent_id in db.session.execute(sa.select(Office.id, Office.parent_id))
        }
        return cls(parents.get)

    @classmethod
    def lazy(cls) -> OfficeTree:
        """Reads only the offices asked about (the session caches them), for one idea's page."""

        def parent_of(office_id: int) -> int | None:
            office = db.session.get(Office, office_id)
            return office.parent_id if office is not None else None

        return cls(parent_of)

    def responsible(self, category_office_id: int | None, idea_office_id: int) -> int:
        """Level-0 office of an idea (see responsible_office_id)."""
        return responsible_office_id(category_office_id, idea_office_id, self.parent_of)

    def chain(self, office_id: int) -> list[int]:
        """The office, then each office above it up to the root (cycle-safe)."""
        if office_id not in self._chains:
            chain, node = [], office_id
            while node is not None and node not in chain:
                chain.append(node)
                node = self.parent_of(node)
            self._chains[office_id] = chain
        return self._chains[office_id]


class Schedule:
    """Due moments per level, computed once per distinct local creation day (not per idea)."""

    def __init__(self, rules: Rules, calendar: WorkCalendar):
        self.rules, self.calendar = rules, calendar
        self._dues: dict[date, list[datetime]] = {}

    def due(self, created_at: datetime, level: int) -> datetime:
        """When an unanswered idea posted at created_at reaches `level` (0 = flagged)."""
        return self.due_on_day(self.calendar.local_date(created_at), level)

    def due_on_day(self, day: date, level: int) -> datetime:
        """When an unanswered idea posted on local day `day` reaches `level` (the scan groups by day)."""
        dues = self._dues.setdefault(day, [])
        while len(dues) <= level:
            working_days = self.rules.response_days + len(dues) * self.rules.escalate_days
            dues.append(self.calendar.due_on_day(day, working_days))
        return dues[level]

    def level_at(self, day: date, max_level: int, now: datetime) -> int | None:
        """The level due at `now` (capped at max_level) for an idea posted on local day `day`, or None."""
        level = None
        for candidate in range(max_level + 1):
            if self.due_on_day(day, candidate) > now:
                break
            level = candidate
        return level

    def own_clock_due(self, since: datetime) -> datetime:
        """When a flag changed by hand, at its level since `since`, next escalates."""
        # A level reached at a deadline (midnight) belongs to the day that just ended, as in the posting-day
        # schedule: level k+1 is due escalate_days working days after the day level k fell due.
        return self.calendar.due_at(since - timedelta(microseconds=1), self.rules.escalate_days)


def changed_by_hand_condition() -> sa.ColumnElement[bool]:
    """SQL: a person (not the scan) reassigned or escalated the flag at some point."""
    events = FlagEvent.__table__
    # An uncorrelated IN (subquery): the databases build the (small) set once instead of probing the
    # events per flag, which cost ~0.3 s per scan over 64,000 open flags on SQLite.
    by_hand = sa.select(events.c.flag_id).where(events.c.actor_id.is_not(None), events.c.action.in_(MANUAL_ACTIONS))
    return Flag.__table__.c.id.in_(by_hand)


def changed_by_hand(flag: Flag) -> bool:
    """Whether a person reassigned or escalated this flag (it then follows its own escalation clock)."""
    query = sa.select(FlagEvent.id).where(
        FlagEvent.flag_id == flag.id, FlagEvent.actor_id.is_not(None), FlagEvent.action.in_(MANUAL_ACTIONS)
    )
    return db.session.scalar(query.limit(1)) is not None
