"""Helpers shared by page views that use Flask-WTF forms."""

from flask_wtf import FlaskForm

from forum.errors import ValidationError


def attach_error(form: FlaskForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form field it names (or the form)."""
    field = getattr(form, error.field, None)
    if field is not None and hasattr(field, "errors"):
        field.errors = list(field.errors) + [error.message]
    else:
        form.form_errors.append(error.message)


class ActionForm(FlaskForm):
    """An empty form: a CSRF token for one-button actions (endorse, follow, delete)."""
