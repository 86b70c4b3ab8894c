"""Follow-up forms: resolve, reassign or escalate a flag; add a holiday."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from forum.limits import HOLIDAY_NAME_MAX, NOTE_MAX


class ResolveForm(FlaskForm):
    note = TextAreaField(_l("Resolution note"), validators=[DataRequired(), Length(max=NOTE_MAX)])
    submit = SubmitField(_l("Resolve flag"))


class AssignForm(FlaskForm):
    """Reassign an open flag; the view fills `office` choices (codes) from the office table."""

    office = SelectField(_l("Assign to office"), validators=[DataRequired()])
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=NOTE_MAX)])
    submit = SubmitField(_l("Assign flag"))


class EscalateForm(FlaskForm):
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=NOTE_MAX)])
    submit = SubmitField(_l("Escalate flag"))


class HolidayForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=HOLIDAY_NAME_MAX)])
    submit = SubmitField(_l("Add holiday"))
