"""Comment rules: posting, editing and removing comments, and reading a thread.

Every entry point (page form, JSON API, socket event) calls these functions, through forum.ideas.service
(which re-exports them) or directly. They flush, never commit; what must follow the commit (live events,
search indexing, notifications sent live) is queued with forum.effects.after_commit.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.domain_errors import Forbidden, NotFound, ValidationError
from forum.extensions import db
from forum.followup.answers import counts_as_answer
from forum.followup.flags import record_response
from forum.ideas import versions
from forum.ideas.rendering import render_markdown
from forum.ideas.serializers import comment_dict
from forum.limits import COMMENT_MAX
from forum.live import broadcast
from forum.mentions import service as mentions
from forum.models import Comment, Follow, Idea, User, utcnow
from forum.notifications.service import notify_many
from forum.search import outbox, saved
from forum.validation import clean_text, id_or_404, parse_int

# A post's statements, built once: building them anew took about a tenth of a post's CPU.
_IDEAS = Idea.__table__
_COUNT_COMMENT = (
    sa.update(_IDEAS)
    .where(_IDEAS.c.id == sa.bindparam("idea_id"))
    .values(comment_count=_IDEAS.c.comment_count + 1, version=_IDEAS.c.version + 1)
)
_INSERT_COMMENT = sa.insert(Comment.__table__).returning(Comment.__table__.c.id)
# Table columns: a plain statement, without the ORM's compile step for mapped attributes.
_FOLLOWS = Follow.__table__
_FOLLOWERS = sa.select(_FOLLOWS.c.user_id).where(_FOLLOWS.c.idea_id == sa.bindparam("idea_id"))


def _comment_body(value: object) -> str:
    return clean_text(value, "body", max_len=COMMENT_MAX, oversize_is_413=True)


def _parent(idea: Idea, parent_id: object) -> Comment | None:
    if parent_id is None or parent_id == "":
        return None
    parent = db.session.get(Comment, parse_int(parent_id, "parent_id"))
    if parent is None or parent.idea_id != idea.id:
        raise ValidationError("parent_id", "parent_id is not a comment on this idea")
    return parent


def add_comment(
    idea: Idea,
    author: User,
    body: object,
    parent_id: object = None,
    *,
    now: datetime | None = None,
    answer_scope: str = "responsible",
) -> Comment:
    """Comment on an idea or reply to a comment.

    A senior author's comment is an official response; it marks the idea answered (and resolves its
    open follow-up flag) when it counts under `answer_scope` (FOLLOWUP_ANSWER_SCOPE, followup/answers.py).
    """
    body = _comment_body(body)
    mentioned = mentions.resolve(body)
    parent = _parent(idea, parent_id)
    now = now or utcnow()
    comment = _insert_comment(
        idea_id=idea.id,
        parent_id=parent.id if parent is not None else None,
        author_id=author.id,
        body=body,
        body_html=render_markdown(body),
        official=author.is_senior,
        created_at=now,
        edited_at=None,
        deleted_at=None,
    )
    # The counters and the page-cache version in one plain UPDATE (as versions.idea_changed would have it).
    db.session.execute(_COUNT_COMMENT, {"idea_id": idea.id})
    db.session.expire(idea, ["comment_count", "version"])
    versions.idea_list_changed()
    if comment.official:
        db.session.expire(idea, ["has_official_reply"])  # `responded` re-reads it
    # Under FOLLOWUP_ANSWER_SCOPE=responsible an unrelated office's senior reply is official but no answer.
    if author.is_senior and idea.first_response_at is None and counts_as_answer(idea, author, answer_scope):
        idea.first_response_at = now
        record_response(idea, comment)
    outbox.record("comment", comment.id)
    if idea.first_response_at == now:
        outbox.record("idea", idea.id)  # "answered" is a search filter
    _notify_about(comment, mentions.record(idea, comment, author, mentioned, now))
    broadcast.comment_event("comment_created", comment_dict(comment))
    return comment


def _insert_comment(**values: object) -> Comment:
    """INSERT the comment with a plain statement and put the row in the session as if it had been loaded.

    A new object flushed through the unit of work cost about a fifth of a post's CPU; the row is the
    same. Its idea, author and parent come from the session's identity map when read, without a query.
    """
    db.session.flush()  # earlier changes first: this statement and the idea's UPDATE go around the unit of work
    values["id"] = db.session.execute(_INSERT_COMMENT, values).scalar_one()
    comment = Comment(**values)
    so.make_transient_to_detached(comment)
    db.session.add(comment)
    saved.note_new_posts(db.session(), [("comment", comment.id)])  # no flush sees it as new
    return comment


def _notify_about(comment: Comment, told: set[int]) -> None:
    """Tell the idea's author, the parent comment's author and (for official replies) followers, in one INSERT;
    not those in `told` (already notified of a mention in this comment)."""
    idea, author = comment.idea, comment.author
    # First reason wins: a follower who wrote the parent comment hears "replied to your comment" once.
    recipients: dict[int, tuple[str, str]] = {}
    if comment.parent is not None and not comment.parent.is_deleted:
        recipients[comment.parent.author_id] = ("reply", f"{author.name} replied to your comment on “{idea.title}”")
    kind = "official_response" if comment.official else "comment"
    recipients.setdefault(idea.author_id, (kind, f"{author.name} commented on your idea “{idea.title}”"))
    if comment.official:
        text = f"{author.name} gave an official response on “{idea.title}”"
        for user_id in db.session.scalars(_FOLLOWERS, {"idea_id": idea.id}):
            recipients.setdefault(user_id, ("official_response", text))
    for user_id in (author.id, *told):
        recipients.pop(user_id, None)
    notify_many(recipients, idea, comment)


def get_comment(comment_id: object, changed_by: User | None = None, *, admin_may: bool = False) -> Comment:
    """A comment on a visible idea, or NotFound; with `changed_by`, also Forbidden unless it is theirs (or they
    are an admin and `admin_may`), and NotFound once removed. The one loader for pages, the API and sockets."""
    comment = db.session.get(Comment, id_or_404(comment_id, "comment"))
    if comment is None or comment.idea.is_deleted:
        raise NotFound("No such comment.")
    if changed_by is not None:
        _check_own(comment, changed_by, allow_admin=admin_may)
    return comment


def _check_own(comment: Comment, user: User, allow_admin: bool) -> None:
    if comment.author_id != user.id and not (allow_admin and user.is_admin):
        raise Forbidden("You may change only your own comments.")
    if comment.is_deleted:
        raise NotFound("This comment was removed.")


def edit_comment(comment: Comment, editor: User, body: object) -> Comment:
    _check_own(comment, editor, allow_admin=False)
    comment.body = _comment_body(body)
    mentioned = mentions.resolve(comment.body)
    comment.body_html = render_markdown(comment.body)
    comment.edited_at = utcnow()
    versions.idea_changed(comment.idea)
    db.session.flush()
    outbox.record("comment", comment.id)
    mentions.record(comment.idea, comment, editor, mentioned)
    broadcast.comment_event("comment_updated", comment_dict(comment))
    return comment


def delete_comment(comment: Comment, actor: User) -> Comment:
    """Soft delete: the thread keeps its shape and shows "comment removed"."""
    _check_own(comment, actor, allow_admin=True)
    comment.deleted_at = utcnow()
    comment.body = ""
    comment.body_html = ""
    versions.idea_changed(comment.idea)
    db.session.flush()
    outbox.record("comment", comment.id)
    broadcast.comment_event("comment_deleted", comment_dict(comment))
    return comment


def thread(idea: Idea) -> list[Comment]:
    """All comments of an idea, oldest first, with authors loaded in the same query."""
    return list(
        db.session.scalars(
            sa.select(Comment)
            .where(Comment.idea_id == idea.id)
            .options(so.joinedload(Comment.author).joinedload(User.office))
            .order_by(Comment.created_at, Comment.id)
        )
    )


def nest(comments: list[Comment]) -> list[tuple[Comment, list]]:
    """Arrange a flat, ordered thread as (comment, children) trees."""
    children: dict[int | None, list[Comment]] = {}
    for c in comments:
        children.setdefault(c.parent_id, []).append(c)

    def build(parent_id: int | None) -> list[tuple[Comment, list]]:
        return [(c, build(c.id)) for c in children.get(parent_id, [])]

    return build(None)
