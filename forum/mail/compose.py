"""Write each email in its recipient's language and time zone: a subject, plain text and HTML."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from forum.localtime import digits_for, format_local, with_digits, zone
from forum.mail.bodies import absolute_html, plain_text
from forum.mail.links import MailSite, absolute_url, unsubscribe_url
from forum.models import Comment, Flag, Notification, User
from forum.notifications.text import render as notification_text


@dataclass
class Written:
    """A finished email."""

    subject: str
    text: str
    html: str
    unsubscribe: str


def recipient_locale(user: User, default_locale: str) -> str:
    """The language the user reads the site in (their profile choice, else the site default)."""
    return user.locale or default_locale


def render(site: MailSite, user: User, kind: str, template: str, subject: str, **context) -> Written:
    """Render mail/<template>.txt and .html for `user`; `subject` is already translated."""
    unsubscribe = unsubscribe_url(site, user.id, kind)
    tz, locale = zone(user.timezone), recipient_locale(user, site.default_locale)
    bangla = digits_for(user.digits, locale)  # the recipient's digits setting, as on the site

    def when(moment, fmt: str = "short") -> str:
        return with_digits(format_local(moment, tz, locale, fmt), bangla)

    base = site.base_url
    context.update(
        # Posts in the text part read as text (mentions "@Name"); in the HTML part their links are absolute.
        post_text=lambda html: plain_text(html, base),
        post_html=lambda html: absolute_html(html, base),
        user=user,
        kind=kind,
        subject=subject,
        lang=locale,
        when=when,
        local_digits=lambda text: with_digits(text, bangla),  # counts in phrases ("3 new comments")
        unsubscribe_url=unsubscribe,
        preferences_url=absolute_url(site, "accounts.profile", _anchor="email"),
        site_url=absolute_url(site, "ideas.index"),
    )
    # Straight from the environment: the page context processors need a request, and mail has none.
    env = current_app.jinja_env
    text = env.get_template(f"mail/{template}.txt").render(**context)
    html = env.get_template(f"mail/{template}.html").render(**context)
    return Written(subject=subject, text=text, html=html, unsubscribe=unsubscribe)


def write_notification(session: so.Session, note: Notification, kind: str, site: MailSite) -> Written:
    """The immediate email for one notification."""
    user = note.user
    with force_locale(recipient_locale(user, site.default_locale)):
        idea = note.idea
        comment = session.get(Comment, note.comment_id) if note.comment_id else None
        actor = comment.author if comment is not None else None
        # The newest flag is the one this note is about (an idea may have one per clock).
        flag = (
            session.scalar(sa.select(Flag).where(Flag.idea_id == idea.id).order_by(Flag.id.desc()).limit(1))
            if kind == "flag" and idea
            else None
        )
        link = None
        if idea is not None:
            link = absolute_url(site, "ideas.show", idea_id=idea.id, _anchor=f"c{comment.id}" if comment else None)
        title = idea.title if idea else ""
        if kind == "mention":
            subject = _("%(name)s mentioned you: %(title)s", name=actor.name if actor else "", title=title)
        elif kind == "official_reply":
            subject = _("Official response from %(name)s: %(title)s", name=actor.name if actor else "", title=title)
        elif kind == "reply" and note.kind == "reply":
            subject = _("%(name)s replied to your comment: %(title)s", name=actor.name if actor else "", title=title)
        elif kind == "reply":
            subject = _("%(name)s commented on your idea: %(title)s", name=actor.name if actor else "", title=title)
        elif flag is not None:
            subject = _(
                "%(ref)s is waiting on %(office)s: %(title)s",
                ref=idea.reference,
                office=flag.assigned_office.name,
                title=title,
            )
        else:
            subject = notification_text(note, idea, comment)
        return render(
            site,
            user,
            kind,
            "notification",
            f"[{_('PSI Forum')}] {subject}",
            note=note,
            idea=idea,
            comment=comment if comment is not None and not comment.is_deleted else None,
            actor=actor,
            flag=flag,
            link=link,
            note_text=notification_text(note, idea, comment),
        )


def write_notifications(session: so.Session, notes: list[Notification], kind: str, site: MailSite) -> Written:
    """One email for several notifications of one kind about one idea ("3 new replies on ..."), oldest first."""
    user, idea = notes[0].user, notes[0].idea
    comments = {
        c.id: c
        for c in session.scalars(
            sa.select(Comment)
            .where(Comment.id.in_([n.comment_id for n in notes if n.comment_id]))
            .options(so.joinedload(Comment.author))
        )
    }
    with force_locale(recipient_locale(user, site.default_locale)):
        items = []
        for note in sorted(notes, key=lambda n: n.id):
            comment = comments.get(note.comment_id) if note.comment_id else None
            items.append(
                {
                    "text": notification_text(note, idea, comment),
                    "comment": comment if comment is not None and not comment.is_deleted else None,
                    "link": absolute_url(
                        site, "ideas.show", idea_id=idea.id, _anchor=f"c{comment.id}" if comment else None
                    ),
                }
            )
        title = idea.title if idea else ""
        # The count in the reader's digits; the title (a mark until then) as its author wrote it.
        mark = "\x00title\x00"
        if kind == "mention":
            subject = ngettext(
                "%(num)d new mention in: %(title)s", "%(num)d new mentions in: %(title)s", len(notes), title=mark
            )
        else:
            subject = ngettext(
                "%(num)d new reply on: %(title)s", "%(num)d new replies on: %(title)s", len(notes), title=mark
            )
        bangla = digits_for(user.digits, recipient_locale(user, site.default_locale))
        subject = with_digits(subject, bangla).replace(mark, title)
        return render(
            site,
            user,
            kind,
            "notifications",
            f"[{_('PSI Forum')}] {subject}",
            idea=idea,
            items=items,
            link=absolute_url(site, "ideas.show", idea_id=idea.id),
        )
