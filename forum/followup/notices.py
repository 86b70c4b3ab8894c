"""The scan's notices: the seniors of each office a flag was raised or escalated to hear of it, one note
per idea, or one digest when an office got many in one scan."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from forum.extensions import db
from forum.followup.clocks import Clock
from forum.models import Idea, Office, User
from forum.notifications.service import notify

# Above this many flags for one office in one scan, its seniors get one digest instead of one note each.
DIGEST_OVER = 10


def notify_offices(changed: list[dict], kind: str, clock: Clock) -> int:
    """Tell the senior users of each assigned office; one note per idea, or a digest for many."""
    if not changed:
        return 0
    by_office: dict[int, list[dict]] = defaultdict(list)
    for row in changed:
        by_office[row["office_id"]].append(row)
    seniors: dict[int, list[User]] = defaultdict(list)
    for user in db.session.scalars(
        sa.select(User).where(User.office_id.in_(list(by_office)), User.role == "senior", User.status == "active")
    ):
        seniors[user.office_id].append(user)
    offices = {o.id: o for o in db.session.scalars(sa.select(Office).where(Office.id.in_(list(by_office))))}
    wanted = [
        r["idea_id"]
        for office_id, rows in by_office.items()
        if seniors[office_id] and len(rows) <= DIGEST_OVER
        for r in rows
    ]
    ideas = {}
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start : start + 1000]
        ideas.update({i.id: i for i in db.session.scalars(sa.select(Idea).where(Idea.id.in_(chunk)))})
    sent = 0
    for office_id, rows in by_office.items():
        office = offices[office_id]
        for user in seniors[office_id]:
            if len(rows) > DIGEST_OVER:
                verb = "were flagged to" if kind == "flag_raised" else "were escalated to"
                what = "answered but not decided in time" if clock.kind == "stalled" else "without a senior response"
                text = f"{len(rows)} ideas {what} {verb} {office.name}."
                params = {"count": len(rows), "office": office.name, "clock": clock.kind}
                notify(user, kind, None, text, params=params)
                sent += 1
                continue
            for row in rows:
                idea = ideas[row["idea_id"]]
                params = {"office": office.name, "level": row["level"], "days": clock.days, "clock": clock.kind}
                notify(user, kind, idea, _note_text(kind, idea, office, row["level"], clock), params=params)
                sent += 1
    return sent


def _note_text(kind: str, idea: Idea, office: Office, level: int, clock: Clock) -> str:
    if clock.kind == "stalled":
        if kind == "flag_raised":
            return (
                f"{idea.reference} “{idea.title}” was answered but has had no decision for {clock.days} working "
                f"days; it is now waiting on {office.name} for a decision."
            )
        return f"{idea.reference} “{idea.title}” is still undecided and was escalated to {office.name} (level {level})."
    if kind == "flag_raised":
        return (
            f"{idea.reference} “{idea.title}” has had no senior response for {clock.days} working days; "
            f"it is now waiting on {office.name}."
        )
    return f"{idea.reference} “{idea.title}” is still unanswered and was escalated to {office.name} (level {level})."
