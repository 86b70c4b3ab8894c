"""Email preferences of the caller: GET and PUT /api/v1/me/email-preferences."""

from forum.api import bp
from forum.api.auth import current_api_user, json_body, token_required
from forum.extensions import db
from forum.mail.preferences import preferences, update_preferences


@bp.get("/me/email-preferences")
@token_required
def get_email_preferences():
    """The caller's frequency for each kind of email."""
    return preferences(current_api_user())


@bp.put("/me/email-preferences")
@token_required
def put_email_preferences():
    """Change any subset of the kinds; answers the whole object."""
    result = update_preferences(current_api_user(), json_body())
    db.session.commit()
    return result
