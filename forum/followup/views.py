"""Follow-up pages: the staff dashboard, a flag with its audit trail, the CSV report, holidays."""

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from forum.auth import role_required
from forum.domain_errors import ValidationError
from forum.extensions import db
from forum.followup import flags, overdue
from forum.followup import holidays as holiday_list
from forum.followup import report as reports
from forum.followup.cli import scan_command
from forum.followup.forms import AssignForm, EscalateForm, HolidayForm, ResolveForm
from forum.followup.rules import Rules, load_calendar
from forum.forms import ActionForm, commit_change
from forum.labels import label
from forum.models import Category, Flag, Idea, Office, utcnow
from forum.validation import query_int

bp = Blueprint("followup", __name__, url_prefix="/followup")
bp.cli.add_command(scan_command)


@bp.get("/")
@role_required("staff", "admin")
def dashboard():
    """Open flags (filterable, oldest first) and the response-time report with charts."""
    filters = _flag_filters() or {"status": "open", "office": None}
    sort = _flag_sort(request.args)
    page = db.paginate(
        _sorted(flags.flags_query(**filters), sort),
        page=query_int(request.args, "page", 1),
        per_page=50,
        error_out=False,
    )
    report = reports.cached_report(reports.cache_seconds(current_app.config))
    return render_template(
        "followup/dashboard.html",
        page=page,
        sort=sort,
        overdue=_overdue(page.items),
        filters={k: v for k, v in request.args.items() if k != "page" and v},
        report=report,
        answered_chart=reports.bar_chart(sorted(report["offices"], key=lambda r: -r["ideas"]), "share_answered"),
        wait_chart=reports.bar_chart(sorted(report["offices"], key=lambda r: -r["ideas"]), "median_days"),
        level_chart=reports.level_chart(report["offices"], report["levels"]),
        stalled_chart=reports.level_chart(report["offices"], report["levels"], kind="stalled_flags"),
        open_counts=flags.open_counts(),
        offices=db.session.scalars(sa.select(Office).order_by(Office.name)).all(),
        categories=db.session.scalars(sa.select(Category).order_by(Category.name)).all(),
    )


def _flag_filters() -> dict | None:
    """The flag list's filters from the query string; None (and a flashed message) when one is bad."""
    try:
        return flags.parse_flag_filters(request.args)
    except ValidationError as exc:
        flash(exc.message, "error")
        return None


def _flag_sort(args) -> str:
    """ "late" (most working days overdue first, the default) or "recent" (least overdue first)."""
    return "recent" if args.get("sort") == "recent" else "late"


def _sorted(query, sort: str):
    # Overdue days grow with the idea's age (every unanswered idea has the same response clock), so
    # ordering by posting time orders by lateness without computing the calendar for every flag.
    if sort == "recent":
        return query.order_by(None).order_by(Idea.created_at.desc(), Flag.id.desc())
    return query


def _overdue(flag_rows) -> dict[int, int]:
    rules = Rules.from_config(current_app.config)
    return overdue.working_days_overdue(flag_rows, rules, load_calendar(rules), utcnow())


@bp.get("/flags.csv")
@role_required("staff", "admin")
def flags_csv():
    """The flags the dashboard lists for the same filters and order, every page, as CSV."""
    filters = _flag_filters()
    if filters is None:
        return redirect(url_for("followup.dashboard"))
    rows = db.session.scalars(_sorted(flags.flags_query(**filters), _flag_sort(request.args))).unique().all()
    body = overdue.flags_csv(rows, _overdue(rows), label)
    return Response(
        body.encode("utf-8"),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="followup-flags.csv"'},
    )


@bp.get("/report.csv")
@role_required("staff", "admin")
def report_csv():
    """The dashboard's report table as CSV."""
    body = reports.report_csv(reports.cached_report(reports.cache_seconds(current_app.config)))
    return Response(
        body,
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="followup-report.csv"'},
    )


def _render_flag(flag, **forms):
    """The flag page with its three forms; a form given in `forms` keeps its submitted data and errors."""
    assign = forms.get("assign") or AssignForm(prefix="assign", formdata=None)
    assign.office.choices = _office_choices(flag)
    return render_template(
        "followup/flag.html",
        flag=flag,
        form=forms.get("resolve") or ResolveForm(formdata=None),
        assign_form=assign,
        escalate_form=forms.get("escalate") or EscalateForm(prefix="escalate", formdata=None),
    )


def _office_choices(flag) -> list[tuple[str, str]]:
    offices = db.session.scalars(sa.select(Office).where(Office.id != flag.assigned_office_id).order_by(Office.name))
    return [(o.code, f"{o.name} ({o.code})") for o in offices]


@bp.route("/flags/<int:flag_id>", methods=["GET", "POST"])
@role_required("staff", "admin")
def flag(flag_id: int):
    """One flag: its idea, its audit trail, and (while open) the resolve, assign and escalate forms."""
    flag = flags.get_flag(flag_id)
    form = ResolveForm()
    if flag.status != "open" or request.method == "GET":
        return _render_flag(flag, resolve=form)

    def action():
        flags.resolve_flag(flag, current_user, form.note.data, utcnow())
        return _("Flag resolved.")

    return _flag_action(flag, form, "resolve", action)


@bp.post("/flags/<int:flag_id>/assign")
@role_required("staff", "admin")
def assign_flag(flag_id: int):
    """Reassign an open flag to another office (staff), from the flag page."""
    flag = flags.get_flag(flag_id)
    form = AssignForm(prefix="assign")
    form.office.choices = _office_choices(flag)

    def action():
        flags.assign_flag(flag, current_user, form.office.data, form.note.data, utcnow())
        return _("Flag assigned to %(office)s.", office=flag.assigned_office.name)

    return _flag_action(flag, form, "assign", action)


@bp.post("/flags/<int:flag_id>/escalate")
@role_required("staff", "admin")
def escalate_flag(flag_id: int):
    """Escalate an open flag one office up (staff), from the flag page."""
    flag = flags.get_flag(flag_id)
    form = EscalateForm(prefix="escalate")

    def action():
        flags.escalate_flag(flag, current_user, form.note.data, utcnow())
        return _("Flag escalated to %(office)s (level %(level)d).", office=flag.assigned_office.name, level=flag.level)

    return _flag_action(flag, form, "escalate", action)


def _flag_action(flag, form, name: str, action):
    """Validate, run the staff action and commit; then back to the flag page with the outcome flashed.

    A refused field re-renders the page with the error on its form; a refused state (resolved meanwhile,
    already at the root) is flashed, worded by the Conflict's reason.
    """
    if not form.validate_on_submit():
        return _render_flag(flag, **{name: form})
    conflicts = {
        flags.ALREADY_RESOLVED: _("This flag was already resolved."),
        flags.AT_ROOT: _("This flag is at the top of its office tree: there is no office above it."),
    }
    message = commit_change(form, action, conflicts)
    if message is None and form.errors:
        return _render_flag(flag, **{name: form})
    if message is not None:
        flash(message)
    return redirect(url_for("followup.flag", flag_id=flag.id))


@bp.route("/holidays", methods=["GET", "POST"])
@role_required("admin")
def holidays():
    """Admins keep the public holidays the working-day clocks skip."""
    form = HolidayForm()
    if form.validate_on_submit():
        holiday = commit_change(form, lambda: holiday_list.add_holiday(form.day.data, form.name.data))
        if holiday is not None:
            flash(_("Added %(name)s on %(day)s.", name=holiday.name, day=holiday.day.isoformat()))
            return redirect(url_for("followup.holidays"))
    return render_template(
        "followup/holidays.html",
        holidays=db.session.scalars(holiday_list.holidays_query()).all(),
        form=form,
        action_form=ActionForm(),
    )


@bp.post("/holidays/<int:holiday_id>/delete")
@role_required("admin")
def delete_holiday(holiday_id: int):
    """Admins remove a public holiday."""
    form = ActionForm()
    if form.validate_on_submit():
        holiday = holiday_list.get_holiday(holiday_id)
        if commit_change(form, lambda: holiday_list.remove_holiday(holiday)):
            flash(_("Holiday removed."))
    return redirect(url_for("followup.holidays"))
