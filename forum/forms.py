"""Helpers shared by page views that use Flask-WTF forms."""

from collections.abc import Callable, Mapping
from typing import TypeVar

from flask import abort, flash
from flask_wtf import FlaskForm

from forum.domain_errors import Conflict, ValidationError
from forum.extensions import db

T = TypeVar("T")


def attach_error(form: FlaskForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form field it names (or the form)."""
    field = getattr(form, error.field, None)
    if field is not None and hasattr(field, "errors"):
        field.errors = list(field.errors) + [error.message]
    else:
        form.form_errors.append(error.message)


def commit_change(form: FlaskForm, change: Callable[[], T], conflicts: Mapping[str, str] | None = None) -> T | None:
    """The one way a page view writes: run a service change and commit it, returning what it returned.

    On a ValidationError roll back and show it on the form; on a Conflict roll back and flash it (worded by
    `conflicts[reason]` when given); None either way. Any other error rolls back and propagates.
    """
    try:
        result = change()
        db.session.commit()
    except ValidationError as exc:
        db.session.rollback()
        attach_error(form, exc)
        return None
    except Conflict as exc:
        db.session.rollback()
        flash((conflicts or {}).get(exc.reason, exc.message), "error")
        return None
    except BaseException:
        db.session.rollback()
        raise
    return result


def commit_action(change: Callable[[], T], form: FlaskForm | None = None) -> T | None:
    """A button's POST: its form (by default the CSRF-only ActionForm) must validate, else 400; then commit_change."""
    form = form if form is not None else ActionForm()
    if not form.validate_on_submit():
        abort(400)
    return commit_change(form, change)


class ActionForm(FlaskForm):
    """An empty form: a CSRF token for one-button actions (endorse, follow, delete)."""
