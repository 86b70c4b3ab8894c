"""The search page; the `flask search ...` commands hang off this blueprint (cli.py)."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum.domain_errors import ValidationError
from forum.extensions import db
from forum.forms import ActionForm, commit_action
from forum.ideas import service as ideas
from forum.search import saved, service, text
from forum.search.cli import COMMANDS
from forum.validation import id_or_404, query_int

bp = Blueprint("search", __name__)
for _command in COMMANDS:  # `flask search reindex`, `flask search sync`
    bp.cli.add_command(_command)


FILTER_ARGS = ("author", "office", "category", "since", "until")


def _date_order_error(args: dict) -> str | None:
    """A message when the date range ends before it starts (both are ISO dates, so text order is date order)."""
    since, until = (args.get("since") or "").strip(), (args.get("until") or "").strip()
    if since and until and len(since) == len(until) == 10 and since > until:
        return _("The start date (%(since)s) is after the end date (%(until)s): swap them or change one.",
                 since=since, until=until)  # fmt: skip
    return None


def _reference_idea(q: str):
    """The idea a query that is only a tracking reference (PSI-2026-000123, any digits or case) names."""
    try:
        parsed = text.parse(q)
    except text.QueryError:
        return None
    if len(parsed.references) != 1 or parsed.words or parsed.phrases:
        return None
    return ideas.idea_by_reference(parsed.references[0])


@bp.get("/search")
@login_required
def page():
    """Search ideas and comments, with filters; bad queries get a readable message, never an error page.

    Filters alone (an office, an author) list what matches without words; a tracking reference on its own
    opens its idea; a date range that ends before it starts is refused with a message.
    """
    args = request.args.to_dict()
    q = (args.get("q") or "").strip()
    filtered = any((args.get(k) or "").strip() for k in FILTER_ARGS)
    result, error, error_field = None, None, None
    if q and not filtered and len(q) <= service.MAX_QUERY_LENGTH:
        idea = _reference_idea(q)
        if idea is not None:
            return redirect(url_for("ideas.show", idea_id=idea.id))
    if q or filtered:
        error = _date_order_error(args)
        error_field = "until" if error else None
        if error is None:
            try:
                result = service.search(db.session, args, service.Engine.from_config(current_app.config))
            except ValidationError as exc:
                error, error_field = exc.message, exc.field
    return render_template(
        "search/index.html",
        args=args,
        result=result,
        error=error,
        error_field=error_field,
        filtered=filtered,
        per_page=service.PER_PAGE,
        max_length=service.MAX_QUERY_LENGTH,
        **service.filter_choices(db.session),
    )


@bp.get("/search/similar")
@login_required
def similar():
    """JSON for the "similar ideas" lists: by a draft's title (new-idea form) or by an existing idea's id."""
    idea_id = query_int(request.args, "idea")
    engine = service.Engine.from_config(current_app.config)
    if idea_id:
        idea = ideas.get_idea(idea_id)
        found = service.similar_ideas(db.session, engine, idea.title, idea.body, exclude_id=idea.id)
    else:
        title = (request.args.get("title") or "")[:200]
        found = service.similar_ideas(db.session, engine, title)
    return {
        "items": [
            {"id": i.id, "title": i.title, "reference": i.reference, "url": url_for("ideas.show", idea_id=i.id)}
            for i in found
        ]
    }


@bp.app_template_global()
def saved_searches_of(user) -> list:
    """The user's saved searches, for the profile page's partial."""
    return saved.for_user(user)


@bp.post("/search/saved")
@login_required
def save():
    """Save the search shown (query and filters), notifying of new matches when asked."""
    action = ActionForm()
    form = request.form
    filters = {k: form.get(k) for k in saved.FILTER_KEYS if (form.get(k) or "").strip()}
    notify = form.get("notify") == "1"
    if commit_action(lambda: saved.create(current_user, form.get("q") or "", filters, notify), action) is not None:
        flash(_("Search saved. Your profile lists your saved searches."))
    for message in action.form_errors:  # a ValidationError: shown on the search page we go back to
        flash(message, "error")
    return redirect(url_for("search.page", q=form.get("q") or "", **filters))


@bp.post("/search/saved/<saved_id>/delete")
@login_required
def delete_saved(saved_id: str):
    """Delete one of your saved searches (404 for anyone else's)."""
    saved_search_id = id_or_404(saved_id, "saved search")
    if not commit_action(lambda: saved.delete(current_user, saved_search_id)):
        abort(404)
    flash(_("Saved search deleted."))
    return redirect(url_for("accounts.profile") + "#saved-searches")
