"""Write emails into the outbox, in the same transaction as the change that causes them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from forum.effects import after_commit
from forum.extensions import db
from forum.mail.preferences import DEFAULTS, DELAYED_KINDS, NOTIFICATION_KINDS, frequency
from forum.models import EmailPreference, MailOutbox, Notification, User, utcnow

# Built once (a reply runs it on every post): the active recipients' addresses and email preferences (NULL
# where a user has no preference row). Table columns, not the mapped classes: rows, without the ORM's
# loading of EmailPreference objects.
_USERS, _PREFERENCES = User.__table__, EmailPreference.__table__
_PREFERENCE_COLUMNS = sorted(set(NOTIFICATION_KINDS.values()))
_RECIPIENTS = (
    sa.select(_USERS.c.id, _USERS.c.email, *(_PREFERENCES.c[kind] for kind in _PREFERENCE_COLUMNS))
    .outerjoin(_PREFERENCES, _PREFERENCES.c.user_id == _USERS.c.id)
    .where(_USERS.c.id.in_(sa.bindparam("user_ids", expanding=True)), _USERS.c.status == "active", _USERS.c.email != "")
)


_INSERT_QUEUED = sa.insert(MailOutbox.__table__)  # plain INSERT: no ORM bookkeeping


def queue_for_notification(note: Notification, user: User) -> bool:
    """Queue an immediate email for a notification if its recipient wants that kind right away.

    Only a small row is written here: the sender writes the email itself, off the request.
    """
    kind = NOTIFICATION_KINDS.get(note.kind)
    if kind is None or not user.email or not user.is_active or frequency(user, kind) != "immediate":
        return False
    db.session.add(MailOutbox(user_id=user.id, kind=kind, notification_id=note.id, to_addr=user.email))
    after_commit(_wake, kind in DELAYED_KINDS)
    return True


def queue_for_notifications(notes: list[tuple[int, int, str]]) -> int:
    """The bulk form of queue_for_notification for (notification id, user id, notification kind) rows.

    One read (the users and their preferences) and one INSERT however many people a reply tells.
    """
    wanted = [(nid, uid, NOTIFICATION_KINDS[kind]) for nid, uid, kind in notes if kind in NOTIFICATION_KINDS]
    if not wanted:
        return 0
    user_ids = list({uid for _, uid, _ in wanted})
    # One read for the recipients' addresses and their preferences (a missing preference row: defaults).
    found = db.session.execute(_RECIPIENTS, {"user_ids": user_ids}).mappings().all()
    users = {row["id"]: row["email"] for row in found}
    # A user's frequency for a kind: theirs, or the default where they have no preference row (NULL columns).
    frequency_of = {(row["id"], kind): row[kind] or DEFAULTS[kind] for row in found for kind in _PREFERENCE_COLUMNS}
    now = utcnow()
    rows = [
        {
            "user_id": uid,
            "kind": kind,
            "notification_id": nid,
            "to_addr": users[uid],
            "created_at": now,
            "next_attempt_at": now,
            "attempts": 0,
            "failed": False,
        }
        for nid, uid, kind in wanted
        if uid in users and frequency_of[uid, kind] == "immediate"
    ]
    if rows:
        db.session.execute(_INSERT_QUEUED, rows)
        after_commit(_wake, all(row["kind"] in DELAYED_KINDS for row in rows))
    return len(rows)


def queue_written(
    user: User, kind: str, subject: str, text: str, html: str, unsubscribe: str | None, dedupe_key: str
) -> bool:
    """Queue a finished email once per dedupe key (a digest); False when that key was already queued."""
    table = MailOutbox.__table__
    now = utcnow()
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    row = db.session.execute(
        insert(table)
        .values(
            user_id=user.id,
            kind=kind,
            dedupe_key=dedupe_key,
            to_addr=user.email,
            subject=subject[:300],
            text_body=text,
            html_body=html,
            unsubscribe_url=unsubscribe,
            attempts=0,
            failed=False,
            created_at=now,
            next_attempt_at=now,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(table.c.id)
    ).first()
    if row is not None:
        after_commit(_wake)
    return row is not None


def _wake(delayed: bool = False) -> None:
    from forum.mail import sender

    sender.wake(delayed)
