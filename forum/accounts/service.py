"""Account rules: creating users and offices, signing in, API tokens."""

import hashlib
import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from email_validator import EmailNotValidError, validate_email

from forum.accounts.passwords import check_password_strength, dummy_check
from forum.domain_errors import ValidationError
from forum.extensions import db
from forum.ideas import versions
from forum.limits import LANGUAGES, OFFICE_NAME_MAX, PERSON_NAME_MAX
from forum.live import broadcast
from forum.localtime import is_zone
from forum.models import ROLES, ApiToken, Office, User, utcnow
from forum.validation import clean_text

# How long an API token lives unless the caller says otherwise (API_TOKEN_DAYS).
DEFAULT_TOKEN_AGE = timedelta(days=90)
# last_used_at is written at most this often per token, so reading the API does not write on every call.
TOKEN_USE_RESOLUTION = timedelta(minutes=5)
_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def normalise_email(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("email", "email is required")
    try:
        # No DNS lookups: the forum runs on closed government networks.
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationError("email", f"email is not valid: {exc}") from exc


def office_by_code(code: object, field: str = "office") -> Office:
    if not isinstance(code, str) or not code.strip():
        raise ValidationError(field, f"{field} is required")
    if "\x00" in code:  # PostgreSQL refuses NUL in a text parameter
        raise ValidationError(field, f"{field} does not exist")
    office = db.session.scalar(sa.select(Office).where(Office.code == code.strip()))
    if office is None:
        raise ValidationError(field, f"{field} '{code}' does not exist")
    return office


def create_office(code: str, name: str, parent_code: str | None = None) -> Office:
    """Add an office; without a parent it is the root of a new tree."""
    if not isinstance(code, str) or not _CODE_RE.match(code.strip()):
        raise ValidationError("code", "code must be 1-32 letters, digits, '-' or '_'")
    code = code.strip()
    if db.session.scalar(sa.select(Office.id).where(Office.code == code)):
        raise ValidationError("code", f"an office with code '{code}' already exists")
    name = clean_text(name, "name", max_len=OFFICE_NAME_MAX)
    parent = office_by_code(parent_code, "parent") if parent_code else None
    office = Office(code=code, name=name, parent=parent)
    db.session.add(office)
    # The idea pages' panels name offices, people and whom an idea waits on (forum/ideas/versions.py).
    versions.directory_changed()
    db.session.flush()
    return office


def update_office(office: Office, name: str, parent_code: str | None) -> Office:
    office.name = clean_text(name, "name", max_len=OFFICE_NAME_MAX)
    parent = office_by_code(parent_code, "parent") if parent_code else None
    if parent is not None and (parent.id == office.id or office in parent.ancestors()):
        raise ValidationError("parent", "an office cannot sit below itself")
    office.parent = parent
    versions.directory_changed()
    db.session.flush()
    return office


def create_user(
    email: str, name: str, role: str, office_code: str, password: str, *, status: str = "active", designation: str = ""
) -> User:
    """Add a user; email is unique (case-insensitive)."""
    email = normalise_email(email)
    if db.session.scalar(sa.select(User.id).where(User.email == email)):
        raise ValidationError("email", "a user with this email already exists")
    name = clean_text(name, "name", max_len=PERSON_NAME_MAX)
    if role not in ROLES:
        raise ValidationError("role", f"role must be one of {', '.join(ROLES)}")
    office = office_by_code(office_code)
    user = User(
        email=email,
        name=name,
        role=role,
        office=office,
        status=status,
        designation=clean_text(designation, "designation", min_len=0, max_len=PERSON_NAME_MAX),
    )
    user.set_password(check_password_strength(password, email=email, name=name))
    db.session.add(user)
    versions.directory_changed()  # a new senior contact
    db.session.flush()
    return user


def user_matches(text: str) -> sa.ColumnElement[bool]:
    """Users whose name, email, designation or office code or name holds `text` (any case): the admin search."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    office = sa.select(Office.id).where(
        sa.or_(
            sa.func.lower(Office.code).like(pattern, escape="\\"), sa.func.lower(Office.name).like(pattern, escape="\\")
        )
    )
    return sa.or_(
        sa.func.lower(User.name).like(pattern, escape="\\"),
        User.email.like(pattern, escape="\\"),
        sa.func.lower(User.designation).like(pattern, escape="\\"),
        User.office_id.in_(office.scalar_subquery()),
    )


def sign_up_problems(email: object, name: object, password: object) -> list[ValidationError]:
    """Every rule sign_up would refuse about the email and password, all at once, so a form can show them together."""
    problems = []
    try:
        address = normalise_email(email)
        if db.session.scalar(sa.select(User.id).where(User.email == address)):
            problems.append(ValidationError("email", "a user with this email already exists"))
    except ValidationError as exc:
        problems.append(exc)
    try:
        check_password_strength(password, email=email if isinstance(email, str) else "", name=str(name or ""))
    except ValidationError as exc:
        problems.append(exc)
    return problems


def sign_up(email: str, name: str, office_code: str, password: str, designation: str = "") -> User:
    """Self sign-up: an officer account that an admin must approve before it can log in."""
    return create_user(email, name, "officer", office_code, password, status="pending", designation=designation)


def authenticate(email: object, password: object) -> User | None:
    """The active user with these credentials, or None.

    An unknown email costs one password hash too, so timing does not tell which emails have accounts.
    """
    if not isinstance(password, str):
        password = ""
    if not isinstance(email, str) or "\x00" in email or len(email) > 254:
        dummy_check(password)
        return None
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        dummy_check(password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    return user


def awaiting_approval(email: object, password: object) -> bool:
    """True when these are the right credentials of an account an admin has not approved yet."""
    if not isinstance(email, str) or not isinstance(password, str) or "\x00" in email:
        return False
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    return user is not None and user.status == "pending" and user.check_password(password)


def set_user_role(user: User, role: str, office_code: str | None = None) -> User:
    if role not in ROLES:
        raise ValidationError("role", f"role must be one of {', '.join(ROLES)}")
    user.role = role
    if office_code:
        user.office = office_by_code(office_code)
    versions.directory_changed()
    db.session.flush()
    return user


def set_user_status(user: User, status: str) -> User:
    """Approve, deactivate or reactivate; leaving 'active' ends every session, socket and API token."""
    if status not in ("active", "deactivated"):
        raise ValidationError("status", "status must be active or deactivated")
    if status != "active":
        end_sessions(user)
        revoke_all_tokens(user)
    user.status = status
    versions.directory_changed()  # senior contacts are the active ones
    db.session.flush()
    return user


def end_sessions(user: User) -> None:
    """Void every session cookie of this user (logout everywhere) and, after the commit, drop their sockets."""
    user.session_version += 1
    broadcast.disconnect_user(user.id)


DIGITS = ("bangla", "latin")


def update_profile(  # noqa: PLR0913
    user: User,
    name: str,
    designation: str,
    locale: str | None,
    timezone: str | None = None,
    digits: str | None = None,
) -> User:
    """Change the user's own details; `timezone` (an IANA name) is left alone when None; `digits` "" is the default."""
    user.name = clean_text(name, "name", max_len=PERSON_NAME_MAX)
    user.designation = clean_text(designation, "designation", min_len=0, max_len=PERSON_NAME_MAX)
    if locale not in (None, "", *LANGUAGES):
        raise ValidationError("locale", f"locale must be one of {', '.join(LANGUAGES)}")
    user.locale = locale or None
    if timezone is not None:
        if not is_zone(timezone):
            raise ValidationError("timezone", "timezone must be a time zone name such as Asia/Dhaka")
        user.timezone = timezone
    if digits is not None:
        if digits not in ("", *DIGITS):
            raise ValidationError("digits", "digits must be bangla, latin or empty (the language's own)")
        user.digits = digits or None
    versions.directory_changed()  # the panels name people
    db.session.flush()
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password; every session, socket and API token of the user ends (the caller signs this one in again)."""
    if not user.check_password(current or ""):
        raise ValidationError("current_password", "current password is wrong")
    if current == new:
        raise ValidationError("password", "the new password must differ from the current one")
    user.set_password(check_password_strength(new, email=user.email, name=user.name))
    end_sessions(user)
    revoke_all_tokens(user)
    db.session.flush()


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(user: User, name: str = "api") -> str:
    """Create a bearer token; the raw value is returned once and only its hash is kept."""
    raw = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=_hash_token(raw), name=name[:100]))
    db.session.flush()
    return raw


def token_expires_at(token: ApiToken, max_age: timedelta = DEFAULT_TOKEN_AGE) -> datetime:
    return token.created_at + max_age


# One query for the token, its user and their office (every API answer names it), not three; built once,
# as every API request runs it.
_LIVE_TOKEN = (
    sa.select(ApiToken)
    .where(ApiToken.token_hash == sa.bindparam("token_hash"), ApiToken.revoked_at.is_(None))
    .options(so.joinedload(ApiToken.user).joinedload(User.office))
)


def valid_token(raw: object, max_age: timedelta = DEFAULT_TOKEN_AGE) -> ApiToken | None:
    """The unrevoked, unexpired token of an active user with this raw value, or None."""
    if not isinstance(raw, str) or not raw or len(raw) > 200:
        return None
    token = db.session.scalar(_LIVE_TOKEN, {"token_hash": _hash_token(raw)})
    if token is None or not token.user.is_active or token_expires_at(token, max_age) <= utcnow():
        return None
    return token


def user_for_token(raw: object, max_age: timedelta = DEFAULT_TOKEN_AGE) -> User | None:
    """The active user owning this unrevoked, unexpired token, or None."""
    token = valid_token(raw, max_age)
    return None if token is None else token.user


def note_token_use(token: ApiToken) -> bool:
    """Record that the token was just used; False when the last record is recent enough to keep."""
    now = utcnow()
    if token.last_used_at is not None and now - token.last_used_at < TOKEN_USE_RESOLUTION:
        return False
    token.last_used_at = now
    db.session.flush()
    return True


def user_tokens(user: User) -> list[ApiToken]:
    """The user's tokens, newest first, revoked ones included (the list shows when each was last used)."""
    query = sa.select(ApiToken).where(ApiToken.user_id == user.id)
    return list(db.session.scalars(query.order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke_token(raw: str) -> bool:
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _hash_token(raw)))
    if token is None or token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    broadcast.disconnect_token(token.id)
    db.session.flush()
    return True


def revoke_token_of(user: User, token_id: int) -> bool:
    """Revoke one of the user's own tokens by id; False for another user's or an unknown one."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    broadcast.disconnect_token(token.id)
    db.session.flush()
    return True


def revoke_all_tokens(user: User) -> int:
    result = db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount
