"""Every API error has the shape {"error": {"code", "message"}}."""

from flask import jsonify
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from forum.api import bp
from forum.errors import ValidationError

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_field",
    429: "rate_limited",
    500: "internal_error",
}


def error_response(status: int, message: str | None = None, code: str | None = None, **extra):
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


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    return error_response(error.code or 500, error.description)


@bp.errorhandler(ValidationError)
def validation_error(error: ValidationError):
    return error_response(error.status, error.message, code=error.code, field=error.field)
