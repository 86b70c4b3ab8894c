"""Field checks shared by every service: one place for each rule's wording."""

import unicodedata
from collections.abc import Mapping

from forum.errors import ValidationError, too_long


def clean_text(value: object, field: str, *, min_len: int = 1, max_len: int, oversize_is_413: bool = False) -> str:
    """Return value as NFC text, stripped, within its length limits, or raise ValidationError."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(field, f"{field} must be text")
    text = unicodedata.normalize("NFC", value).strip()
    # Control characters (other than line breaks and tabs) have no place in a post.
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    if len(text) > max_len:
        if oversize_is_413:
            raise too_long(field, max_len)
        raise ValidationError(field, f"{field} must be at most {max_len:,} characters")
    if len(text) < min_len:
        if min_len == 1:
            raise ValidationError(field, f"{field} is required")
        raise ValidationError(field, f"{field} must be at least {min_len} characters")
    return text


# The largest integer every supported database accepts as a parameter; beyond it SQLite raises OverflowError.
MAX_INT = 2**63 - 1


def parse_int(value: object, field: str) -> int:
    """An integer id from JSON or a form, or ValidationError naming the field."""
    if isinstance(value, bool):
        raise ValidationError(field, f"{field} must be a whole number")
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value.strip()) <= 20:
        value = int(value.strip())
    if isinstance(value, int):
        if abs(value) > MAX_INT:
            raise ValidationError(field, f"{field} is out of range")
        return value
    raise ValidationError(field, f"{field} must be a whole number")


def query_int(args: Mapping[str, str], name: str, default: int | None = None) -> int | None:
    """A positive whole number from a page's query string; anything else gives the default (pages never fail)."""
    try:
        value = parse_int(args.get(name), name)
    except ValidationError:
        return default
    # Cap far below MAX_INT so that page * per_page stays a valid OFFSET.
    return value if 0 < value <= 2**31 - 1 else default


def id_or_404(value: object, what: str) -> int:
    """A row id from a URL or request body; one that cannot be an id names no row, so 404."""
    from werkzeug.exceptions import NotFound

    try:
        return parse_int(value, f"{what}_id")
    except ValidationError:
        raise NotFound(f"No such {what}.") from None
