"""The impact report page beside the follow-up dashboard, and its CSV and PDF exports (staff and admins)."""

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, render_template, request

from forum.auth import role_required
from forum.domain_errors import ValidationError
from forum.extensions import db
from forum.impact import charts, exports, pdf
from forum.impact import report as reports
from forum.impact.filters import Filters, parse_filters
from forum.models import Category, Office

bp = Blueprint("impact", __name__, url_prefix="/followup/impact")


def _settings() -> reports.ReportSettings:
    return reports.ReportSettings.from_config(current_app.config)


def _filters(settings: reports.ReportSettings) -> Filters:
    """The filters from the query string; a bad one is shown as a message and the defaults used."""
    try:
        return parse_filters(request.args, settings.timezone)
    except ValidationError as exc:
        flash(exc.message, "error")
        return parse_filters({}, settings.timezone)


def _context(filters: Filters, settings: reports.ReportSettings) -> dict:
    report = reports.cached_report(filters, settings)
    return {
        "report": report,
        "filters": filters,
        "stage_chart": charts.stage_chart(report["stages_over_time"]),
        "interval_chart": charts.interval_chart(report["working_days"]),
    }


@bp.get("/")
@role_required("staff", "admin")
def page():
    """Ideas by stage over time, working-day percentiles, offices, most adopted ideas; filterable."""
    settings = _settings()
    return render_template(
        "impact/report.html",
        offices=db.session.scalars(sa.select(Office).order_by(Office.name)).all(),
        categories=db.session.scalars(sa.select(Category).order_by(Category.name)).all(),
        **_context(_filters(settings), settings),
    )


def _filename(filters: Filters, ext: str) -> str:
    return f"impact-{filters.since.isoformat()}-{filters.query()['until']}.{ext}"


@bp.get("/report.csv")
@role_required("staff", "admin")
def report_csv():
    settings = _settings()
    filters = _filters(settings)
    return Response(
        exports.report_csv(reports.cached_report(filters, settings)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{_filename(filters, "csv")}"'},
    )


@bp.get("/report.pdf")
@role_required("staff", "admin")
def report_pdf():
    settings = _settings()
    filters = _filters(settings)
    context = _context(filters, settings)
    office = db.session.scalar(sa.select(Office.name).where(Office.code == filters.office)) if filters.office else None
    category = db.session.get(Category, filters.category) if filters.category is not None else None
    html = render_template(
        "impact/report_pdf.html",
        font_uri=pdf.bengali_font_uri(),
        office_name=office,
        category_name=category.name if category else None,
        **context,
    )
    try:
        body = pdf.render_pdf(html)
    except pdf.PdfUnavailable:
        abort(503, "PDF export needs Pango on the server (Debian libpango-1.0-0, libpangoft2-1.0-0).")
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{_filename(filters, "pdf")}"'},
    )
