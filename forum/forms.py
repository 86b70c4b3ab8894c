"""Helpers shared by page views that use Flask-WTF forms."""

from collections.abc import Callable
from typing import TypeVar

from flask_wtf import FlaskForm

from forum.errors import ValidationError
from forum.extensions import db

T = TypeVar("T")


def attach_error(form: FlaskForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form field it names (or the form)."""
    field = getattr(form, error.field, None)
    if field is not None and hasattr(field, "errors"):
        field.errors = list(field.errors) + [error.message]
    else:
        form.form_errors.append(error.message)


def commit_change(form: FlaskForm, change: Callable[[], T]) -> T | None:
    """Run a service change and commit it; on a ValidationError roll back, show it on the form and return None."""
    try:
        result = change()
        db.session.commit()
    except ValidationError as exc:
        db.session.rollback()
        attach_error(form, exc)
        return None
    return result


class ActionForm(FlaskForm):
    """An empty form: a CSRF token for one-button actions (endorse, follow, delete)."""
