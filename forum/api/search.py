"""GET /api/v1/search: ideas and comments matching a query, with filters and pages."""

from flask import current_app, request

from forum.api import bp
from forum.api.auth import token_required
from forum.extensions import db
from forum.search import service
from forum.search.serializers import search_result_dict


@bp.get("/search")
@token_required
def search():
    """Search; an empty or too-common query gives no items and a "message"; an over-long one is 422 (field q)."""
    engine = service.Engine.from_config(current_app.config)
    return search_result_dict(service.search(db.session, request.args.to_dict(), engine))
