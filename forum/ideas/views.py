"""Idea pages: list, post, view with its thread, edit; comments; endorse and follow."""

from collections.abc import Hashable

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    get_flashed_messages,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from forum.auth import current_viewer
from forum.extensions import db
from forum.followup.rules import Rules
from forum.followup.waiting import waiting_on, with_flag_state
from forum.forms import commit_action, commit_change
from forum.ideas import cache as page_cache
from forum.ideas import service as ideas
from forum.ideas import versions
from forum.ideas.forms import CommentForm, IdeaForm, StatusForm
from forum.ideas.rendering import render_markdown
from forum.ideas.serializers import comment_dict
from forum.lifecycle import service as lifecycle_service
from forum.lifecycle import views as lifecycle_views
from forum.limits import BODY_MAX
from forum.models import IDEA_STATUSES, Category, Endorsement, Follow, Idea, Office, User
from forum.validation import id_or_404, query_int

bp = Blueprint("ideas", __name__)


def _category_choices() -> list[tuple[int, str]]:
    """Categories by name, after an empty choice: nothing is silently preselected (0 fails DataRequired)."""
    return [(0, _("Choose a category"))] + [
        (c.id, c.name) for c in db.session.scalars(sa.select(Category).order_by(Category.name))
    ]


def _wants_json() -> bool:
    """A script on the page (static/js/thread.js) asking for JSON instead of a redirect."""
    return request.accept_mimetypes.best == "application/json"


@bp.get("/")
@login_required
def index():
    """The idea list, with filters and pagination."""
    args = request.args
    category = query_int(args, "category")
    answered = {"yes": True, "no": False}.get(args.get("answered", ""))
    status = args.get("status") if args.get("status") in IDEA_STATUSES else None
    sort = args.get("sort") if args.get("sort") in ("new", "top", "active") else "new"
    page_number = query_int(args, "page", 1)
    filters = {k: v for k, v in args.items() if k != "page" and v}

    def listing() -> dict:  # only on a cache miss: forum/ideas/cache.py
        query = ideas.ideas_query(
            category=category,
            office=args.get("office") or None,
            status=status,
            answered=answered,
            tag=args.get("tag") or None,
            sort=sort,
        )
        return {
            "page": db.paginate(query, page=page_number, per_page=20, error_out=False),
            "categories": db.session.scalars(sa.select(Category).order_by(Category.name)).all(),
            "offices": db.session.scalars(sa.select(Office).order_by(Office.name)).all(),
            "statuses": IDEA_STATUSES,
            "filters": filters,
        }

    key = (tuple(sorted(filters.items())), page_number)
    listed = page_cache.rendered_list(key, listing)
    return _framed("ideas/index.html", current_viewer(), (), {"listing": listed}, {"listing": listed})


def _framed(template: str, viewer: User, kind: tuple, context: dict, holes: dict) -> str:
    """`template` from its frame cached per kind of viewer (forum/ideas/cache.py page), with `holes` and the
    page header's (the viewer's name, id, zone, CSRF token, unread count) filled in for this viewer.

    `kind` is what the page's own markup depends on besides the idea list's or idea's version (which `holes`
    or `kind` carry), the reader, the path and query, and the viewer's role and badge. Rendered in full when a
    frame would not fit: messages to show once, a count not taken with the viewer, templates reloading (debug).
    """
    unread = g.get("unread_notifications")  # counted with the viewer (forum/auth.py load_viewer)
    token = generate_csrf()
    holes = {
        **holes,
        "csrf": token,
        "unread": unread,
        "viewer_name": viewer.name,
        "viewer_id": viewer.id,
        "viewer_tz": viewer.timezone,
    }

    def render(hole=None) -> str:
        return render_template(template, **context, **({"hole": hole} if hole is not None else {}))

    if (
        not current_app.config["PAGE_FRAME_CACHE"]
        or current_app.jinja_env.auto_reload
        or unread is None
        or get_flashed_messages()
    ):
        return render()
    # The language links carry the full path, query string included.
    kind = (template, request.full_path, viewer.is_staff, viewer.is_admin, bool(unread), *kind)
    return page_cache.page(kind, render, holes, private=(token, viewer.email))


@bp.route("/ideas/new", methods=["GET", "POST"])
@login_required
def new():
    form = IdeaForm()
    form.category.choices = _category_choices()
    if form.validate_on_submit():
        idea = commit_change(
            form,
            lambda: ideas.create_idea(
                current_user, form.title.data, form.body.data, form.category.data, form.tags.data
            ),
        )
        if idea is not None:
            flash(_("Your idea is posted. Its tracking reference is %(ref)s.", ref=idea.reference))
            return redirect(url_for("ideas.show", idea_id=idea.id))
    return render_template("ideas/form.html", form=form, idea=None)


def _viewer_select() -> sa.Select:
    """The idea, whether the viewer endorses and follows it, the directory's version and the idea's flag
    (what the page's panels read besides the idea: forum/ideas/versions.py, followup/waiting.py): one row."""
    user_id, idea_id = sa.bindparam("user_id"), sa.bindparam("idea_id")
    endorsed = sa.exists().where(Endorsement.user_id == user_id, Endorsement.idea_id == Idea.id)
    following = sa.exists().where(Follow.user_id == user_id, Follow.idea_id == Idea.id)
    directory = versions.version_of(versions.DIRECTORY)
    query = sa.select(Idea, endorsed, following, directory).where(Idea.id == idea_id, Idea.deleted_at.is_(None))
    return with_flag_state(query)


_VIEWER_SELECT: sa.Select | None = None  # built once: constructing it costs more than running it


def _idea_for_viewer(idea_id: int, user: User) -> tuple[Idea, bool, bool, Hashable]:
    """A visible idea (or 404), whether `user` endorses and follows it, and what its panels depend on: one query.

    The viewer's unread count came with the viewer (forum/auth.py load_viewer).
    """
    global _VIEWER_SELECT
    idea_id = id_or_404(idea_id, "idea")  # the same bounds as ideas.get_idea: no overflow reaches the driver
    if _VIEWER_SELECT is None:
        _VIEWER_SELECT = _viewer_select()
    row = db.session.execute(_VIEWER_SELECT, {"user_id": user.id, "idea_id": idea_id}).one_or_none()
    if row is None:
        abort(404, "No such idea.")
    return row[0], bool(row[1]), bool(row[2]), (row[3], tuple(row[4:]))


@bp.get("/ideas/<int:idea_id>")
@login_required
def show(idea_id: int):
    """An idea and its thread; the parts every viewer shares come from caches keyed on what they show.

    The page itself is a frame cached per kind of viewer (forum/ideas/cache.py page) with this viewer's own
    values (name, CSRF token, unread count, their controls in the thread, their lifecycle forms) in its holes.
    """
    viewer = current_viewer()
    idea, endorsed, following, (directory, flag) = _idea_for_viewer(idea_id, viewer)
    shared = page_cache.rendered(idea)
    waiting = page_cache.waiting_panel(
        idea, (directory, flag), lambda: waiting_on(idea, Rules.from_config(current_app.config))
    )
    lifecycle = page_cache.lifecycle_panel(idea, directory, lambda: lifecycle_views.shared_state(idea))
    thread = shared.thread.for_viewer(viewer)
    lifecycle_html = lifecycle_views.render_panel(idea, viewer, lifecycle)
    context = {
        "idea": idea,
        "idea_head": shared.head,
        "thread": thread,
        "lifecycle_html": lifecycle_html,
        "endorsed": endorsed,
        "following": following,
        "waiting_panel": waiting,
    }
    holes = {"idea_head": shared.head, "thread": thread, "waiting": waiting.html, "lifecycle": lifecycle_html}
    # Everything the frame's markup depends on besides what _framed adds and what `holes` fill in.
    kind = (
        idea.id,
        idea.version,
        idea.endorsement_count,  # an endorsement does not bump the version
        idea.author_id == viewer.id,
        endorsed,
        following,
        waiting.flag_id,
    )
    return _framed("ideas/show.html", viewer, kind, context, holes)


@bp.route("/ideas/<int:idea_id>/edit", methods=["GET", "POST"])
@login_required
def edit(idea_id: int):
    idea = ideas.get_idea(idea_id, changed_by=current_user)
    form = IdeaForm(obj=idea)
    form.category.choices = _category_choices()
    form.submit.label.text = _("Save changes")
    if request.method == "GET":
        form.category.data = idea.category_id
        form.tags.data = ", ".join(t.name for t in idea.tags)
    if form.validate_on_submit():
        if commit_change(
            form,
            lambda: ideas.update_idea(
                idea, current_user, form.title.data, form.body.data, form.category.data, form.tags.data
            ),
        ):
            flash(_("Idea updated."))
            return redirect(url_for("ideas.show", idea_id=idea.id))
    return render_template("ideas/form.html", form=form, idea=idea)


@bp.post("/ideas/<int:idea_id>/status")
@login_required
def set_status(idea_id: int):
    """Move the idea (allowed users; the author may withdraw); errors come back as messages."""
    idea = ideas.get_idea(idea_id)
    if not (lifecycle_service.can_decide(idea, current_user) or idea.author_id == current_user.id):
        abort(403)
    form = StatusForm()
    form.status.choices = [(s, s) for s in IDEA_STATUSES]
    if not form.validate_on_submit():
        lifecycle_views.flash_form_errors(form)
        return redirect(url_for("ideas.show", idea_id=idea.id, _anchor="lifecycle"))
    data = form.data
    lifecycle_views.commit_or_flash(
        form,
        lambda: ideas.set_idea_status(
            idea, current_user, data["status"], data["note"], data["reason"] or None, data["duplicate_of"]
        ),
        _("Status changed."),
    )
    return redirect(url_for("ideas.show", idea_id=idea.id, _anchor="lifecycle"))


@bp.post("/ideas/<int:idea_id>/delete")
@login_required
def delete(idea_id: int):
    idea = ideas.get_idea(idea_id)
    commit_action(lambda: ideas.delete_idea(idea, current_user))
    flash(_("Idea deleted."))
    return redirect(url_for("ideas.index"))


@bp.post("/ideas/<int:idea_id>/comments")
@login_required
def comment(idea_id: int):
    """Post a comment; the page's script gets JSON (the comment, or the error for the box), a form a redirect."""
    idea = ideas.get_idea(idea_id)
    form = CommentForm()
    if form.validate_on_submit():
        new_comment = commit_change(
            form,
            lambda: ideas.add_comment(
                idea,
                current_user,
                form.body.data,
                form.parent_id.data or None,
                answer_scope=current_app.config["FOLLOWUP_ANSWER_SCOPE"],
            ),
        )
        if new_comment is not None:
            if _wants_json():
                return jsonify({"comment": comment_dict(new_comment)}), 201
            return redirect(url_for("ideas.show", idea_id=idea.id, _anchor=f"c{new_comment.id}"))
    # The form lives on the idea page: its errors (the form's or the service's) go back as JSON or messages.
    errors = [message for messages in form.errors.values() for message in messages]
    if _wants_json():
        return jsonify({"error": {"code": "invalid_field", "message": " ".join(errors)}}), 422
    for message in errors:
        flash(message, "error")
    return redirect(url_for("ideas.show", idea_id=idea.id))


@bp.post("/preview")
@login_required
def preview():
    """Markdown to HTML through the same renderer and sanitiser as a saved post, for the composer's Preview tab."""
    body = (request.get_json(silent=True) or {}).get("body")
    if not isinstance(body, str):
        return jsonify({"error": {"code": "invalid_field", "message": _("Nothing to preview.")}}), 422
    return jsonify({"html": render_markdown(body[:BODY_MAX])})


@bp.get("/help/markdown")
@login_required
def markdown_help():
    return render_template("ideas/markdown_help.html")


@bp.get("/ideas/<int:idea_id>/thread.json")
@login_required
def thread_json(idea_id: int):
    """What a page missed while it had no live connection: the idea's answered state and every comment.

    A page that rendered version N of the idea asks with `?version=N` once its socket has joined; when the
    idea is still at N, nothing changed in between and the comments are left out.
    """
    idea = ideas.get_idea(idea_id)
    unchanged = request.args.get("version") == str(idea.version)
    return jsonify(
        {
            "idea_id": idea.id,
            "version": idea.version,
            "unchanged": unchanged,
            "responded": idea.responded,
            "answered": idea.answered,
            "comment_count": idea.comment_count,
            "comments": [] if unchanged else [comment_dict(c) for c in ideas.thread(idea)],
        }
    )


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit_comment(comment_id: int):
    found = ideas.get_comment(comment_id, changed_by=current_user)
    form = CommentForm(obj=found)
    if form.validate_on_submit():
        if commit_change(form, lambda: ideas.edit_comment(found, current_user, form.body.data)):
            return redirect(url_for("ideas.show", idea_id=found.idea_id, _anchor=f"c{found.id}"))
    return render_template("ideas/comment_form.html", form=form, comment=found)


@bp.post("/comments/<int:comment_id>/delete")
@login_required
def delete_comment(comment_id: int):
    found = ideas.get_comment(comment_id)
    commit_action(lambda: ideas.delete_comment(found, current_user))
    return redirect(url_for("ideas.show", idea_id=found.idea_id, _anchor=f"c{found.id}"))


@bp.post("/ideas/<int:idea_id>/endorse")
@login_required
def endorse(idea_id: int):
    idea = ideas.get_idea(idea_id)
    commit_action(lambda: ideas.endorse(idea, current_user, on=not ideas.is_endorsed(idea, current_user)))
    return redirect(url_for("ideas.show", idea_id=idea.id))


@bp.post("/ideas/<int:idea_id>/follow")
@login_required
def follow(idea_id: int):
    idea = ideas.get_idea(idea_id)
    commit_action(lambda: ideas.follow(idea, current_user, on=not ideas.is_following(idea, current_user)))
    return redirect(url_for("ideas.show", idea_id=idea.id))
