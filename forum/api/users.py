"""People lookup for API clients: GET /api/v1/users/suggest."""

from flask import request

from forum.api import bp
from forum.api.auth import token_required
from forum.extensions import limiter
from forum.mentions.service import suggest, suggestion_dict


@bp.get("/users/suggest")
@token_required
@limiter.limit("120 per minute")
def suggest_users():
    """At most ten active people whose name, designation or office matches ?q=."""
    return {"items": [suggestion_dict(u) for u in suggest(request.args.get("q"))]}
