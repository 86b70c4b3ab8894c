"""Password rules: long enough, not a common password, not the user's own name or email.

zxcvbn (pinned) carries the frequency lists of common passwords, names and
words; the check against the user's own details follows Django's
UserAttributeSimilarityValidator.
"""

import re
from difflib import SequenceMatcher

from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from forum.domain_errors import ValidationError
from forum.limits import PASSWORD_MAX as MAX_PASSWORD
from forum.limits import PASSWORD_MIN as MIN_PASSWORD

# zxcvbn scores 0-4; 2 means "somewhat guessable": no common password or simple pattern of one.
MIN_SCORE = 2
# zxcvbn's matching is quadratic: its own limit is 72 characters, past which a password is long enough anyway.
_ZXCVBN_CHARS = 72
_SIMILARITY = 0.7
_NON_ALNUM = re.compile(r"[\W_]+")

_dummy_hash: str | None = None


def dummy_check(password: str) -> None:
    """Spend the time a real password check takes, for an account that does not exist."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = generate_password_hash("no-such-account-dummy")
    check_password_hash(_dummy_hash, password)


def _too_close(password: str, attributes: list[str]) -> bool:
    squashed = _NON_ALNUM.sub("", password.casefold())
    for attribute in attributes:
        value = _NON_ALNUM.sub("", attribute.casefold())
        if len(value) < 4:
            continue
        if value in squashed or (squashed and squashed in value):
            return True
        if SequenceMatcher(a=squashed, b=value).quick_ratio() >= _SIMILARITY and (
            SequenceMatcher(a=squashed, b=value).ratio() >= _SIMILARITY
        ):
            return True
    return False


def check_password_strength(password: object, *, email: str = "", name: str = "") -> str:
    """The password, or ValidationError("password") saying what is wrong with it."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise ValidationError("password", f"password must be at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise ValidationError("password", f"password must be at most {MAX_PASSWORD} characters")
    local_part = email.partition("@")[0]
    attributes = [a for a in (email, local_part, name, *name.split()) if a]
    if _too_close(password, attributes):
        raise ValidationError("password", "password is too similar to your name or email")
    result = zxcvbn(password[:_ZXCVBN_CHARS], user_inputs=attributes)
    if result["score"] < MIN_SCORE:
        warning = result["feedback"].get("warning") or "this password is too easy to guess"
        raise ValidationError("password", f"password is too easy to guess: {warning.rstrip('.').lower()}")
    return password
