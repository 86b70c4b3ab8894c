"""Sign-in, sign-up (approved by an admin), profile and API tokens."""

from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from forum.accounts import password_reset, throttling
from forum.accounts import service as accounts
from forum.accounts.forms import (
    ForgotPasswordForm,
    LoginForm,
    PasswordForm,
    ProfileForm,
    ResetPasswordForm,
    SignupForm,
)
from forum.auth import load_viewer
from forum.domain_errors import ValidationError
from forum.extensions import db, limiter, login_manager
from forum.forms import ActionForm, attach_error, commit_change
from forum.ideas import service as ideas
from forum.lifecycle import service as lifecycle
from forum.limits import LANGUAGES
from forum.localtime import zone_choices
from forum.mail.forms import EmailPreferencesForm
from forum.mail.links import MailSite
from forum.mail.preferences import preferences, update_preferences
from forum.models import Office, User, utcnow
from forum.validation import id_or_404

bp = Blueprint("accounts", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    uid, _, version = user_id.partition(":")
    if not uid.isdigit():
        return None
    return load_viewer(int(uid), version)  # with the unread count, in one query


def _office_choices() -> list[tuple[str, str]]:
    offices = db.session.scalars(sa.select(Office).order_by(Office.name))
    return [(o.code, f"{o.name} ({o.code})") for o in offices]


def _safe_next(target: str | None) -> str:
    """A local path to go to after login, never another site (open-redirect protection)."""
    # Browsers read "/\\evil" as "//evil" and drop tabs and newlines, so refuse those outright.
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
        and not urlsplit(target).netloc
        and not urlsplit(target).scheme
    ):
        return target
    return url_for("ideas.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
@limiter.shared_limit(
    throttling.login_limit,
    throttling.SIGN_IN_SCOPE,
    methods=["POST"],
    key_func=throttling.account_key,
    deduct_when=throttling.failed_login,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("ideas.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            throttling.mark_failed_login()
            if accounts.awaiting_approval(form.email.data, form.password.data):
                form.form_errors.append(_("Your account is waiting for an administrator's approval."))
            else:
                form.form_errors.append(_("Wrong email or password."))
        else:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    """Log out everywhere: every session and live connection of this user ends."""
    if ActionForm().validate_on_submit():
        accounts.end_sessions(current_user)
        db.session.commit()
        logout_user()
        flash(_("You have logged out."))
    return redirect(url_for("accounts.login"))


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def signup():
    form = SignupForm()
    # Nothing preselected: a newcomer picks their own office (the list can be searched, ui.js).
    form.office.choices = [("", _("Choose your office"))] + _office_choices()
    valid = False
    if form.is_submitted():
        # Every problem at once: the form's own checks and the service's (email taken, weak password) together.
        valid = form.validate()
        for problem in accounts.sign_up_problems(form.email.data, form.name.data, form.password.data):
            if not getattr(form, problem.field).errors:
                attach_error(form, problem)
                valid = False
    if valid:
        if commit_change(
            form,
            lambda: accounts.sign_up(
                form.email.data, form.name.data, form.office.data, form.password.data, form.designation.data
            ),
        ):
            flash(_("Thank you. An administrator will approve your account; then you can log in."))
            return redirect(url_for("accounts.login"))
    return render_template("accounts/signup.html", form=form)


def _reset_max_age() -> timedelta:
    return timedelta(hours=float(current_app.config["PASSWORD_RESET_HOURS"]))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"])
def forgot_password():
    """Ask for a reset link by email; the answer is the same whether or not the address has an account."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.profile"))
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        site = MailSite.from_config(current_app.config)
        sent = commit_change(
            form, lambda: password_reset.request_reset(form.email.data, site, _reset_max_age(), utcnow())
        )
        if sent is not None:
            flash(_("If an active account uses that email, a link to choose a new password is on its way."))
            return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def reset_password(token: str):
    """Choose a new password from an emailed link (signed, expiring, single use)."""
    user = password_reset.user_for_token(token, current_app.config["SECRET_KEY"], _reset_max_age())
    if user is None:
        # 404 (no such link), with the form to ask for a new one right there.
        return render_template("accounts/forgot_password.html", form=ForgotPasswordForm(), dead_link=True), 404
    form = ResetPasswordForm()
    if form.validate_on_submit() and commit_change(
        form, lambda: password_reset.reset_password(user, form.password.data)
    ):
        flash(_("Your password is changed. Log in with the new one."))
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form, user=user)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
@limiter.limit(
    throttling.password_change_limit,
    methods=["POST"],
    key_func=throttling.user_key,
    deduct_when=throttling.password_change_attempted,
)
def profile():
    form = ProfileForm(obj=current_user)
    form.timezone.choices = zone_choices()
    if request.method == "GET":
        form.locale.data = current_user.locale or ""
        form.digits.data = current_user.digits or ""
    password_form = PasswordForm(prefix="pw")
    email_form = EmailPreferencesForm(prefix="mail", data=preferences(current_user))
    if email_form.submit.data and email_form.validate_on_submit():
        update_preferences(current_user, email_form.chosen())
        db.session.commit()
        flash(_("Email settings saved."))
        return redirect(url_for("accounts.profile") + "#email")
    if form.submit.data and form.validate_on_submit():
        try:
            accounts.update_profile(
                current_user,
                form.name.data,
                form.designation.data,
                form.locale.data,
                form.timezone.data,
                form.digits.data,
            )
            db.session.commit()
            session.pop("lang", None)
            flash(_("Profile saved."))
            return redirect(url_for("accounts.profile"))
        except ValidationError as exc:
            db.session.rollback()
            attach_error(form, exc)
    if password_form.submit.data and password_form.validate_on_submit():
        throttling.mark_password_change()
        try:
            user = current_user._get_current_object()
            accounts.change_password(user, password_form.current_password.data, password_form.password.data)
            db.session.commit()
            # Every other session, socket and token has ended; this browser signs in again with the new version.
            login_user(user)
            flash(_("Password changed. You have been signed out everywhere else."))
            return redirect(url_for("accounts.profile"))
        except ValidationError as exc:
            db.session.rollback()
            attach_error(password_form, exc)
    my_ideas = db.session.scalars(ideas.ideas_query(author_id=current_user.id).limit(20)).all()
    return render_template(
        "accounts/profile.html",
        form=form,
        password_form=password_form,
        email_form=email_form,
        user=current_user,
        ideas=my_ideas,
        outcomes=lifecycle.outcomes(author_id=current_user.id),
        tokens=accounts.user_tokens(current_user),
        token_max_age=timedelta(days=float(current_app.config["API_TOKEN_DAYS"])),
        now=utcnow(),
        revoke_form=ActionForm(),
    )


@bp.post("/profile/tokens/<token_id>/revoke")
@login_required
def revoke_token(token_id: str):
    """Revoke one of your API tokens; sockets opened with it are disconnected at once."""
    if ActionForm().validate_on_submit():
        if accounts.revoke_token_of(current_user, id_or_404(token_id, "token")):
            db.session.commit()
            flash(_("Token revoked."))
        else:
            abort(404)
    return redirect(url_for("accounts.profile"))


@bp.get("/users/<int:user_id>")
@login_required
def user_page(user_id: int):
    user = db.get_or_404(User, user_id)
    user_ideas = db.session.scalars(ideas.ideas_query(author_id=user.id).limit(50)).all()
    outcomes = lifecycle.outcomes(author_id=user.id)
    return render_template("accounts/user.html", user=user, ideas=user_ideas, outcomes=outcomes)


@bp.get("/lang/<code>")
def set_language(code: str):
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(_safe_next(request.args.get("next")))
