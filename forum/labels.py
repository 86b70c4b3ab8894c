"""Words stored as codes (statuses, roles) shown in the reader's language: the `label` template filter."""

from flask import Flask
from flask_babel import lazy_gettext as _l

LABELS = {
    # idea statuses
    "open": _l("open"),
    "under_review": _l("under review"),
    "piloting": _l("piloting"),
    "implemented": _l("implemented"),
    "replicated": _l("replicated"),
    "closed": _l("closed"),
    # roles
    "officer": _l("officer"),
    "senior": _l("senior official"),
    "staff": _l("programme staff"),
    "admin": _l("administrator"),
    # account and flag states
    "active": _l("active"),
    "pending": _l("waiting for approval"),
    "disabled": _l("disabled"),
    "deactivated": _l("deactivated"),
    "resolved": _l("resolved"),
    # flag kinds: the two follow-up clocks
    "unanswered": _l("waiting for a first answer"),
    "stalled": _l("waiting for a decision"),
}


def label(code: str | None) -> str:
    """The code's words in the current language; an unknown code as it is, underscores as spaces."""
    if code is None:
        return ""
    found = LABELS.get(code)
    return str(found) if found is not None else code.replace("_", " ")


def install(app: Flask) -> None:
    app.jinja_env.filters["label"] = label
