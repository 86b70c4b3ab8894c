"""Field checks shared by every service and edge: text, ids and page numbers, each bounded in one place."""

import unicodedata
from collections.abc import Mapping

from forum.domain_errors import NotFound, ValidationError, too_long


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


# The largest whole number a request may carry to the database. Every id column is an `integer`, which
# PostgreSQL keeps in 32 bits and binds as `::INTEGER`: a larger value there is "integer out of range" and
# aborts the transaction (SQLite would take up to 2**63 - 1). Nothing the forum counts comes near it.
MAX_INT = 2**31 - 1


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


# Page numbers: page * per_page is an OFFSET (a 64-bit bigint on PostgreSQL), so MAX_INT pages are safe.
MAX_PAGE = MAX_INT


def query_int(args: Mapping[str, str], name: str, default: int | None = None) -> int | None:
    """A positive whole number from a page's query string; anything else gives the default (pages never fail)."""
    try:
        value = parse_int(args.get(name), name)
    except ValidationError:
        return default
    return value if 0 < value <= MAX_PAGE else default


def bounded_int(args: Mapping[str, str], name: str, default: int, low: int, high: int = MAX_PAGE) -> int:
    """A whole number from an API query string within [low, high], the default when absent; else ValidationError."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    value = parse_int(raw, name)
    if not low <= value <= high:
        raise ValidationError(name, f"{name} must be between {low} and {high}")
    return value


def page_args(args: Mapping[str, str], per_page: int = 50, per_page_max: int = 100) -> tuple[int, int]:
    """`page` (from 1) and `per_page` (1 to per_page_max) from an API query string; bad values raise ValidationError."""
    return bounded_int(args, "page", 1, 1), bounded_int(args, "per_page", per_page, 1, per_page_max)


def id_or_404(value: object, what: str) -> int:
    """A row id from a URL or request body; one that cannot be an id (text, 20 digits) names no row: NotFound."""
    try:
        value = parse_int(value, f"{what}_id")
    except ValidationError:
        raise NotFound(f"No such {what}.") from None
    if value < 1:
        raise NotFound(f"No such {what}.")
    return value
