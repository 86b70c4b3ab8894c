"""The impact report's SQL: the ideas the filters select, stage counts per month, the events of the range,
the most adopted ideas and the totals; grouped queries whatever the number of ideas (see report.py)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

import sqlalchemy as sa

from forum.extensions import db
from forum.followup.calendar import parse_zone, start_of_day
from forum.followup.rules import OfficeTree, responsible_office_column
from forum.followup.sql import local_day
from forum.impact.filters import Filters
from forum.lifecycle.service import DECIDED
from forum.models import IDEA_STATUSES, Adoption, Category, Idea, IdeaStatusChange, Office


@dataclass(frozen=True)
class LocalDays:
    """SQL for the local day and month (FOLLOWUP_TIMEZONE) of stored UTC moments, through the follow-up
    clock's own expression (followup.sql.local_day: exact between `first` and `last`)."""

    tz: tzinfo
    first: date
    last: date

    @classmethod
    def for_report(cls, filters: Filters, now: datetime) -> LocalDays:
        """Every moment the report reads falls after the oldest idea was posted and before now (or the
        range's end, if later)."""
        oldest = db.session.scalar(sa.select(sa.func.min(Idea.created_at))) or now
        return cls(parse_zone(filters.timezone), oldest.date(), max(now.date(), filters.until))

    def day(self, column):
        return local_day(column, self.tz, self.first, self.last)

    def month(self, column):
        return sa.func.substr(self.day(column), 1, 7)

    def start(self, day: date) -> datetime:
        """The UTC moment a local day starts."""
        return start_of_day(day, self.tz)


def office_subtree(tree: OfficeTree, code: str | None) -> list[int] | None:
    """Ids of the office named by `code` and every office below it (None: no office filter)."""
    if not code:
        return None
    top = db.session.scalar(sa.select(Office.id).where(Office.code == code))
    return [office_id for office_id in db.session.scalars(sa.select(Office.id)) if top in tree.chain(office_id)]


def idea_filter(filters: Filters, offices: list[int] | None) -> list:
    where = [Idea.deleted_at.is_(None)]
    if offices is not None:
        where.append(Idea.office_id.in_(offices))
    if filters.category is not None:
        where.append(Idea.category_id == filters.category)
    return where


def _months(filters: Filters) -> list[str]:
    months, day = [], filters.since.replace(day=1)
    while day < filters.until:
        months.append(f"{day:%Y-%m}")
        day = (day + timedelta(days=32)).replace(day=1)
    return months


def stages_over_time(filters: Filters, where: list, days: LocalDays) -> list[dict]:
    """Per month of the range, the number of ideas at each stage at the month's end (or the range's)."""
    h = IdeaStatusChange
    until = days.start(filters.until)
    # A status counts from the month it started until the month it was left: +1 then -1, summed in order.
    # Every history row starts its status (a plain GROUP BY); only the ideas that moved have rows that end
    # one, so the window (the status each move left) runs over those few, not over every idea's first row.
    starts = (
        sa.select(h.status, days.month(h.at).label("month"), sa.func.count().label("change"))
        .join(Idea, Idea.id == h.idea_id)
        .where(*where, h.at < until)
        .group_by(h.status, sa.literal_column("month"))
    )
    moved = sa.select(h.idea_id).group_by(h.idea_id).having(sa.func.count() > 1)
    left = sa.func.lag(h.status).over(partition_by=h.idea_id, order_by=(h.at, h.id))
    steps = (
        sa.select(left.label("status"), h.at.label("at"))
        .join(Idea, Idea.id == h.idea_id)
        .where(*where, h.at < until, h.idea_id.in_(moved))
        .subquery()
    )
    month = days.month(steps.c.at)
    stops = (
        sa.select(steps.c.status, month.label("month"), -sa.func.count())
        .where(steps.c.status.is_not(None))
        .group_by(steps.c.status, month)
    )
    rows = [*db.session.connection().execute(starts), *db.session.connection().execute(stops)]
    delta: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for status, month, change in rows:
        delta[month][status] += int(change)
    months = _months(filters)
    running = dict.fromkeys(IDEA_STATUSES, 0)
    for month in sorted(m for m in delta if m < months[0]):
        for status, change in delta[month].items():
            running[status] = running.get(status, 0) + change
    out = []
    for month in months:
        for status, change in delta.get(month, {}).items():
            running[status] = running.get(status, 0) + change
        out.append({"month": month, "stages": {s: running.get(s, 0) for s in IDEA_STATUSES}})
    return out


def events_in_range(filters: Filters, where: list, days: LocalDays) -> list:
    """Per idea with an answer, a decision or a first adoption in the range: its offices and event days."""
    h = IdeaStatusChange
    decided = (
        sa.select(h.idea_id, sa.func.min(h.at).label("at"))
        .where(h.status.in_(DECIDED), sa.or_(h.reason.is_(None), h.reason != "withdrawn"))
        .group_by(h.idea_id)
        .subquery()
    )
    implemented = (
        sa.select(h.idea_id, sa.func.min(h.at).label("at"))
        .where(h.status == "implemented")
        .group_by(h.idea_id)
        .subquery()
    )
    adopted = (
        sa.select(Adoption.idea_id, sa.func.min(Adoption.created_at).label("at"))
        .join(Idea, Idea.id == Adoption.idea_id)
        .where(Adoption.office_id != Idea.office_id)
        .group_by(Adoption.idea_id)
        .subquery()
    )
    low, high = days.start(filters.since), days.start(filters.until)

    def inside(column):
        return sa.and_(column >= low, column < high)

    # Straight through the connection: ORM row loading cost more than the query for 30,000 rows.
    return (
        db.session.connection()
        .execute(
            sa.select(
                responsible_office_column().label("responsible"),
                days.day(Idea.created_at).label("posted"),
                sa.case((inside(Idea.first_response_at), days.day(Idea.first_response_at))).label("answered"),
                days.day(Idea.first_response_at).label("first_answer"),
                sa.case((inside(decided.c.at), days.day(decided.c.at))).label("decided"),
                days.day(implemented.c.at).label("implemented"),
                sa.case((inside(adopted.c.at), days.day(adopted.c.at))).label("adopted"),
            )
            .join(Category, Category.id == Idea.category_id)
            .join(Office, Office.id == Idea.office_id)
            .outerjoin(decided, decided.c.idea_id == Idea.id)
            .outerjoin(implemented, implemented.c.idea_id == Idea.id)
            .outerjoin(adopted, adopted.c.idea_id == Idea.id)
            .where(*where, sa.or_(inside(Idea.first_response_at), inside(decided.c.at), inside(adopted.c.at)))
        )
        .all()
    )


def most_adopted(where: list, limit: int = 10) -> list[dict]:
    live = (
        sa.select(Adoption.idea_id, sa.func.count(sa.distinct(Adoption.office_id)).label("offices"))
        .where(Adoption.status != "dropped")
        .group_by(Adoption.idea_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Idea.id, Idea.reference, Idea.title, Idea.status, Office.name, live.c.offices)
        .join(live, live.c.idea_id == Idea.id)
        .join(Office, Office.id == Idea.office_id)
        .where(*where)
        .order_by(live.c.offices.desc(), Idea.id)
        .limit(limit)
    ).all()
    return [
        {"id": r[0], "reference": r[1], "title": r[2], "status": r[3], "office": r[4], "adopted_by": r[5]} for r in rows
    ]


def totals(filters: Filters, where: list, days: LocalDays) -> dict:
    low, high = days.start(filters.since), days.start(filters.until)
    posted = db.session.scalar(
        sa.select(sa.func.count(Idea.id)).where(*where, Idea.created_at >= low, Idea.created_at < high)
    )
    adoptions = db.session.scalar(
        sa.select(sa.func.count(Adoption.id))
        .join(Idea, Idea.id == Adoption.idea_id)
        .where(*where, Adoption.created_at >= low, Adoption.created_at < high)
    )
    return {"posted": posted or 0, "adoptions": adoptions or 0}
