"""Hostile input refused up front: deeply nested JSON and NUL characters give 400, never a 500
(a NUL in a GET's query string is dropped instead, so list and search filters never fail).

json.loads raises RecursionError (not ValueError) on deep nesting, and
PostgreSQL refuses NUL in text parameters where SQLite takes it, so both are
stopped before any view sees them, the same way on both databases.
"""

from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from forum.validation import MAX_INT

# Deeper than any request this API takes; deep enough nesting crashes the parser itself.
MAX_JSON_DEPTH = 32


def _check(value: Any) -> None:
    """ValueError for nesting past MAX_JSON_DEPTH or a NUL anywhere in a key or string."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise ValueError("NUL characters are not allowed")
        elif isinstance(item, (list, dict)):
            if depth > MAX_JSON_DEPTH:
                raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
            if isinstance(item, dict):
                stack.extend((key, depth) for key in item)
                stack.extend((child, depth + 1) for child in item.values())
            else:
                stack.extend((child, depth + 1) for child in item)


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing (ValueError, so request.get_json answers 400) what would crash or corrupt."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
        _check(value)
        return value


def _has_nul(values: Any) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values.getlist(key)) for key in values)


class BoundedIntConverter(IntegerConverter):
    """<int:...> in a URL: a number past MAX_INT names no row, so the URL matches nothing (404)."""

    def __init__(self, map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)


def init_inputs(app: Flask) -> None:
    """Install the safe JSON reader and bounded URL ids; refuse NUL in the path, query string and form fields."""
    app.json_provider_class = SafeJSONProvider
    app.json = SafeJSONProvider(app)
    app.url_map.converters["int"] = BoundedIntConverter

    @app.before_request
    def refuse_hostile_input() -> None:
        if _has_nul(request.args) and request.method == "GET":
            # Reading never fails on a filter: a NUL is dropped from a GET's query string (pages and API alike).
            request.args = ImmutableMultiDict(
                [(k.replace("\x00", ""), v.replace("\x00", "")) for k, v in request.args.items(multi=True)]
            )
        if "\x00" in request.path or _has_nul(request.args) or (request.form and _has_nul(request.form)):
            raise BadRequest("NUL characters are not allowed in a request.")
        if request.path.startswith("/api/") and request.is_json and request.content_length:
            # Read now: a JSON body that is malformed, too deep or holds a NUL is 400 whatever the route.
            request.get_json()
