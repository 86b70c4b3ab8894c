"""Idea rules: the one place each kind of change to an idea is written (comments: forum/ideas/comments.py).

Every entry point (page form, JSON API, socket event) calls these functions.
They flush, never commit; what must follow the commit (live events, search
indexing, notifications sent live) is queued with forum.effects.after_commit.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.accounts.service import office_by_code
from forum.domain_errors import Forbidden, NotFound, ValidationError
from forum.extensions import db
from forum.ideas import versions
from forum.ideas.comments import (  # noqa: F401  (re-exported: callers say ideas.add_comment)
    add_comment,
    delete_comment,
    edit_comment,
    get_comment,
    nest,
    thread,
)
from forum.ideas.rendering import render_markdown
from forum.lifecycle import service as lifecycle
from forum.limits import BODY_MAX, CATEGORY_NAME_MAX, MAX_TAGS, TAG_MAX, TITLE_MAX, TITLE_MIN
from forum.mentions import service as mentions
from forum.models import (
    Category,
    Endorsement,
    Follow,
    Idea,
    Office,
    Tag,
    User,
    utcnow,
)
from forum.search import outbox
from forum.validation import clean_text, id_or_404, parse_int

_TAG_RE = re.compile(r"^[\w\-\u0980-\u09FF\u0600-\u06FF ]+$")


# Categories ---------------------------------------------------------------


def create_category(name: str, office_code: str | None = None) -> Category:
    name = clean_text(name, "name", max_len=CATEGORY_NAME_MAX)
    if db.session.scalar(sa.select(Category.id).where(sa.func.lower(Category.name) == name.lower())):
        raise ValidationError("name", f"a category named '{name}' already exists")
    office = office_by_code(office_code) if office_code else None
    category = Category(name=name, office=office)
    db.session.add(category)
    db.session.flush()
    return category


def update_category(category: Category, name: str, office_code: str | None) -> Category:
    name = clean_text(name, "name", max_len=CATEGORY_NAME_MAX)
    clash = db.session.scalar(
        sa.select(Category.id).where(sa.func.lower(Category.name) == name.lower(), Category.id != category.id)
    )
    if clash:
        raise ValidationError("name", f"a category named '{name}' already exists")
    category.name = name
    category.office = office_by_code(office_code) if office_code else None
    versions.idea_list_changed()  # rows name their category
    versions.directory_changed()  # its owner answers for its ideas (the follow-up panel)
    db.session.flush()
    return category


# Ideas --------------------------------------------------------------------


def _category(value: object) -> Category:
    if value is None or value == "":
        raise ValidationError("category", "category is required")
    category = db.session.get(Category, parse_int(value, "category"))
    if category is None:
        raise ValidationError("category", "category does not exist")
    return category


def _tags(value: object) -> list[Tag]:
    if value is None or value == "":
        return []
    if isinstance(value, str):  # a page form sends "a, b, c"
        value = [t for t in value.split(",")]
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ValidationError("tags", "tags must be a list of strings")
    names: list[str] = []
    for raw in value:
        name = " ".join(raw.split()).casefold()
        if not name:
            continue
        if len(name) > TAG_MAX:
            raise ValidationError("tags", f"each tag must be at most {TAG_MAX} characters")
        if not _TAG_RE.match(name):
            raise ValidationError("tags", f"tag '{name}' may hold only letters, digits, spaces and '-'")
        if name not in names:
            names.append(name)
    if len(names) > MAX_TAGS:
        raise ValidationError("tags", f"at most {MAX_TAGS} tags")
    existing = {t.name: t for t in db.session.scalars(sa.select(Tag).where(Tag.name.in_(names)))} if names else {}
    tags = []
    for name in names:
        tag = existing.get(name)
        if tag is None:
            tag = Tag(name=name)
            db.session.add(tag)
        tags.append(tag)
    return tags


def _title(value: object) -> str:
    return clean_text(value, "title", min_len=TITLE_MIN, max_len=TITLE_MAX, oversize_is_413=True)


def _body(value: object, field: str = "body", limit: int = BODY_MAX) -> str:
    return clean_text(value, field, max_len=limit, oversize_is_413=True)


def create_idea(author: User, title: object, body: object, category: object, tags: object = None) -> Idea:
    """Post an idea; it gets a tracking reference and its author follows it."""
    title, body = _title(title), _body(body)
    mentioned = mentions.resolve(body)
    cat, tag_list = _category(category), _tags(tags)
    now = utcnow()
    idea = Idea(
        title=title,
        body=body,
        body_html=render_markdown(body),
        category=cat,
        office_id=author.office_id,
        author=author,
        tags=tag_list,
        created_at=now,
    )
    db.session.add(idea)
    db.session.flush()
    idea.reference = f"PSI-{now.year}-{idea.id:06d}"
    db.session.add(Follow(user_id=author.id, idea_id=idea.id))
    lifecycle.record_posted(idea, author)
    versions.idea_list_changed()
    outbox.record("idea", idea.id)
    mentions.record(idea, None, author, mentioned, now)
    return idea


def check_can_edit_idea(idea: Idea, user: User) -> None:
    """Forbidden unless the user wrote the idea or is an admin."""
    if idea.author_id != user.id and not user.is_admin:
        raise Forbidden("Only the author or an admin may change this idea.")


def update_idea(idea: Idea, editor: User, title: object, body: object, category: object, tags: object = None) -> Idea:
    check_can_edit_idea(idea, editor)
    if idea.is_deleted:
        raise NotFound("This idea was deleted.")
    new_title, new_body = _title(title), _body(body)
    mentioned = mentions.resolve(new_body)
    idea.title, idea.body = new_title, new_body
    idea.body_html = render_markdown(idea.body)
    idea.category = _category(category)
    idea.tags = _tags(tags)
    idea.edited_at = utcnow()
    versions.idea_changed(idea)
    db.session.flush()
    outbox.record("idea", idea.id)
    mentions.record(idea, None, editor, mentioned)
    return idea


def set_idea_status(
    idea: Idea, actor: User, status: object, note: object, reason: object = None, duplicate_of: object = None
) -> Idea:
    """Move an idea through its lifecycle (forum.lifecycle.service has the rules and the history)."""
    return lifecycle.change_status(idea, actor, status, note, reason, duplicate_of)


def delete_idea(idea: Idea, actor: User) -> None:
    """Soft delete: the idea disappears from lists and search, its row stays for the record."""
    check_can_edit_idea(idea, actor)
    idea.deleted_at = utcnow()
    versions.idea_changed(idea)
    db.session.flush()
    outbox.record("idea", idea.id)


def get_idea(idea_id: object, changed_by: User | None = None) -> Idea:
    """A visible idea by id, or NotFound; with `changed_by`, also Forbidden unless that user may change it.

    The one loader for pages, the API and socket handlers.
    """
    idea = db.session.get(Idea, id_or_404(idea_id, "idea"))
    if idea is None or idea.is_deleted:
        raise NotFound("No such idea.")
    if changed_by is not None:
        check_can_edit_idea(idea, changed_by)
    return idea


def idea_by_reference(reference: str) -> Idea | None:
    """The visible idea with this tracking reference (any case), or None."""
    idea = db.session.scalar(sa.select(Idea).where(Idea.reference == reference.strip().upper()))
    return None if idea is None or idea.is_deleted else idea


def ideas_query(
    *,
    category: int | None = None,
    office: str | None = None,
    status: str | None = None,
    answered: bool | None = None,
    author_id: int | None = None,
    tag: str | None = None,
    sort: str = "new",
) -> sa.Select:
    """Visible ideas with the given filters, as a select for db.paginate()."""
    # Filters come straight from query strings; PostgreSQL refuses NUL in text parameters.
    office = office.replace("\x00", "") if office else office
    tag = tag.replace("\x00", "") if tag else tag
    query = (
        sa.select(Idea)
        .where(Idea.deleted_at.is_(None))
        .options(
            so.joinedload(Idea.author).joinedload(User.office),
            so.joinedload(Idea.category),
            so.joinedload(Idea.office),
            so.selectinload(Idea.tags),
        )
    )
    if category is not None:
        query = query.where(Idea.category_id == category)
    if office:
        query = query.join(Office, Office.id == Idea.office_id).where(Office.code == office)
    if status:
        query = query.where(Idea.status == status)
    if answered is True:
        query = query.where(Idea.first_response_at.is_not(None))
    elif answered is False:
        query = query.where(Idea.first_response_at.is_(None))
    if author_id is not None:
        query = query.where(Idea.author_id == author_id)
    if tag:
        query = query.where(Idea.tags.any(Tag.name == tag.casefold()))
    if sort == "top":
        return query.order_by(Idea.endorsement_count.desc(), Idea.id.desc())
    if sort == "active":
        return query.order_by(Idea.comment_count.desc(), Idea.id.desc())
    return query.order_by(Idea.created_at.desc(), Idea.id.desc())


def endorse(idea: Idea, user: User, on: bool = True) -> bool:
    """Add or remove the user's endorsement; returns whether it is now endorsed."""
    existing = db.session.get(Endorsement, (user.id, idea.id))
    if on and existing is None:
        db.session.add(Endorsement(user_id=user.id, idea_id=idea.id))
        idea.endorsement_count = Idea.endorsement_count + 1
    elif not on and existing is not None:
        db.session.delete(existing)
        idea.endorsement_count = Idea.endorsement_count - 1
    else:
        return on
    versions.idea_list_changed()
    db.session.flush()
    return on


def follow(idea: Idea, user: User, on: bool = True) -> bool:
    existing = db.session.get(Follow, (user.id, idea.id))
    if on and existing is None:
        db.session.add(Follow(user_id=user.id, idea_id=idea.id))
    elif not on and existing is not None:
        db.session.delete(existing)
    db.session.flush()
    return on


def is_endorsed(idea: Idea, user: User) -> bool:
    return db.session.get(Endorsement, (user.id, idea.id)) is not None


def is_following(idea: Idea, user: User) -> bool:
    return db.session.get(Follow, (user.id, idea.id)) is not None
