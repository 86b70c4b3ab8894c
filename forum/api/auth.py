"""Bearer-token authentication for the API, and the token endpoints."""

from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from flask import current_app, g, request
from werkzeug.exceptions import BadRequest, Forbidden, Unauthorized

from forum.accounts import service as accounts
from forum.accounts import throttling
from forum.api import bp
from forum.extensions import db, limiter
from forum.ideas.serializers import user_dict
from forum.models import ApiToken, User


def json_body() -> dict:
    """The request's JSON object, or 400."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object.")
    return data


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    return raw.strip()


def token_max_age() -> timedelta:
    """How long an API token lives (API_TOKEN_DAYS)."""
    return timedelta(days=float(current_app.config["API_TOKEN_DAYS"]))


def token_required(view: Callable) -> Callable:
    """Resolve the bearer token to g.user (recording its use), or answer 401."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        raw = _bearer()
        token = accounts.valid_token(raw, token_max_age()) if raw else None
        if token is None:
            raise Unauthorized("A valid bearer token is required (it may have expired or been revoked).")
        user = token.user
        if accounts.note_token_use(token):
            db.session.commit()  # its own short transaction, before the view's
        g.user = user
        return view(*args, **kwargs)

    return wrapped


def roles_required(*roles: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @token_required
        def wrapped(*args, **kwargs):
            if g.user.role not in roles:
                raise Forbidden(f"This needs one of the roles: {', '.join(roles)}.")
            return view(*args, **kwargs)

        return wrapped

    return decorator


def current_api_user() -> User:
    return g.user


def token_dict(token: ApiToken) -> dict:
    """A token as its owner sees it in the list: never its value."""
    return {
        "id": token.id,
        "name": token.name,
        "created_at": token.created_at.isoformat(),
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
        "expires_at": accounts.token_expires_at(token, token_max_age()).isoformat(),
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


@bp.post("/auth/token")
@limiter.limit("10 per minute")
@limiter.shared_limit(
    throttling.login_limit,
    throttling.SIGN_IN_SCOPE,
    key_func=throttling.account_key,
    deduct_when=throttling.failed_login,
)
def create_token():
    """Exchange email and password for a bearer token."""
    data = json_body()
    user = accounts.authenticate(data.get("email"), data.get("password"))
    if user is None:
        throttling.mark_failed_login()
        raise Unauthorized("Wrong email or password, or the account is not active.")
    token = accounts.issue_token(user, name=str(data.get("name") or "api"))
    db.session.commit()
    return {"token": token, "user": user_dict(user)}


@bp.delete("/auth/token")
@token_required
def revoke_token():
    """Revoke the token this request carries."""
    accounts.revoke_token(_bearer())
    db.session.commit()
    return "", 204


@bp.get("/auth/tokens")
@token_required
def list_tokens():
    """The caller's own tokens with when each was last used (never their values)."""
    return {"items": [token_dict(t) for t in accounts.user_tokens(g.user)]}
