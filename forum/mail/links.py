"""Absolute links for emails (often written outside any request) and signed unsubscribe tokens."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

_SALT = "mail-unsubscribe"


def absolute_url(endpoint: str, **values: object) -> str:
    """The full URL of an endpoint under PUBLIC_BASE_URL (the address readers use)."""
    anchor = values.pop("_anchor", None)
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http")
    url = adapter.build(endpoint, {k: v for k, v in values.items() if v is not None}, force_external=True)
    return f"{url}#{anchor}" if anchor else url


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def unsubscribe_token(user_id: int, kind: str) -> str:
    """A token that lets its holder turn one kind of email off for one user, without logging in."""
    return _serializer().dumps([user_id, kind])


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    """(user id, kind) from a genuine token, else None."""
    try:
        user_id, kind = _serializer().loads(token)
    except (BadSignature, TypeError, ValueError):
        return None
    if not isinstance(user_id, int) or not isinstance(kind, str):
        return None
    return user_id, kind


def unsubscribe_url(user_id: int, kind: str) -> str:
    """The one-click unsubscribe link for one kind of email."""
    return absolute_url("mail.unsubscribe", token=unsubscribe_token(user_id, kind))
