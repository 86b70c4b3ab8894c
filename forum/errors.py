"""HTML error pages, and the one mapping from domain errors to page statuses.

Paths under /api/ that no API route matched (an unknown URL, a wrong method) still answer JSON, through
forum/api/errors.py; errors inside API routes never reach these handlers (the blueprint's own win).
"""

from flask import Flask, Response, render_template, request
from flask_babel import gettext as _
from markupsafe import escape
from werkzeug import exceptions as http

from forum.api.errors import domain_error_response, error_response
from forum.domain_errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from forum.extensions import db
from forum.security.unavailable import RETRY_AFTER_SECONDS, UNAVAILABLE

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

    def service_unavailable(error: Exception):
        # The database or Redis is out of reach: nothing was committed, so the client may simply retry.
        # The page is plain: the site's layout itself reads the database.
        try:
            db.session.rollback()
        except UNAVAILABLE:
            pass
        app.logger.warning("backing service unavailable: %s", type(error).__name__)
        try:
            message = _("The service is briefly unavailable. Nothing was saved; please try again in a few seconds.")
        except UNAVAILABLE:  # choosing the language reads the signed-in user, from the database that is down
            message = "The service is briefly unavailable. Nothing was saved; please try again in a few seconds."
        if _is_api():
            response = error_response(503, message)
        else:
            response = Response(f"<!doctype html><title>503</title><h1>503</h1><p>{escape(message)}</p>", 503)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    for kind in UNAVAILABLE:
        app.register_error_handler(kind, service_unavailable)
