"""Notification sentences in the reader's language, built when shown from what the row points at.

A row keeps its kind and the idea and comment it concerns; the sentence is rendered at display time,
so a Bangla reader sees Bangla whatever the language of whoever caused it. Kinds whose facts are not
all in the row (an office named by a follow-up flag) keep the text stored when they were made.
"""

import re

from flask_babel import gettext as _
from flask_babel import ngettext

from forum.models import Comment, Idea, Notification


def sentence(kind: str, actor: str, title: str, reference: str = "") -> str | None:
    """One notification's sentence in the current language, or None for a kind this module does not phrase."""
    if kind == "reply":
        return _("%(name)s replied to your comment on “%(title)s”", name=actor, title=title)
    if kind == "comment":
        return _("%(name)s commented on your idea “%(title)s”", name=actor, title=title)
    if kind == "official_response":
        return _("%(name)s gave an official response on “%(title)s”", name=actor, title=title)
    return None


def render(note: Notification, idea: Idea | None = None, comment: Comment | None = None) -> str:
    """The notification's text for the current reader."""
    idea = idea or note.idea
    if comment is None and note.comment_id is not None:
        from forum.extensions import db

        comment = db.session.get(Comment, note.comment_id)
    if idea is not None and comment is not None and comment.author is not None:
        text = sentence(note.kind, comment.author.name, idea.title, idea.reference)
        if text:
            return text
    if idea is not None and note.kind == "mention":
        actor = comment.author if comment is not None else idea.author
        if actor is not None:
            if comment is not None:
                return _("%(name)s mentioned you in a comment on “%(title)s”", name=actor.name, title=idea.title)
            return _("%(name)s mentioned you in the idea “%(title)s”", name=actor.name, title=idea.title)
    if idea is not None and note.kind == "saved_search":
        # The row does not point at the saved search; its query is the quoted end of the stored sentence.
        query = _SAVED_QUERY.search(note.text or "")
        if query:
            if comment is not None:
                return _("A new comment on “%(title)s” matches your saved search “%(q)s”", title=idea.title, q=query[1])
            return _("A new idea “%(title)s” matches your saved search “%(q)s”", title=idea.title, q=query[1])
    return note.text


_SAVED_QUERY = re.compile(r"matches your saved search “(.*)”$", re.S)


def group_sentence(kind: str, count: int, title: str) -> str:
    """Several notifications of one kind about one idea, as one line."""
    if kind == "reply":
        return ngettext("%(num)d new reply to your comments on “%(title)s”",
                        "%(num)d new replies to your comments on “%(title)s”", count, title=title)  # fmt: skip
    if kind == "official_response":
        return ngettext("%(num)d official response on “%(title)s”",
                        "%(num)d official responses on “%(title)s”", count, title=title)  # fmt: skip
    return ngettext("%(num)d new comment on “%(title)s”", "%(num)d new comments on “%(title)s”", count, title=title)
