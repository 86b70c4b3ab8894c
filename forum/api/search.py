"""GET /api/v1/search: ideas and comments matching a query, with filters and pages."""

from flask import request

from forum.api import bp
from forum.api.auth import token_required
from forum.extensions import db
from forum.search import service


@bp.get("/search")
@token_required
def search():
    """Search; an empty or too-common query gives no items and a "message"; an over-long one is 422 (field q)."""
    result = service.search(db.session, request.args.to_dict())
    result["items"] = [{k: v for k, v in item.items() if k != "title_html"} for item in result["items"]]
    return result
