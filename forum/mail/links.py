"""Absolute links for emails (often written outside any request) and signed unsubscribe tokens."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

_SALT = "mail-unsubscribe"


@dataclass(frozen=True)
class MailSite:
    """What every email needs from the settings, read once at the edge (the sender, the scheduler, a view)."""

    base_url: str  # PUBLIC_BASE_URL: the address readers use
    secret_key: str  # SECRET_KEY: signs the unsubscribe links
    default_locale: str = "en"  # BABEL_DEFAULT_LOCALE: for readers who never chose a language

    @classmethod
    def from_config(cls, config: Mapping) -> MailSite:
        return cls(config["PUBLIC_BASE_URL"], config["SECRET_KEY"], config.get("BABEL_DEFAULT_LOCALE") or "en")


def absolute_url(site: MailSite, endpoint: str, **values: object) -> str:
    """The full URL of an endpoint under the site's public address."""
    anchor = values.pop("_anchor", None)
    base = urlsplit(site.base_url)
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http")
    url = adapter.build(endpoint, {k: v for k, v in values.items() if v is not None}, force_external=True)
    return f"{url}#{anchor}" if anchor else url


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=_SALT)


def unsubscribe_token(secret_key: str, user_id: int, kind: str) -> str:
    """A token that lets its holder turn one kind of email off for one user, without logging in."""
    return _serializer(secret_key).dumps([user_id, kind])


def read_unsubscribe_token(secret_key: str, token: str) -> tuple[int, str] | None:
    """(user id, kind) from a genuine token, else None."""
    try:
        user_id, kind = _serializer(secret_key).loads(token)
    except (BadSignature, TypeError, ValueError):
        return None
    if not isinstance(user_id, int) or not isinstance(kind, str):
        return None
    return user_id, kind


def unsubscribe_url(site: MailSite, user_id: int, kind: str) -> str:
    """The one-click unsubscribe link for one kind of email."""
    return absolute_url(site, "mail.unsubscribe", token=unsubscribe_token(site.secret_key, user_id, kind))
