"""Account forms: sign-in, sign-up, profile, password."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from forum.limits import EMAIL_MAX, PASSWORD_MAX, PASSWORD_MIN, PERSON_NAME_MAX


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=EMAIL_MAX)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=PASSWORD_MAX)])
    submit = SubmitField(_l("Log in"))


class SignupForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=PERSON_NAME_MAX)])
    email = EmailField(_l("Official email"), validators=[DataRequired(), Length(max=EMAIL_MAX)])
    designation = StringField(_l("Designation"), validators=[Length(max=PERSON_NAME_MAX)])
    office = SelectField(_l("Office"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=PASSWORD_MIN, max=PASSWORD_MAX)])
    password2 = PasswordField(_l("Repeat password"), validators=[DataRequired(), EqualTo("password")])
    submit = SubmitField(_l("Request an account"))


class ProfileForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=PERSON_NAME_MAX)])
    designation = StringField(_l("Designation"), validators=[Length(max=PERSON_NAME_MAX)])
    locale = SelectField(
        _l("Language"),
        choices=[SelectChoice("", _l("Browser default")), SelectChoice("en", "English"), SelectChoice("bn", "বাংলা")],
    )
    timezone = SelectField(_l("Time zone"), default="Asia/Dhaka")
    digits = SelectField(
        _l("Digits in numbers and dates"),
        choices=[
            SelectChoice("", _l("Bangla digits when reading in Bangla")),
            SelectChoice("bangla", _l("Always Bangla digits (০১২৩)")),
            SelectChoice("latin", _l("Always 0123")),
        ],
        # Checked by the service, so that a form without the field (older pages, scripts) leaves it alone.
        validate_choice=False,
    )
    submit = SubmitField(_l("Save"))


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=PASSWORD_MIN, max=PASSWORD_MAX)]
    )
    password2 = PasswordField(_l("Repeat new password"), validators=[DataRequired(), EqualTo("password")])
    submit = SubmitField(_l("Change password"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=EMAIL_MAX)])
    submit = SubmitField(_l("Send me a reset link"))


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=PASSWORD_MIN, max=PASSWORD_MAX)]
    )
    password2 = PasswordField(_l("Repeat new password"), validators=[DataRequired(), EqualTo("password")])
    submit = SubmitField(_l("Set the new password"))
