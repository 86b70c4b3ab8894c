"""A backing service that is down (PostgreSQL, Redis) is a 503 the client may retry, never a 500.

Found by bench/fault.py: with PostgreSQL or Redis stopped for a few seconds, every request answered 500
"Internal server error", which tells a client nothing about whether to try again. Nothing was written in
those requests (the transaction never committed), so "try again" is the truthful answer.
"""

import redis.exceptions
import sqlalchemy.exc
from limits.errors import StorageError

# Connection-level failures only: a constraint violation or a bad query stays a bug (500).
UNAVAILABLE: tuple[type[BaseException], ...] = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    StorageError,
)
RETRY_AFTER_SECONDS = 5


def is_unavailable(error: BaseException) -> bool:
    """True when `error` means a backing service is briefly out of reach (retrying later may succeed)."""
    return isinstance(error, UNAVAILABLE)
