"""Admin forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from forum.limits import (
    CATEGORY_NAME_MAX,
    EMAIL_MAX,
    OFFICE_CODE_MAX,
    OFFICE_NAME_MAX,
    PASSWORD_MAX,
    PASSWORD_MIN,
    PERSON_NAME_MAX,
)
from forum.models import ROLES


class OfficeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=OFFICE_CODE_MAX)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=OFFICE_NAME_MAX)])
    parent = SelectField(_l("Parent office"), validators=[Optional()])
    submit = SubmitField(_l("Save office"))


class CategoryForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=CATEGORY_NAME_MAX)])
    office = SelectField(_l("Owning office"), validators=[Optional()])
    submit = SubmitField(_l("Save category"))


class UserForm(FlaskForm):
    """Create a user directly (an invitation without the e-mail)."""

    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=PERSON_NAME_MAX)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=EMAIL_MAX)])
    role = SelectField(_l("Role"), choices=[SelectChoice(r) for r in ROLES])
    office = SelectField(_l("Office"), validators=[DataRequired()])
    password = PasswordField(
        _l("Initial password"), validators=[DataRequired(), Length(min=PASSWORD_MIN, max=PASSWORD_MAX)]
    )
    submit = SubmitField(_l("Create user"))


class UserRoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[SelectChoice(r) for r in ROLES])
    office = SelectField(_l("Office"))
    status = SelectField(
        _l("Status"), choices=[SelectChoice("active", _l("active")), SelectChoice("deactivated", _l("deactivated"))]
    )
    submit = SubmitField(_l("Save"))
