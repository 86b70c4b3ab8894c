"""Forgotten passwords: a signed link that expires and works once, sent by email through the mail outbox."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer

from forum.accounts.passwords import check_password_strength
from forum.accounts.service import end_sessions, normalise_email, revoke_all_tokens
from forum.domain_errors import ValidationError
from forum.extensions import db
from forum.localtime import digits_for, with_digits
from forum.mail.compose import recipient_locale
from forum.mail.links import MailSite, absolute_url
from forum.mail.outbox import queue_written
from forum.models import User

_SALT = "password-reset"
MAIL_KIND = "password_reset"


def _fingerprint(user: User) -> str:
    # Changes with the password and with "log out everywhere", so a used link (or one sent before either) is dead.
    return hashlib.sha256(f"{user.password_hash}:{user.session_version}".encode()).hexdigest()[:24]


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=_SALT)


def make_token(user: User, secret: str) -> str:
    """A reset token for this user and their current password; its age is checked when read."""
    return _serializer(secret).dumps([user.id, _fingerprint(user)])


def user_for_token(token: str, secret: str, max_age: timedelta) -> User | None:
    """The active user a genuine, unexpired, unused token names; None for anything else."""
    try:
        user_id, fingerprint = _serializer(secret).loads(token, max_age=int(max_age.total_seconds()))
    except (BadSignature, TypeError, ValueError):  # SignatureExpired is a BadSignature
        return None
    if not isinstance(user_id, int) or not isinstance(fingerprint, str):
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or not hmac.compare_digest(fingerprint, _fingerprint(user)):
        return None
    return user


def request_reset(email: object, site: MailSite, max_age: timedelta, now: datetime) -> bool:
    """Email a reset link to the active account with this address; False (and nothing sent) otherwise.

    The page says the same either way, so it cannot tell who has an account. At most one email per
    account per minute (the outbox's dedupe key), so the form cannot flood an inbox.
    """
    try:
        address = normalise_email(email)
    except ValidationError:
        return False
    user = db.session.scalar(sa.select(User).where(User.email == address))
    if user is None or not user.is_active:
        return False
    link = absolute_url(site, "accounts.reset_password", token=make_token(user, site.secret_key))
    hours = max(1, round(max_age.total_seconds() / 3600))
    env = current_app.jinja_env
    locale = recipient_locale(user, site.default_locale)
    with force_locale(locale):
        subject = _("Reset your PSI Forum password")
        bangla = digits_for(user.digits, locale)
        context = {"user": user, "link": link, "hours": hours, "subject": subject, "lang": locale,
                   "local_digits": lambda text: with_digits(text, bangla)}  # fmt: skip
        text = env.get_template("mail/password_reset.txt").render(**context)
        html = env.get_template("mail/password_reset.html").render(**context)
    return queue_written(user, MAIL_KIND, subject, text, html, None, f"{MAIL_KIND}:{user.id}:{now:%Y%m%d%H%M}")


def reset_password(user: User, new: str) -> User:
    """Set the new password; every session, socket and API token of the user ends, and the link with them."""
    user.set_password(check_password_strength(new, email=user.email, name=user.name))
    end_sessions(user)
    revoke_all_tokens(user)
    db.session.flush()
    return user
