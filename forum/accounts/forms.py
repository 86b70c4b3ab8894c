"""Account forms: sign-in, sign-up, profile, password."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Log in"))


class SignupForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Official email"), validators=[DataRequired(), Length(max=254)])
    designation = StringField(_l("Designation"), validators=[Length(max=120)])
    office = SelectField(_l("Office"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=8, max=200)])
    password2 = PasswordField(_l("Repeat password"), validators=[DataRequired(), EqualTo("password")])
    submit = SubmitField(_l("Request an account"))


class ProfileForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    designation = StringField(_l("Designation"), validators=[Length(max=120)])
    locale = SelectField(
        _l("Language"),
        choices=[SelectChoice("", _l("Browser default")), SelectChoice("en", "English"), SelectChoice("bn", "বাংলা")],
    )
    timezone = SelectField(_l("Time zone"), default="Asia/Dhaka")
    submit = SubmitField(_l("Save"))


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=200)])
    password2 = PasswordField(_l("Repeat new password"), validators=[DataRequired(), EqualTo("password")])
    submit = SubmitField(_l("Change password"))
