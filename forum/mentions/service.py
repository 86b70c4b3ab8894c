"""Find, check, record and announce the people a post mentions.

The composer's autocomplete writes a mention as a Markdown link to the person's profile,
`@[Name](/users/12)`, so it renders as a link with no change to the renderer. Typed by hand
the same form works. A post that names an unknown or deactivated person, or more than
MAX_MENTIONS people, is refused before anything is written, with a message naming them.
"""

from __future__ import annotations

import re
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.domain_errors import ValidationError
from forum.extensions import db
from forum.models import Comment, Idea, Mention, Office, User, utcnow
from forum.notifications.service import notify

MAX_MENTIONS = 10
SUGGEST_LIMIT = 10
# @[label](/users/ID), with or without the site's address in front of /users/.
MENTION_RE = re.compile(r"@\[([^\]\n]{1,120})\]\((?:https?://[^\s)]*?)?/users/(\d{1,12})\)")


def find(body: str) -> list[tuple[str, int]]:
    """(label, user id) of each distinct person mentioned, in order of first mention."""
    seen: dict[int, str] = {}
    for match in MENTION_RE.finditer(body or ""):
        seen.setdefault(int(match.group(2)), match.group(1).strip())
    return [(label, user_id) for user_id, label in seen.items()]


def resolve(body: str, field: str = "body") -> list[User]:
    """The active users a text mentions; ValidationError naming anyone unknown or deactivated, or too many."""
    found = find(body)
    if len(found) > MAX_MENTIONS:
        names = ", ".join(label for label, _ in found)
        raise ValidationError(
            field, f"{field} may mention at most {MAX_MENTIONS} people; this one names {len(found)}: {names}"
        )
    if not found:
        return []
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_([i for _, i in found])))}
    unknown = [label for label, user_id in found if user_id not in users]
    inactive = [users[user_id].name for _, user_id in found if user_id in users and not users[user_id].is_active]
    problems = []
    if unknown:
        problems.append(f"no such person: {', '.join(unknown)}")
    if inactive:
        problems.append(f"no longer active: {', '.join(inactive)}")
    if problems:
        raise ValidationError(field, f"{field} cannot mention " + "; ".join(problems))
    return [users[user_id] for _, user_id in found]


def record(
    idea: Idea, comment: Comment | None, author: User, users: list[User], now: datetime | None = None
) -> set[int]:
    """Store the mentions and notify each person (not the author); returns the ids notified.

    On an edit, people already mentioned in the same post are not told again.
    """
    if not users:
        return set()
    earlier = set(
        db.session.scalars(
            sa.select(Mention.user_id).where(
                Mention.idea_id == idea.id,
                Mention.comment_id == comment.id if comment is not None else Mention.comment_id.is_(None),
            )
        )
    )
    told: set[int] = set()
    for user in users:
        if user.id in earlier:
            continue
        db.session.add(
            Mention(
                idea_id=idea.id,
                comment_id=comment.id if comment else None,
                user_id=user.id,
                author_id=author.id,
                created_at=now or utcnow(),
            )
        )
        if user.id != author.id:
            where = "a comment on" if comment is not None else "the idea"
            notify(user, "mention", idea, f"{author.name} mentioned you in {where} “{idea.title}”", comment)
            told.add(user.id)
    db.session.flush()
    return told


def mentions_of(idea: Idea, office_ids: list[int] | None = None) -> list[Mention]:
    """Mentions on an idea, oldest first; with `office_ids`, only senior officials of those offices."""
    query = (
        sa.select(Mention)
        .join(User, User.id == Mention.user_id)
        .where(Mention.idea_id == idea.id)
        .options(so.joinedload(Mention.user).joinedload(User.office), so.joinedload(Mention.author))
        .order_by(Mention.created_at, Mention.id)
    )
    if office_ids is not None:
        query = query.where(User.role == "senior", User.office_id.in_(office_ids))
    return list(db.session.scalars(query))


def suggest(query: object) -> list[User]:
    """Up to ten active people whose name, designation or office matches `query`, name prefixes first."""
    text = " ".join(str(query or "").replace("\x00", "").split())[:100]
    if not text:
        return []
    pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    prefix = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    name = sa.func.lower(User.name)
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Office, Office.id == User.office_id)
            .where(
                User.status == "active",
                sa.or_(
                    name.like(pattern, escape="\\"),
                    sa.func.lower(User.designation).like(pattern, escape="\\"),
                    sa.func.lower(Office.name).like(pattern, escape="\\"),
                    sa.func.lower(Office.code).like(pattern, escape="\\"),
                ),
            )
            .options(so.contains_eager(User.office))
            .order_by(sa.case((name.like(prefix, escape="\\"), 0), else_=1), User.name, User.id)
            .limit(SUGGEST_LIMIT)
        )
    )


def suggestion_dict(user: User) -> dict:
    """One item of the suggest answer: id, name, designation, office (its code) and the office's name."""
    return {
        "id": user.id,
        "name": user.name,
        "designation": user.designation or "",
        "office": user.office.code,
        "office_name": user.office.name,
    }
