"""Idea and comment forms. Length rules are the service's (forum/limits.py); the forms only render maxlength."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired

from forum.limits import BODY_MAX, COMMENT_MAX, TITLE_MAX


class IdeaForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired()], render_kw={"maxlength": TITLE_MAX})
    body = TextAreaField(
        _l("Describe your idea (Markdown)"), validators=[DataRequired()], render_kw={"maxlength": BODY_MAX}
    )
    category = SelectField(_l("Category"), coerce=int, validators=[DataRequired()])
    tags = StringField(_l("Tags (up to 5, separated by commas)"))
    submit = SubmitField(_l("Post idea"))


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Your comment (Markdown)"), validators=[DataRequired()], render_kw={"maxlength": COMMENT_MAX}
    )
    parent_id = HiddenField()
    submit = SubmitField(_l("Post comment"))


class StatusForm(FlaskForm):
    """Move the idea: the service checks the move, the reason and the duplicate."""

    status = SelectField(_l("Status"))
    reason = SelectField(
        _l("Reason (when closing)"),
        choices=[
            SelectChoice("", "—"),
            SelectChoice("declined", _l("declined")),
            SelectChoice("duplicate", _l("duplicate")),
            SelectChoice("withdrawn", _l("withdrawn")),
        ],
        validate_choice=False,  # the service checks the reason and names it in its message
    )
    duplicate_of = StringField(_l("Duplicate of (reference or number)"))
    note = TextAreaField(_l("Note"), validators=[DataRequired()])
    submit = SubmitField(_l("Set status"))


class AdoptForm(FlaskForm):
    office = SelectField(_l("Office"))
    note = TextAreaField(_l("What are you doing with it?"), validators=[DataRequired()])
    submit = SubmitField(_l("Record adoption"))


class AdoptionStatusForm(FlaskForm):
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("started", _l("started")),
            SelectChoice("running", _l("running")),
            SelectChoice("dropped", _l("dropped")),
        ],
    )
    note = StringField(_l("Note"))
    submit = SubmitField(_l("Update"))
