"""The notifications page: everything that happened while the user was away."""

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from forum.extensions import db
from forum.forms import ActionForm, commit_action
from forum.models import Notification
from forum.notifications import service
from forum.notifications.text import group_sentence, render
from forum.validation import id_or_404, query_int

bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
@login_required
def index():
    page = db.paginate(
        service.notifications_query(current_user),
        page=query_int(request.args, "page", 1),
        per_page=30,
        error_out=False,
    )
    texts = {note.id: render(note) for note in page.items}
    return render_template("notifications/index.html", page=page, texts=texts, action_form=ActionForm())


@bp.post("/notifications/read")
@login_required
def mark_read():
    commit_action(lambda: service.mark_read(current_user, query_int(request.form, "id")))
    return redirect(url_for("notifications.index"))


def _target(note: Notification) -> str:
    if note.idea_id is None:
        return url_for("notifications.index")
    return url_for("ideas.show", idea_id=note.idea_id, _anchor=f"c{note.comment_id}" if note.comment_id else None)


@bp.get("/notifications/menu")
@login_required
def menu():
    """The bell's menu: the latest notifications in the reader's language, similar unread ones grouped."""
    items = []
    for group in service.latest_grouped(current_user)[:10]:
        first, count = group["first"], len(group["notes"])
        text = group_sentence(first.kind, count, first.idea.title) if count > 1 and first.idea else render(first)
        items.append(
            {
                "text": text,
                "read": first.read_at is not None,
                "count": count,
                "url": url_for("notifications.open_one", notification_id=first.id),
            }  # fmt: skip
        )
    return jsonify({"items": items, "mark_all_url": url_for("notifications.mark_read")})


@bp.get("/notifications/<int:notification_id>/open")
@login_required
def open_one(notification_id: int):
    """Go where the notification points, marking it (and its group) read."""
    note = db.session.get(Notification, id_or_404(notification_id, "notification"))
    if note is None or note.user_id != current_user.id:
        abort(404)
    service.mark_group_read(current_user, note)
    db.session.commit()
    return redirect(_target(note))
