"""Admin pages: approve and manage users, keep the office tree and the categories."""

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from forum.accounts import service as accounts
from forum.admin.forms import CategoryForm, OfficeForm, UserForm, UserRoleForm
from forum.auth import role_required
from forum.extensions import db
from forum.forms import commit_change
from forum.ideas import service as ideas
from forum.models import Category, Office, User
from forum.validation import query_int

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _office_choices(blank: str | None = None) -> list[tuple[str, str]]:
    choices = [(o.code, f"{o.name} ({o.code})") for o in db.session.scalars(sa.select(Office).order_by(Office.name))]
    return ([("", blank)] if blank is not None else []) + choices


@bp.get("/")
@role_required("admin")
def index():
    return redirect(url_for("admin.users"))


@bp.route("/users", methods=["GET", "POST"])
@role_required("admin")
def users():
    form = UserForm()
    form.office.choices = _office_choices()
    if form.validate_on_submit():
        user = commit_change(
            form,
            lambda: accounts.create_user(
                form.email.data, form.name.data, form.role.data, form.office.data, form.password.data
            ),
        )
        if user is not None:
            flash(_("Created %(email)s.", email=user.email))
            return redirect(url_for("admin.users"))
    status = request.args.get("status") or None
    query = sa.select(User).options(so.joinedload(User.office)).order_by(User.status == "active", User.name)
    if status:
        query = query.where(User.status == status)
    q = " ".join((request.args.get("q") or "").split())[:100]
    if q:
        query = query.where(accounts.user_matches(q))
    page = db.paginate(query, page=query_int(request.args, "page", 1), per_page=50, error_out=False)
    return render_template("admin/users.html", page=page, form=form, status=status, q=q)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required("admin")
def user(user_id: int):
    target = db.get_or_404(User, user_id)
    # A pending account's page is where an admin approves it, so "active" is preselected.
    form = UserRoleForm(
        role=target.role,
        office=target.office.code,
        status="deactivated" if target.status == "deactivated" else "active",
    )
    form.office.choices = _office_choices()
    if form.validate_on_submit():

        def change() -> User:
            accounts.set_user_role(target, form.role.data, form.office.data)
            if form.status.data != target.status:
                accounts.set_user_status(target, form.status.data)
            return target

        if commit_change(form, change) is not None:
            flash(_("Saved %(email)s.", email=target.email))
            return redirect(url_for("admin.users"))
    return render_template("admin/user.html", target=target, form=form)


@bp.route("/offices", methods=["GET", "POST"])
@role_required("admin")
def offices():
    form = OfficeForm()
    form.parent.choices = _office_choices(blank=_("(top level)"))
    if form.validate_on_submit():
        if commit_change(
            form, lambda: accounts.create_office(form.code.data, form.name.data, form.parent.data or None)
        ):
            flash(_("Office created."))
            return redirect(url_for("admin.offices"))
    roots = db.session.scalars(sa.select(Office).where(Office.parent_id.is_(None)).order_by(Office.name)).all()
    return render_template("admin/offices.html", roots=roots, form=form)


@bp.route("/offices/<code>", methods=["GET", "POST"])
@role_required("admin")
def office(code: str):
    target = db.first_or_404(sa.select(Office).where(Office.code == code))
    form = OfficeForm(obj=target, parent=target.parent.code if target.parent else "")
    form.parent.choices = _office_choices(blank=_("(top level)"))
    if form.validate_on_submit():
        if commit_change(form, lambda: accounts.update_office(target, form.name.data, form.parent.data or None)):
            flash(_("Office saved."))
            return redirect(url_for("admin.offices"))
    return render_template("admin/office.html", target=target, form=form)


@bp.route("/categories", methods=["GET", "POST"])
@role_required("admin")
def categories():
    form = CategoryForm()
    form.office.choices = _office_choices(blank=_("(none)"))
    if form.validate_on_submit():
        if commit_change(form, lambda: ideas.create_category(form.name.data, form.office.data or None)):
            flash(_("Category created."))
            return redirect(url_for("admin.categories"))
    items = db.session.scalars(
        sa.select(Category).options(so.joinedload(Category.office)).order_by(Category.name)
    ).all()
    return render_template("admin/categories.html", categories=items, form=form)


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
@role_required("admin")
def category(category_id: int):
    target = db.get_or_404(Category, category_id)
    form = CategoryForm(obj=target, office=target.office.code if target.office else "")
    form.office.choices = _office_choices(blank=_("(none)"))
    if form.validate_on_submit():
        if commit_change(form, lambda: ideas.update_category(target, form.name.data, form.office.data or None)):
            flash(_("Category saved."))
            return redirect(url_for("admin.categories"))
    return render_template("admin/category.html", target=target, form=form)
