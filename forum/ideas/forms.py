"""Idea and comment forms. Length rules are the service's (forum/limits.py); the forms only render maxlength."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
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
    status = SelectField(_l("Status"))
    submit = SubmitField(_l("Set status"))
