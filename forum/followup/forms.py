"""Follow-up forms: resolve a flag with a note, add a holiday."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from forum.followup.service import NOTE_MAX


class ResolveForm(FlaskForm):
    note = TextAreaField(_l("Resolution note"), validators=[DataRequired(), Length(max=NOTE_MAX)])
    submit = SubmitField(_l("Resolve flag"))


class HolidayForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    submit = SubmitField(_l("Add holiday"))
