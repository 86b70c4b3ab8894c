"""Per-kind email preferences: immediate, daily, weekly or never."""

from __future__ import annotations

from forum.domain_errors import ValidationError
from forum.extensions import db
from forum.models import EmailPreference, User

KINDS = ("mention", "reply", "official_reply", "flag", "digest")
FREQUENCIES = ("immediate", "daily", "weekly", "never")
DEFAULTS = {
    "mention": "immediate",
    "reply": "immediate",
    "official_reply": "immediate",
    "flag": "immediate",
    "digest": "weekly",
}

# Immediate emails about posts wait MAIL_NOTIFY_DELAY_SECONDS, grouped per reader and idea, and are dropped
# once the reader has read them on the site (forum/mail/sender.py); flags go at once.
DELAYED_KINDS = ("mention", "reply", "official_reply")

# Which email preference governs each kind of in-app notification.
NOTIFICATION_KINDS = {
    "mention": "mention",
    "reply": "reply",
    "comment": "reply",
    "official_response": "official_reply",
    "flag_raised": "flag",
    "flag_escalated": "flag",
    "flag_assigned": "flag",
}


def preferences(user: User) -> dict[str, str]:
    """The user's frequency for each kind (defaults where never chosen)."""
    row = db.session.get(EmailPreference, user.id)
    if row is None:
        return dict(DEFAULTS)
    return {kind: getattr(row, kind) or DEFAULTS[kind] for kind in KINDS}


def frequency(user: User, kind: str) -> str:
    """How often the user wants emails of one kind."""
    return preferences(user)[kind]


def update_preferences(user: User, changes: object) -> dict[str, str]:
    """Set any subset of the kinds; refuses unknown kinds and frequencies (nothing is written then)."""
    if not isinstance(changes, dict):
        raise ValidationError("preferences", "expected an object of kind: frequency")
    for kind, value in changes.items():
        if kind not in KINDS:
            raise ValidationError(str(kind), f"{kind} is not a kind of email; the kinds are {', '.join(KINDS)}")
        if value not in FREQUENCIES:
            raise ValidationError(kind, f"{kind} must be one of {', '.join(FREQUENCIES)}")
    row = db.session.get(EmailPreference, user.id)
    if row is None:
        row = EmailPreference(user_id=user.id, **DEFAULTS)
        db.session.add(row)
    for kind, value in changes.items():
        setattr(row, kind, value)
    db.session.flush()
    return preferences(user)
