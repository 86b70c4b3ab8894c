"""Creating and reading notifications."""

import sqlalchemy as sa

from forum.extensions import db
from forum.live import broadcast
from forum.mail.outbox import queue_for_notification
from forum.models import Comment, Idea, Notification, User, utcnow


def notify(user: User, kind: str, idea: Idea | None, text: str, comment: Comment | None = None) -> Notification:
    """Store a notification, push it live to the user after the commit, and email it if they want that now."""
    note = Notification(user=user, kind=kind, idea=idea, comment_id=comment.id if comment else None, text=text[:500])
    db.session.add(note)
    db.session.flush()
    broadcast.notification_event(
        user.id, {"id": note.id, "kind": kind, "idea_id": idea.id if idea else None, "text": note.text}
    )
    queue_for_notification(note, user)
    return note


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
