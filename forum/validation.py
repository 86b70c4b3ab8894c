"""Field checks shared by every service: one place for each rule's wording."""

import unicodedata

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


def parse_int(value: object, field: str) -> int:
    """An integer id from JSON or a form, or ValidationError naming the field."""
    if isinstance(value, bool):
        raise ValidationError(field, f"{field} must be a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise ValidationError(field, f"{field} must be a whole number")
