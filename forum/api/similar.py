"""GET /api/v1/ideas/<id>/similar: ideas that look like this one (SPEC section 7)."""

from flask import current_app

from forum.api import bp
from forum.api.auth import token_required
from forum.extensions import db
from forum.ideas import service as ideas
from forum.ideas.serializers import idea_dict
from forum.search import service as search


@bp.get("/ideas/<int:idea_id>/similar")
@token_required
def similar_ideas(idea_id: int):
    """At most five ideas most like this one, itself excluded."""
    idea = ideas.get_idea(idea_id)
    engine = search.Engine.from_config(current_app.config)
    found = search.similar_ideas(db.session, engine, idea.title, idea.body, exclude_id=idea.id)
    return {"items": [idea_dict(i) for i in found]}
