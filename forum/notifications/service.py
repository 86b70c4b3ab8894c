"""Creating and reading notifications."""

import sqlalchemy as sa

from forum.extensions import db
from forum.live import broadcast
from forum.mail.outbox import queue_for_notification, queue_for_notifications
from forum.models import Comment, Idea, Notification, User, utcnow

# Built once: every comment post runs it.
_INSERT_NOTIFICATIONS = sa.insert(Notification.__table__).returning(
    Notification.__table__.c.user_id, Notification.__table__.c.id
)


def notify(
    user: User, kind: str, idea: Idea | None, text: str, comment: Comment | None = None, params: dict | None = None
) -> Notification:
    """Store a notification, push it live to the user after the commit, and email it if they want that now.

    `text` is the English sentence (the fallback); `params` are the facts the reader's own language needs
    to phrase it when shown (forum/notifications/text.py).
    """
    note = Notification(
        user=user, kind=kind, idea=idea, comment_id=comment.id if comment else None, text=text[:500], params=params
    )
    db.session.add(note)
    db.session.flush()
    broadcast.notification_event(
        user.id, {"id": note.id, "kind": kind, "idea_id": idea.id if idea else None, "text": note.text}
    )
    queue_for_notification(note, user)
    return note


def notify_many(recipients: dict[int, tuple[str, str]], idea: Idea | None, comment: Comment | None = None) -> None:
    """Store one notification per user id ({user id: (kind, text)}) in one INSERT, each pushed live after the commit.

    An official reply on a followed idea may tell hundreds of followers: one statement for all of them,
    and no user rows loaded, where notify() costs a SELECT and an INSERT each.
    """
    if not recipients:
        return
    now = utcnow()
    rows = [
        {
            "user_id": user_id,
            "kind": kind,
            "idea_id": idea.id if idea else None,
            "comment_id": comment.id if comment else None,
            "text": text[:500],
            "created_at": now,
        }
        for user_id, (kind, text) in recipients.items()
    ]
    # RETURNING in whatever order the database likes (SQLite gives no order in a batch): match by user.
    # The table, not the mapped class: a plain INSERT, without the ORM's bulk-insert bookkeeping (a third of
    # this function's cost per post).
    ids = dict(db.session.execute(_INSERT_NOTIFICATIONS, rows).all())
    for row in rows:
        payload = {"id": ids[row["user_id"]], "kind": row["kind"], "idea_id": row["idea_id"], "text": row["text"]}
        broadcast.notification_event(row["user_id"], payload)
    queue_for_notifications([(ids[row["user_id"]], row["user_id"], row["kind"]) for row in rows])


def unread_count(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def notifications_query(user: User) -> sa.Select:
    return sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc())


def mark_read(user: User, notification_id: int | None = None) -> int:
    """Mark one notification (or all) as read; returns how many changed."""
    stmt = sa.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    return db.session.execute(stmt.values(read_at=utcnow())).rowcount


def latest_grouped(user: User, limit: int = 30) -> list[dict]:
    """The user's latest notifications for the bell menu; unread ones of one kind on one idea as one group."""
    notes = db.session.scalars(notifications_query(user).limit(limit)).all()
    groups: list[dict] = []
    by_key: dict[tuple, dict] = {}
    for note in notes:
        key = (note.kind, note.idea_id) if note.read_at is None and note.idea_id else ("one", note.id)
        group = by_key.get(key)
        if group is None:
            group = by_key[key] = {"first": note, "notes": []}
            groups.append(group)
        group["notes"].append(note)
    return groups


def mark_group_read(user: User, note: Notification) -> int:
    """Opening a notification reads it and the unread ones of the same kind about the same idea."""
    stmt = sa.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if note.idea_id is not None:
        stmt = stmt.where(Notification.kind == note.kind, Notification.idea_id == note.idea_id)
    else:
        stmt = stmt.where(Notification.id == note.id)
    return db.session.execute(stmt.values(read_at=utcnow())).rowcount
