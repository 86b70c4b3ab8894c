"""The search page; the `flask search ...` commands hang off this blueprint (cli.py)."""

from flask import Blueprint, render_template, request, url_for
from flask_login import login_required

from forum.domain_errors import ValidationError
from forum.extensions import db
from forum.ideas import service as ideas
from forum.search import service
from forum.search.cli import COMMANDS
from forum.validation import query_int

bp = Blueprint("search", __name__)
for _command in COMMANDS:  # `flask search reindex`, `flask search sync`
    bp.cli.add_command(_command)


@bp.get("/search")
@login_required
def page():
    """Search ideas and comments, with filters; bad queries get a readable message, never an error page."""
    args = request.args.to_dict()
    result, error = None, None
    if any((args.get(k) or "").strip() for k in ("q", "author", "office", "category", "since", "until")):
        try:
            result = service.search(db.session, args)
        except ValidationError as exc:
            error = exc.message
    return render_template(
        "search/index.html",
        args=args,
        result=result,
        error=error,
        max_length=service.MAX_QUERY_LENGTH,
        **service.filter_choices(db.session),
    )


@bp.get("/search/similar")
@login_required
def similar():
    """JSON for the "similar ideas" lists: by a draft's title (new-idea form) or by an existing idea's id."""
    idea_id = query_int(request.args, "idea")
    if idea_id:
        idea = ideas.get_idea(idea_id)
        found = service.similar_ideas(db.session, idea.title, idea.body, exclude_id=idea.id)
    else:
        title = (request.args.get("title") or "")[:200]
        found = service.similar_ideas(db.session, title)
    return {
        "items": [
            {"id": i.id, "title": i.title, "reference": i.reference, "url": url_for("ideas.show", idea_id=i.id)}
            for i in found
        ]
    }
