"""The composer's people-suggest endpoint for pages (cookie session); the API has its own twin."""

from flask import Blueprint, request
from flask_login import login_required

from forum.extensions import limiter
from forum.mentions.service import suggest, suggestion_dict

bp = Blueprint("mentions", __name__)


@bp.get("/users/suggest")
@login_required
@limiter.limit("120 per minute")
def suggest_page():
    """People matching ?q=, for the @ autocomplete in comment and idea composers."""
    return {"items": [suggestion_dict(u) for u in suggest(request.args.get("q"))]}
