"""The idea page's "waiting on" panel: whom an unanswered idea waits on, and until when.

It applies the same rules as the scan (rules.py), through the few rows one idea needs.
"""

from __future__ import annotations

import sqlalchemy as sa

from forum.extensions import db
from forum.followup.answers import answering_offices, unrelated_official_replies
from forum.followup.rules import OfficeTree, Rules, Schedule, changed_by_hand, is_tracked, load_calendar
from forum.mentions.service import mentions_of
from forum.models import Flag, FlagEvent, Idea, Office, User


def senior_contacts(office_id: int) -> list[str]:
    """'Name, designation' of the active senior users of an office."""
    users = db.session.scalars(
        sa.select(User)
        .where(User.office_id == office_id, User.role == "senior", User.status == "active")
        .order_by(User.name)
    )
    return [f"{u.name}, {u.designation}" if u.designation else u.name for u in users]


def with_flag_state(query: sa.Select) -> sa.Select:
    """`query` (which selects an Idea) with what the panel reads of the idea's flag added to each row.

    Every change to a flag (raised, escalated, assigned, resolved) writes an event, so the newest event's id
    moves with it; the flag's own columns are read too, in case a change ever comes without one. All None
    when the idea has no flag.
    """
    newest_event = (
        sa.select(sa.func.max(FlagEvent.id)).where(FlagEvent.flag_id == Flag.id).correlate(Flag).scalar_subquery()
    )
    columns = (Flag.id, Flag.level, Flag.status, Flag.assigned_office_id, Flag.level_since, newest_event)
    return query.add_columns(*columns).outerjoin(Flag, sa.and_(Flag.idea_id == Idea.id, Flag.kind == "unanswered"))


def waiting_on(idea: Idea, rules: Rules) -> dict | None:
    """Whom the idea is waiting on: its follow-up state for the idea page (None if answered)."""
    if idea.first_response_at is not None:
        return None
    schedule = Schedule(rules, load_calendar(rules))
    tree = OfficeTree.lazy()
    chain = tree.chain(tree.responsible(idea.category.office_id, idea.office_id))
    flag = db.session.scalar(sa.select(Flag).where(Flag.idea_id == idea.id, Flag.kind == "unanswered"))
    tracked = is_tracked(idea)
    state = {
        "reference": idea.reference,
        "tracked": tracked,
        "flag": None,
        "level": None,
        "due": None,
        "next_office_name": None,
    }
    if flag is not None:
        office = flag.assigned_office
        state.update(
            flag=flag,
            level=flag.level,
            since=flag.level_since,
            status=flag.status,
        )
        by_hand = changed_by_hand(flag)
        if flag.status != "open":
            pass
        elif by_hand and office.parent is not None:
            state["due"] = schedule.own_clock_due(flag.level_since)
            state["next_office_name"] = office.parent.name
        elif not by_hand and flag.level + 1 < len(chain):
            state["due"] = schedule.due(idea.created_at, flag.level + 1)
            state["next_office_name"] = db.session.get(Office, chain[flag.level + 1]).name
    else:
        office = db.session.get(Office, chain[0])
        state.update(since=idea.created_at, status="waiting")
        if tracked:
            state["due"] = schedule.due(idea.created_at, 0)
    if not tracked and flag is None:
        state["status"] = "senior_author" if idea.author.is_senior else "not_open"
    state.update(office_name=office.name, office_code=office.code, contacts=senior_contacts(office.id))
    # Official replies that did not stop the clock, and the seniors who were asked (mentioned) by name.
    state["unrelated_replies"] = unrelated_official_replies(idea)
    state["asked"] = mentions_of(idea, sorted(answering_offices(idea)))
    return state
