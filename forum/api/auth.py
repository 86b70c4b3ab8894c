"""Bearer-token authentication for the API, and the token endpoints."""

from collections.abc import Callable
from functools import wraps

from flask import g, request
from werkzeug.exceptions import BadRequest, Forbidden, Unauthorized

from forum.accounts import service as accounts
from forum.api import bp
from forum.extensions import db, limiter
from forum.ideas.serializers import user_dict
from forum.models import User


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


def token_required(view: Callable) -> Callable:
    """Resolve the bearer token to g.user, or answer 401."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        raw = _bearer()
        user = accounts.user_for_token(raw) if raw else None
        if user is None:
            raise Unauthorized("A valid bearer token is required.")
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


@bp.post("/auth/token")
@limiter.limit("10 per minute")
def create_token():
    """Exchange email and password for a bearer token."""
    data = json_body()
    user = accounts.authenticate(data.get("email"), data.get("password"))
    if user is None:
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
