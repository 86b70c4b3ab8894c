"""The notifications page: everything that happened while the user was away."""

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from forum.extensions import db
from forum.forms import ActionForm, commit_action
from forum.notifications import service
from forum.validation import query_int

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
    return render_template("notifications/index.html", page=page, action_form=ActionForm())


@bp.post("/notifications/read")
@login_required
def mark_read():
    commit_action(lambda: service.mark_read(current_user, query_int(request.form, "id")))
    return redirect(url_for("notifications.index"))
