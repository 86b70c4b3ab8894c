"""Scheduled email: the weekly office digest for senior officials and the daily/weekly summaries.

One email per user and period, holding whichever parts the user asked for at that cadence:
- "Waiting on your office" (senior officials, `digest` preference): the ideas that wait on their
  office, overdue (flagged) first, with tracking references and links;
- "Ideas you follow" (`digest` preference): new comments and official responses in the period;
- the notifications of each kind the user set to this cadence instead of "immediate".
Periods are local (FOLLOWUP_TIMEZONE): a weekly digest covers the seven days before the most recent
MAIL_DIGEST_WEEKDAY midnight, a daily one the day before today. Each email has a dedupe key
(cadence, period, user) in the outbox, so running it again for the same period adds nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from forum.extensions import db
from forum.localtime import digits_for, with_digits, zone
from forum.mail.compose import recipient_locale, render
from forum.mail.links import MailSite, absolute_url
from forum.mail.outbox import queue_written
from forum.mail.preferences import DEFAULTS, NOTIFICATION_KINDS
from forum.models import Category, Comment, EmailPreference, Flag, Follow, Idea, Notification, Office, User
from forum.notifications.text import render as notification_text

CADENCES = ("daily", "weekly")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LIST_LIMIT = 50  # ideas per section; the email links to the full list


@dataclass(frozen=True)
class Schedule:
    """When periods begin: local midnights in FOLLOWUP_TIMEZONE; weeks end on MAIL_DIGEST_WEEKDAY."""

    tz: tzinfo
    weekday: int = 6  # Sunday

    @classmethod
    def from_config(cls, config: Mapping) -> Schedule:
        """Read once at the edge (the CLI, the scheduler) from the app's config."""
        weekday = WEEKDAYS.index((config.get("MAIL_DIGEST_WEEKDAY") or "sun").strip().lower()[:3])
        return cls(zone(config.get("FOLLOWUP_TIMEZONE")), weekday)


@dataclass
class Period:
    """A local period [start, end) and the key that names it."""

    cadence: str
    key: date
    start: datetime
    end: datetime


@dataclass
class Result:
    queued: int = 0
    already: int = 0
    users: list[int] = field(default_factory=list)

    def summary(self) -> str:
        return f"mail digest: {self.queued} queued, {self.already} already sent for this period"


def period_for(now: datetime, cadence: str, schedule: Schedule) -> Period:
    """The period whose email is due as of `now` (local dates in the schedule's zone)."""
    tz = schedule.tz
    today = now.astimezone(tz).date()
    if cadence == "daily":
        key, days = today, 1
    else:
        key, days = today - timedelta(days=(today.weekday() - schedule.weekday) % 7), 7

    def midnight(day: date) -> datetime:
        # Local midnight, whatever the offset that day (zones with DST included), as a UTC instant.
        return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)

    return Period(cadence, key, midnight(key - timedelta(days=days)), midnight(key))


def _wants(pref: str, cadence: str) -> bool:
    # A summary cannot be immediate: "immediate" for the digest means as often as it goes, daily.
    return pref == cadence or (cadence == "daily" and pref == "immediate")


def waiting_on_office(office_id: int) -> tuple[list[Flag], list[Idea]]:
    """Ideas waiting on an office: its open flags (overdue, highest level first), then the ones not yet due."""
    flags = list(
        db.session.scalars(
            sa.select(Flag)
            .join(Idea, Idea.id == Flag.idea_id)
            .where(Flag.assigned_office_id == office_id, Flag.status == "open", Idea.deleted_at.is_(None))
            .options(so.joinedload(Flag.idea))
            .order_by(Flag.level.desc(), Idea.created_at, Idea.id)
            .limit(LIST_LIMIT)
        )
    )
    own = so.aliased(Office)
    author = so.aliased(User)
    # The follow-up rule: the category's office, else the parent of the author's office, else that office.
    responsible = sa.func.coalesce(Category.office_id, own.parent_id, own.id)
    pending = list(
        db.session.scalars(
            sa.select(Idea)
            .join(Category, Category.id == Idea.category_id)
            .join(own, own.id == Idea.office_id)
            .join(author, author.id == Idea.author_id)
            .outerjoin(Flag, Flag.idea_id == Idea.id)
            .where(
                Idea.status == "open",
                Idea.deleted_at.is_(None),
                Idea.first_response_at.is_(None),
                author.role != "senior",
                Flag.id.is_(None),
                responsible == office_id,
            )
            .order_by(Idea.created_at, Idea.id)
            .limit(LIST_LIMIT)
        )
    )
    return flags, pending


def send_digests(now: datetime, cadence: str, schedule: Schedule, site: MailSite) -> Result:
    """Queue the digests of the period due as of `now`; idempotent per period. The caller commits."""
    period = period_for(now, cadence, schedule)
    result = Result()
    users = list(
        db.session.scalars(
            sa.select(User).where(User.status == "active").options(so.joinedload(User.office)).order_by(User.id)
        )
    )
    prefs = {p.user_id: p for p in db.session.scalars(sa.select(EmailPreference))}

    def pref(user: User, kind: str) -> str:
        row = prefs.get(user.id)
        return getattr(row, kind) if row is not None else DEFAULTS[kind]

    notes: dict[int, list[Notification]] = defaultdict(list)
    for note in db.session.scalars(
        sa.select(Notification)
        .where(Notification.created_at >= period.start, Notification.created_at < period.end)
        .options(so.joinedload(Notification.idea))
        .order_by(Notification.id)
    ):
        notes[note.user_id].append(note)
    followed: dict[int, list] = defaultdict(list)
    for row in db.session.execute(
        sa.select(
            Follow.user_id,
            Idea,
            sa.func.count(Comment.id).label("comments"),
            sa.func.sum(sa.case((Comment.official, 1), else_=0)).label("official"),
        )
        .join(Comment, Comment.idea_id == Follow.idea_id)
        .join(Idea, Idea.id == Follow.idea_id)
        .where(
            Comment.created_at >= period.start,
            Comment.created_at < period.end,
            Comment.author_id != Follow.user_id,
            Comment.deleted_at.is_(None),
            Idea.deleted_at.is_(None),
        )
        .group_by(Follow.user_id, Idea.id)
        .order_by(Idea.id)
    ):
        followed[row.user_id].append(row)
    offices: dict[int, tuple[list[Flag], list[Idea]]] = {}

    for user in users:
        if not user.email:
            continue
        wants_digest = _wants(pref(user, "digest"), cadence)
        office_part = None
        if wants_digest and user.is_senior:
            if user.office_id not in offices:
                offices[user.office_id] = waiting_on_office(user.office_id)
            office_part = offices[user.office_id]
            if not office_part[0] and not office_part[1]:
                office_part = None
        follow_part = followed.get(user.id, []) if wants_digest else []
        note_part = [
            n
            for n in notes.get(user.id, [])
            if n.kind in NOTIFICATION_KINDS and pref(user, NOTIFICATION_KINDS[n.kind]) == cadence
        ]
        if office_part is None and not follow_part and not note_part:
            continue
        kinds = {NOTIFICATION_KINDS[n.kind] for n in note_part}
        unsubscribe_kind = (
            "digest"
            if (office_part or follow_part) and not kinds
            else (kinds.pop() if len(kinds) == 1 and not (office_part or follow_part) else "all")
        )
        with force_locale(recipient_locale(user, site.default_locale)):
            written = _write(site, user, period, unsubscribe_kind, office_part, follow_part, note_part)
        key = f"{cadence}:{period.key.isoformat()}:{user.id}"
        if queue_written(
            user,
            "digest" if office_part else "summary",
            written.subject,
            written.text,
            written.html,
            written.unsubscribe,
            key,
        ):
            result.queued += 1
            result.users.append(user.id)
        else:
            result.already += 1
    return result


def _write(site, user, period, unsubscribe_kind, office_part, follow_part, note_part):
    """Render one digest email."""
    if office_part is not None:
        count = len(office_part[0]) + len(office_part[1])
        if period.cadence == "weekly":
            subject = ngettext(
                "%(num)d idea is waiting on %(office)s",
                "%(num)d ideas are waiting on %(office)s",
                count,
                office=user.office.name,
            )
        else:
            subject = ngettext(
                "Daily summary: %(num)d idea is waiting on %(office)s",
                "Daily summary: %(num)d ideas are waiting on %(office)s",
                count,
                office=user.office.name,
            )
        subject = with_digits(
            subject, digits_for(user.digits, recipient_locale(user, site.default_locale))
        )  # the count, as on the site
    elif period.cadence == "weekly":
        subject = _("Your weekly summary")
    else:
        subject = _("Your daily summary")

    def idea_link(idea: Idea, comment_id: int | None = None) -> str:
        return absolute_url(site, "ideas.show", idea_id=idea.id, _anchor=f"c{comment_id}" if comment_id else None)

    return render(
        site,
        user,
        unsubscribe_kind,
        "digest",
        f"[{_('PSI Forum')}] {subject}",
        period=period,
        last_day_start=period.end - timedelta(days=1),
        flags=office_part[0] if office_part else [],
        pending=office_part[1] if office_part else [],
        followed=follow_part,
        notes=note_part,
        idea_link=idea_link,
        phrase=notification_text,  # each notice in the reader's language, as on the site
    )
