"""Per-account limits besides the per-IP ones: failed sign-ins per email, password changes per user."""

from flask import current_app, g, request
from flask_login import current_user
from werkzeug.wrappers import Response

# The page and the API token endpoint count one account's failures together.
SIGN_IN_SCOPE = "account-sign-in"


def account_key() -> str:
    """The limiter key of the account a sign-in names (its email as typed, normalised), whatever the IP."""
    email = request.form.get("email")
    if email is None:
        data = request.get_json(silent=True)
        email = data.get("email") if isinstance(data, dict) else None
    email = email.strip().lower()[:254] if isinstance(email, str) else ""
    return f"account:{email}"


def user_key() -> str:
    return f"user:{current_user.get_id() or request.remote_addr}"


def login_limit() -> str:
    return current_app.config["LOGIN_FAILURES_PER_ACCOUNT"]


def password_change_limit() -> str:
    return current_app.config["PASSWORD_CHANGES_PER_USER"]


def mark_failed_login() -> None:
    """Count this request against the account's failed sign-in limit."""
    g.failed_login = True


def failed_login(response: Response) -> bool:
    return bool(g.get("failed_login"))


def mark_password_change() -> None:
    """Count this request against the user's password-change limit (right or wrong current password)."""
    g.password_change = True


def password_change_attempted(response: Response) -> bool:
    return bool(g.get("password_change"))
