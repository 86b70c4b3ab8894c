"""API routes of the idea lifecycle: status moves, history, adoptions (SPEC section 7)."""

from forum.api import bp
from forum.api.auth import current_api_user, json_body, token_required
from forum.extensions import db, limiter
from forum.ideas import service as ideas
from forum.ideas.serializers import idea_dict
from forum.lifecycle import service as lifecycle
from forum.lifecycle.serializers import adoption_dict, change_dict


@bp.post("/ideas/<int:idea_id>/status")
@token_required
@limiter.limit("30 per minute")
def change_status(idea_id: int):
    """`{"status", "note", "reason"?, "duplicate_of"?}` -> the idea; 403 not allowed, 422 an invalid move."""
    idea = ideas.get_idea(idea_id)
    data = json_body()
    lifecycle.change_status(
        idea, current_api_user(), data.get("status"), data.get("note"), data.get("reason"), data.get("duplicate_of")
    )
    payload = idea_dict(idea)
    db.session.commit()
    return payload


@bp.get("/ideas/<int:idea_id>/history")
@token_required
def status_history(idea_id: int):
    """The idea's moves, oldest first."""
    return {"items": [change_dict(c) for c in lifecycle.history(ideas.get_idea(idea_id))]}


@bp.get("/ideas/<int:idea_id>/adoptions")
@token_required
def list_adoptions(idea_id: int):
    return {"items": [adoption_dict(a) for a in lifecycle.adoptions(ideas.get_idea(idea_id))]}


@bp.post("/ideas/<int:idea_id>/adoptions")
@token_required
@limiter.limit("30 per minute")
def adopt(idea_id: int):
    """`{"office", "note"}`: another office adopts an implemented idea; 201, the adoption."""
    idea = ideas.get_idea(idea_id)
    data = json_body()
    adoption = lifecycle.adopt(idea, current_api_user(), data.get("office"), data.get("note"))
    payload = adoption_dict(adoption)
    db.session.commit()
    return payload, 201


@bp.patch("/ideas/<int:idea_id>/adoptions/<adoption_id>")
@token_required
def update_adoption(idea_id: int, adoption_id: str):
    """`{"status": started|running|dropped, "note"?}` from the adopting office (or staff)."""
    idea = ideas.get_idea(idea_id)
    adoption = lifecycle.get_adoption(idea, adoption_id)
    data = json_body()
    lifecycle.update_adoption(adoption, current_api_user(), data.get("status"), data.get("note"))
    payload = adoption_dict(adoption)
    db.session.commit()
    return payload
