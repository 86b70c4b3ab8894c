"""Domain errors: what services raise. Nothing here knows about HTTP; the edges map them to answers.

Pages map them in forum/errors.py, the JSON API in forum/api/errors.py, socket handlers to {"ok": false}.
"""


class DomainError(Exception):
    """Base of every error a service raises on purpose; `message` is safe to show the user."""

    code = "error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ValidationError(DomainError):
    """Bad input for one field; `too_large` when the field is over its length limit."""

    code = "invalid_field"

    def __init__(self, field: str, message: str, *, too_large: bool = False):
        super().__init__(message)
        self.field = field
        self.too_large = too_large
        if too_large:
            self.code = "too_large"

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class NotFound(DomainError):
    """The object asked for does not exist (or the caller may not know it exists)."""

    code = "not_found"


class Forbidden(DomainError):
    """The caller may not do this to this object."""

    code = "forbidden"


class Conflict(DomainError):
    """The object is no longer in a state that allows this; `reason` says which state, for the edges' wording."""

    code = "conflict"

    def __init__(self, message: str, *, reason: str = "conflict"):
        super().__init__(message)
        self.reason = reason


def too_long(field: str, limit: int) -> ValidationError:
    """The error for a field over its length limit."""
    return ValidationError(field, f"{field} must be at most {limit:,} characters", too_large=True)
