"""HTML error pages, and the one mapping from domain errors to page statuses.

Paths under /api/ that no API route matched (an unknown URL, a wrong method) still answer JSON, through
forum/api/errors.py; errors inside API routes never reach these handlers (the blueprint's own win).
"""

from flask import Flask, render_template, request
from werkzeug import exceptions as http

from forum.api.errors import domain_error_response, error_response
from forum.domain_errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from forum.extensions import db

# The page a domain error becomes when a view does not handle it itself (views show a ValidationError
# on their form and a Conflict as a flash message; what is left is a plain error page).
PAGE_ERRORS: dict[type[DomainError], type[http.HTTPException]] = {
    NotFound: http.NotFound,
    Forbidden: http.Forbidden,
    Conflict: http.Conflict,
    ValidationError: http.UnprocessableEntity,
}


def page_error(error: DomainError) -> http.HTTPException:
    """The HTTP error a page shows for a domain error."""
    if isinstance(error, ValidationError) and error.too_large:
        return http.RequestEntityTooLarge(error.message)
    kind = next(page for domain, page in PAGE_ERRORS.items() if isinstance(error, domain))
    return kind(error.message)


def _is_api() -> bool:
    return request.path.startswith("/api/")


def register_error_pages(app: Flask) -> None:
    """HTML pages for HTTP and domain errors; the API blueprint answers JSON itself."""

    @app.errorhandler(http.HTTPException)
    def http_error(error: http.HTTPException):
        if _is_api():
            return error_response(error.code or 500, error.description)
        return render_template("errors/error.html", error=error), error.code

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        if _is_api():
            return domain_error_response(error)
        return http_error(page_error(error))

    @app.errorhandler(500)
    def internal_error(error):
        db.session.rollback()
        if _is_api():
            return error_response(500, "Internal server error")
        return render_template("errors/error.html", error=None), 500
