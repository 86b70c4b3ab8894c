"""Every API error has the shape {"error": {"code", "message"}}: the one mapping from errors to JSON answers."""

from flask import Response, jsonify
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from forum.api import bp
from forum.domain_errors import Conflict, DomainError, Forbidden, NotFound, ValidationError

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_field",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}

# The status of each domain error (SPEC section 3).
DOMAIN_STATUS: dict[type[DomainError], int] = {NotFound: 404, Forbidden: 403, Conflict: 409, ValidationError: 422}


def error_response(status: int, message: str | None = None, code: str | None = None, **extra) -> Response:
    """The SPEC error body with `status`; 401 also names the Bearer scheme."""
    body = {
        "error": {
            "code": code or _CODES.get(status, "error"),
            "message": message or HTTP_STATUS_CODES.get(status, "Error"),
            **extra,
        }
    }
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def domain_error_response(error: DomainError) -> Response:
    """A service's error as the API answers it: 404, 403, 409, 422 naming the field, or 413 for an oversize field."""
    if isinstance(error, ValidationError):
        return error_response(413 if error.too_large else 422, error.message, code=error.code, field=error.field)
    status = next(s for kind, s in DOMAIN_STATUS.items() if isinstance(error, kind))
    return error_response(status, error.message, code=error.code)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    return error_response(error.code or 500, error.description)


@bp.errorhandler(DomainError)
def domain_error(error: DomainError):
    return domain_error_response(error)
