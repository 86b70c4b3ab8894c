"""Domain errors shared by every entry point, and the HTML error pages."""

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from forum.extensions import db


class ValidationError(Exception):
    """Bad input for one field; the API answers 422 (or 413 for an oversize field)."""

    def __init__(self, field: str, message: str, status: int = 422):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.status = status

    @property
    def code(self) -> str:
        return "too_large" if self.status == 413 else "invalid_field"


def too_long(field: str, limit: int) -> ValidationError:
    return ValidationError(field, f"{field} must be at most {limit:,} characters", status=413)


def register_error_pages(app: Flask) -> None:
    """HTML pages for HTTP errors; the API blueprint answers JSON itself."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if request.path.startswith("/api/"):
            from forum.api.errors import error_response

            return error_response(error.code or 500, error.description)
        return render_template("errors/error.html", error=error), error.code

    @app.errorhandler(500)
    def internal_error(error):
        db.session.rollback()
        if request.path.startswith("/api/"):
            from forum.api.errors import error_response

            return error_response(500, "Internal server error")
        return render_template("errors/error.html", error=None), 500
