"""Idea and comment forms. Length rules are the service's; these only shape the page."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired


class IdeaForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired()])
    body = TextAreaField(_l("Describe your idea (Markdown)"), validators=[DataRequired()])
    category = SelectField(_l("Category"), coerce=int, validators=[DataRequired()])
    tags = StringField(_l("Tags (up to 5, separated by commas)"))
    submit = SubmitField(_l("Post idea"))


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Your comment (Markdown)"), validators=[DataRequired()])
    parent_id = HiddenField()
    submit = SubmitField(_l("Post comment"))


class StatusForm(FlaskForm):
    status = SelectField(_l("Status"))
    submit = SubmitField(_l("Set status"))
