"""Lifecycle on the idea page: the timeline, where the idea has spread, what came of it; adoption forms."""

from flask import Blueprint, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from wtforms import SelectChoice

from forum.extensions import db
from forum.forms import commit_change
from forum.ideas import service as ideas
from forum.ideas.cache import LifecyclePanel, lifecycle_section
from forum.ideas.forms import AdoptForm, AdoptionStatusForm, StatusForm
from forum.lifecycle import service as lifecycle
from forum.models import Idea, Office, User

bp = Blueprint("lifecycle", __name__)


def shared_state(idea: Idea) -> dict:
    """What the idea page's lifecycle panel shows every viewer: what came of it, its history, where it has spread."""
    history = lifecycle.history(idea)
    adoptions = lifecycle.adoptions(idea)
    seen = {c.status for c in history}
    outcome = {
        "answered": idea.first_response_at is not None,
        "piloted": "piloting" in seen,
        "implemented": bool(seen & {"implemented", "replicated"}),
        "adopted_by": len({a.office_id for a in adoptions if a.status != "dropped"}),
    }
    return {
        "history": history,
        "adoptions": adoptions,
        "spread": lifecycle.spread_tree(idea, adoptions) if adoptions else [],
        "outcome": outcome,
    }


def page_state(idea: Idea, user: User, shared: LifecyclePanel) -> dict:
    """The lifecycle panel for this viewer: the shared panel (cached) and the forms this viewer may use."""
    status_form = None
    if lifecycle.can_decide(idea, user):
        status_form = StatusForm(formdata=None, status=lifecycle.MOVES[idea.status][0])
        status_form.status.choices = [(s, _status_label(s)) for s in lifecycle.MOVES[idea.status]]
    elif lifecycle.can_withdraw(idea, user):
        status_form = StatusForm(formdata=None, status="closed", reason="withdrawn")
        status_form.status.choices = [("closed", _status_label("closed"))]
        status_form.reason.choices = [SelectChoice("withdrawn", _("withdrawn"))]
    adopt_form = None
    if idea.status in ("implemented", "replicated"):
        offices = lifecycle.adoptable_offices(idea, user)
        if offices:
            adopt_form = AdoptForm(formdata=None, prefix="adopt")
            adopt_form.office.choices = [(o.code, o.name) for o in offices]
    editable = frozenset(
        adoption_id
        for adoption_id, office_id in shared.adoptions
        if lifecycle.can_adopt_for(user, db.session.get(Office, office_id))
    )
    return lifecycle_section(
        shared,
        status_form=status_form,
        adopt_form=adopt_form,
        adoption_form=AdoptionStatusForm(formdata=None, prefix="adoption") if editable else None,
        editable_adoptions=editable,
    )


def render_panel(idea: Idea, user: User, shared: LifecyclePanel) -> Markup:
    """The idea page's lifecycle section as `user` sees it: the shared panel with their forms spliced in."""
    state = page_state(idea, user, shared)
    if not (state["status_form"] or state["adopt_form"] or state["editable_adoptions"]):
        return shared.plain  # rendered once with no forms (forum/ideas/cache.py lifecycle_panel)
    template = current_app.jinja_env.get_template("ideas/_lifecycle.html")
    # Safe: an autoescaped template.
    return Markup(template.render(idea=idea, lifecycle=state))  # nosec B704


def _status_label(status: str) -> str:
    labels = {
        "open": _("open"),
        "under_review": _("under review"),
        "piloting": _("piloting"),
        "implemented": _("implemented"),
        "replicated": _("replicated"),
        "closed": _("closed"),
    }
    return labels.get(status, status)


def commit_or_flash(form, change, done: str) -> None:
    """commit_change, then (the page redirects) the outcome as a flash message: `done`, or the form's errors."""
    if commit_change(form, change) is None:
        flash_form_errors(form)
    else:
        flash(done)


def _back(idea_id: int):
    return redirect(url_for("ideas.show", idea_id=idea_id, _anchor="lifecycle"))


def flash_form_errors(form) -> None:
    for field in form:
        for message in field.errors:
            flash(message, "error")
    for message in form.form_errors:
        flash(message, "error")


@bp.post("/ideas/<int:idea_id>/adoptions")
@login_required
def adopt(idea_id: int):
    """Record that an office is taking up the idea."""
    idea = ideas.get_idea(idea_id)
    form = AdoptForm(prefix="adopt")
    form.office.choices = [(o.code, o.name) for o in lifecycle.adoptable_offices(idea, current_user)]
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(idea.id)
    commit_or_flash(
        form, lambda: lifecycle.adopt(idea, current_user, form.office.data, form.note.data), _("Adoption recorded.")
    )
    return _back(idea.id)


@bp.post("/ideas/<int:idea_id>/adoptions/<int:adoption_id>")
@login_required
def update_adoption(idea_id: int, adoption_id: int):
    """The adopting office says how it is going: started, running or dropped."""
    idea = ideas.get_idea(idea_id)
    adoption = lifecycle.get_adoption(idea, adoption_id)
    form = AdoptionStatusForm(prefix="adoption")
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(idea.id)
    commit_or_flash(
        form,
        lambda: lifecycle.update_adoption(adoption, current_user, form.status.data, form.note.data),
        _("Adoption updated."),
    )
    return _back(idea.id)
