"""Saved searches: GET/POST /api/v1/saved-searches, DELETE /api/v1/saved-searches/<id> (SPEC section 7)."""

from werkzeug.exceptions import NotFound

from forum.api import bp
from forum.api.auth import current_api_user, json_body, token_required
from forum.extensions import db
from forum.search import saved
from forum.validation import id_or_404


@bp.get("/saved-searches")
@token_required
def list_saved_searches():
    """The caller's own saved searches, newest first."""
    return {"items": [saved.saved_dict(s) for s in saved.for_user(current_api_user())]}


@bp.post("/saved-searches")
@token_required
def create_saved_search():
    """Save a query with optional filters (author, office, category) and whether to be notified."""
    data = json_body()
    created = saved.create(current_api_user(), data.get("q"), data.get("filters"), data.get("notify", False))
    db.session.commit()
    return saved.saved_dict(created), 201


@bp.delete("/saved-searches/<saved_id>")
@token_required
def delete_saved_search(saved_id: str):
    """204; 404 for another user's saved search, as for one that does not exist."""
    if not saved.delete(current_api_user(), id_or_404(saved_id, "saved search")):
        raise NotFound("No such saved search.")
    db.session.commit()
    return "", 204
