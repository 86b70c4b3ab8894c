"""Notification sentences in the reader's language, built when shown from what the row points at.

A row keeps its kind, the idea and comment it concerns and, where the sentence needs more (the office a
flag waits on, its level, a new status), those facts in `params`; the sentence is rendered at display
time, so a Bangla reader sees Bangla whatever the language of whoever caused it. A row made before
`params` existed shows the (English) text stored when it was made.
"""

import re

from flask_babel import gettext as _
from flask_babel import ngettext

from forum.labels import label
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


def from_params(kind: str, params: dict, idea: Idea | None) -> str | None:
    """A follow-up, status or adoption notice phrased from its stored facts, or None when they don't fit."""
    office, stalled = params.get("office", ""), params.get("clock") == "stalled"
    if "count" in params:  # the scan's one line for a whole batch of flags
        count = int(params["count"])
        if kind == "flag_raised" and stalled:
            return ngettext("%(num)d idea answered but not decided in time was flagged to %(office)s.",
                            "%(num)d ideas answered but not decided in time were flagged to %(office)s.",
                            count, office=office)  # fmt: skip
        if kind == "flag_raised":
            return ngettext("%(num)d idea without a senior response was flagged to %(office)s.",
                            "%(num)d ideas without a senior response were flagged to %(office)s.",
                            count, office=office)  # fmt: skip
        if stalled:
            return ngettext("%(num)d idea answered but not decided in time was escalated to %(office)s.",
                            "%(num)d ideas answered but not decided in time were escalated to %(office)s.",
                            count, office=office)  # fmt: skip
        return ngettext("%(num)d idea without a senior response was escalated to %(office)s.",
                        "%(num)d ideas without a senior response were escalated to %(office)s.",
                        count, office=office)  # fmt: skip
    if idea is None:
        return None
    ref, title, level = idea.reference, idea.title, int(params.get("level") or 0)
    if kind in ("flag_assigned", "flag_escalated") and params.get("actor"):  # programme staff acted
        if kind == "flag_assigned":
            text = _("%(ref)s “%(title)s” was assigned to %(office)s by %(name)s.",
                     ref=ref, title=title, office=office, name=params["actor"])  # fmt: skip
        else:
            text = _("%(ref)s “%(title)s” was escalated to %(office)s (level %(level)d) by %(name)s.",
                     ref=ref, title=title, office=office, level=level, name=params["actor"])  # fmt: skip
        return _("%(text)s Note: %(note)s", text=text, note=params["note"]) if params.get("note") else text
    days = int(params.get("days") or 0)
    if kind == "flag_raised" and stalled:
        return _("%(ref)s “%(title)s” was answered but has had no decision for %(days)d working days; "
                 "it is now waiting on %(office)s for a decision.",
                 ref=ref, title=title, days=days, office=office)  # fmt: skip
    if kind == "flag_raised":
        return _("%(ref)s “%(title)s” has had no senior response for %(days)d working days; "
                 "it is now waiting on %(office)s.", ref=ref, title=title, days=days, office=office)  # fmt: skip
    if kind == "flag_escalated" and stalled:
        return _("%(ref)s “%(title)s” is still undecided and was escalated to %(office)s (level %(level)d).",
                 ref=ref, title=title, office=office, level=level)  # fmt: skip
    if kind == "flag_escalated":
        return _("%(ref)s “%(title)s” is still unanswered and was escalated to %(office)s (level %(level)d).",
                 ref=ref, title=title, office=office, level=level)  # fmt: skip
    if kind == "status":
        return _("%(name)s moved your idea “%(title)s” to %(status)s: %(note)s", name=params.get("actor", ""),
                 title=title, status=label(params.get("status")), note=params.get("note", ""))  # fmt: skip
    if kind == "adoption":
        return _("%(office)s is adopting “%(title)s” (%(ref)s).", office=office, title=title, ref=ref)
    return None


def render(note: Notification, idea: Idea | None = None, comment: Comment | None = None) -> str:
    """The notification's text for the current reader."""
    idea = idea or note.idea
    if note.params:
        text = from_params(note.kind, note.params, idea)
        if text:
            return text
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
