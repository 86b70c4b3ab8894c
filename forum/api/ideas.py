"""API routes for offices, categories, ideas and comments."""

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app, request
from werkzeug.exceptions import BadRequest

from forum.api import bp
from forum.api.auth import current_api_user, json_body, token_required
from forum.domain_errors import ValidationError
from forum.extensions import db, limiter
from forum.ideas import service as ideas
from forum.ideas.serializers import category_dict, comment_dict, idea_dict
from forum.models import IDEA_STATUSES, Category, Office
from forum.validation import bounded_int


@bp.get("/offices")
@token_required
def list_offices():
    offices = db.session.scalars(sa.select(Office).options(so.joinedload(Office.parent)).order_by(Office.code))
    return {"items": [{"code": o.code, "name": o.name, "parent": o.parent.code if o.parent else None} for o in offices]}


@bp.get("/categories")
@token_required
def list_categories():
    categories = db.session.scalars(sa.select(Category).options(so.joinedload(Category.office)).order_by(Category.name))
    return {"items": [category_dict(c) for c in categories]}


@bp.get("/ideas")
@token_required
def list_ideas():
    """Ideas, newest first, filtered by category, status, office and whether answered."""
    page = bounded_int(request.args, "page", 1, 1)
    per_page = bounded_int(request.args, "per_page", 20, 1, 100)
    category = bounded_int(request.args, "category", 0, 1) if request.args.get("category") else None
    status = request.args.get("status") or None
    if status and status not in IDEA_STATUSES:
        raise ValidationError("status", f"status must be one of {', '.join(IDEA_STATUSES)}")
    answered_arg = request.args.get("answered")
    answered = None if answered_arg in (None, "") else answered_arg.lower() in ("1", "true", "yes")
    query = ideas.ideas_query(
        category=category, status=status, office=request.args.get("office") or None, answered=answered
    )
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False)
    return {
        "items": [idea_dict(i) for i in pagination.items],
        "page": pagination.page,
        "pages": pagination.pages,
        "per_page": per_page,
        "total": pagination.total,
    }


@bp.post("/ideas")
@token_required
@limiter.limit("30 per minute")
def create_idea():
    data = json_body()
    idea = ideas.create_idea(
        current_api_user(), data.get("title"), data.get("body"), data.get("category"), data.get("tags")
    )
    payload = idea_dict(idea)  # built before the commit expires (and would reload) every attribute
    db.session.commit()
    return payload, 201


@bp.get("/ideas/<int:idea_id>")
@token_required
def get_idea(idea_id: int):
    idea = ideas.get_idea(idea_id)
    return idea_dict(idea, comments=ideas.thread(idea))


@bp.patch("/ideas/<int:idea_id>")
@token_required
def update_idea(idea_id: int):
    """Edit title, body, category or tags (author or admin), or the status (senior, staff, admin)."""
    idea = ideas.get_idea(idea_id)
    data = json_body()
    user = current_api_user()
    content_keys = {"title", "body", "category", "tags"}
    if content_keys & data.keys():
        ideas.update_idea(
            idea,
            user,
            data.get("title", idea.title),
            data.get("body", idea.body),
            data.get("category", idea.category_id),
            data.get("tags", [t.name for t in idea.tags]),
        )
    if "status" in data:
        ideas.set_idea_status(
            idea, user, data["status"], data.get("note"), data.get("reason"), data.get("duplicate_of")
        )
    if not (content_keys | {"status"}) & data.keys():
        raise BadRequest("Nothing to change: send title, body, category, tags or status.")
    payload = idea_dict(idea)
    db.session.commit()
    return payload


@bp.delete("/ideas/<int:idea_id>")
@token_required
def delete_idea(idea_id: int):
    ideas.delete_idea(ideas.get_idea(idea_id), current_api_user())
    db.session.commit()
    return "", 204


@bp.post("/ideas/<int:idea_id>/comments")
@token_required
@limiter.limit("60 per minute")
def create_comment(idea_id: int):
    idea = ideas.get_idea(idea_id)
    data = json_body()
    comment = ideas.add_comment(
        idea,
        current_api_user(),
        data.get("body"),
        data.get("parent_id"),
        answer_scope=current_app.config["FOLLOWUP_ANSWER_SCOPE"],
    )
    payload = comment_dict(comment)
    db.session.commit()
    return payload, 201


@bp.patch("/comments/<int:comment_id>")
@token_required
def edit_comment(comment_id: int):
    user = current_api_user()
    comment = ideas.edit_comment(ideas.get_comment(comment_id, user), user, json_body().get("body"))
    payload = comment_dict(comment)
    db.session.commit()
    return payload


@bp.delete("/comments/<int:comment_id>")
@token_required
def delete_comment(comment_id: int):
    ideas.delete_comment(ideas.get_comment(comment_id, current_api_user(), admin_may=True), current_api_user())
    db.session.commit()
    return "", 204


@bp.put("/ideas/<int:idea_id>/endorsement")
@bp.delete("/ideas/<int:idea_id>/endorsement")
@token_required
def endorsement(idea_id: int):
    idea = ideas.get_idea(idea_id)
    ideas.endorse(idea, current_api_user(), on=request.method == "PUT")
    db.session.commit()
    return {"endorsed": request.method == "PUT", "endorsement_count": idea.endorsement_count}


@bp.put("/ideas/<int:idea_id>/follow")
@bp.delete("/ideas/<int:idea_id>/follow")
@token_required
def following(idea_id: int):
    idea = ideas.get_idea(idea_id)
    ideas.follow(idea, current_api_user(), on=request.method == "PUT")
    db.session.commit()
    return {"following": request.method == "PUT"}
