"""API: the impact report's figures (SPEC section 7), staff and admins only."""

from flask import current_app, request

from forum.api import bp
from forum.api.auth import roles_required
from forum.impact import report as reports
from forum.impact.filters import parse_filters


@bp.get("/reports/impact")
@roles_required("staff", "admin")
def impact_report():
    """`since`, `until` (dates), `office` (a code: its subtree), `category`: stage counts, working-day percentiles."""
    settings = reports.ReportSettings.from_config(current_app.config)
    return reports.cached_report(parse_filters(request.args, settings.timezone), settings)
