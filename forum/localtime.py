"""Dates as people read them: in their own time zone and language.

The database and the API keep UTC (ISO 8601 with an offset); pages and emails show local time.
Templates get `localtime` (text) and `timetag` (a `<time>` element that static/js/time.js keeps
current, e.g. "2 hours ago", while the page stays open).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.dates import format_datetime
from flask import Flask, current_app
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup, escape

DEFAULT_ZONE = "Asia/Dhaka"
FORMATS = {"date": "yyyy-MM-dd", "short": "yyyy-MM-dd HH:mm", "long": "d MMMM y, HH:mm zzzz"}


@lru_cache(maxsize=256)
def zone(name: str | None) -> ZoneInfo:
    """The named IANA zone, or Asia/Dhaka for an empty or unknown name."""
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def is_zone(name: object) -> bool:
    """Whether `name` is an IANA zone this system knows."""
    return isinstance(name, str) and name in _zone_names()


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_choices() -> list[str]:
    """Every known zone name, sorted (the profile's select)."""
    return sorted(n for n in _zone_names() if "/" in n and not n.startswith(("Etc/", "SystemV/", "posix/", "right/")))


def viewer_zone() -> ZoneInfo:
    """The signed-in user's zone, else Asia/Dhaka."""
    user = current_user
    return zone(getattr(user, "timezone", None) if user and user.is_authenticated else None)


def format_local(moment: datetime, tz: ZoneInfo, locale: str, fmt: str = "short") -> str:
    """`moment` as a local date/time string in the given zone and language."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_datetime(moment.astimezone(tz), FORMATS.get(fmt, fmt), tzinfo=tz, locale=locale)


def localtime(moment: datetime | None, fmt: str = "short", shared: bool = False) -> str:
    """Template filter: the moment in the viewer's zone and language.

    `shared`: for fragments cached for every viewer (the thread), use the site's zone
    (FOLLOWUP_TIMEZONE) instead; time.js then shows it in the viewer's own zone.
    """
    if moment is None:
        return ""
    tz = zone(current_app.config.get("FOLLOWUP_TIMEZONE")) if shared else viewer_zone()
    return digits(format_local(moment, tz, str(get_locale() or "en"), fmt), shared)


_BANGLA_DIGITS = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")


def digits_for(choice: str | None, locale: str) -> bool:
    """Whether a reader whose setting is `choice` ("bangla", "latin", None) reading in `locale` gets Bangla digits."""
    if choice:
        return choice == "bangla"
    return locale == "bn"


def bangla_digits(shared: bool = False) -> bool:
    """Whether numbers and dates show in Bangla digits: the reader's setting, else on while reading in Bangla.

    `shared` fragments (cached for every viewer) follow the language alone.
    """
    user = current_user
    choice = getattr(user, "digits", None) if not shared and user and user.is_authenticated else None
    return digits_for(choice, str(get_locale() or "en"))


def with_digits(value: object, bangla: bool) -> str:
    """The value as text, its ASCII digits made Bangla digits when `bangla` (markup stays markup)."""
    if value is None:
        return ""
    if not bangla:
        return value if isinstance(value, str) else str(value)
    text = str(value).translate(_BANGLA_DIGITS)
    # Already markup: only ASCII digits became Bangla digits, which adds no markup.
    return Markup(text) if isinstance(value, Markup) else text  # nosec B704


def digits(value: object, shared: bool = False) -> str:
    """Template filter: the value's digits as the reader wants them."""
    return with_digits(value, bangla_digits(shared))


def timetag(moment: datetime | None, fmt: str = "short", relative: bool = False, shared: bool = False) -> Markup:
    """Template filter: a `<time>` element; relative ones are rewritten as "2 hours ago" by time.js."""
    if moment is None:
        return Markup("")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    text = localtime(moment, fmt, shared)
    extra = ' data-relative=""' if relative else ""
    # Safe: every interpolated value is escaped.
    return Markup(f'<time datetime="{escape(moment.isoformat())}" title="{escape(text)}"{extra}>{escape(text)}</time>')  # nosec B704


def install(app: Flask) -> None:
    """Register the template filters."""
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["timetag"] = timetag
    app.jinja_env.filters["digits"] = digits
    app.jinja_env.globals["bangla_digits"] = bangla_digits
