"""API follow-up routes: flags, resolving a flag, the response-time report (staff and admins)."""

from flask import Response, request

from forum.api import bp
from forum.api.auth import current_api_user, json_body, roles_required
from forum.errors import ValidationError
from forum.extensions import db
from forum.followup import report as reports
from forum.followup import service
from forum.followup.serializers import event_dict, flag_dict
from forum.models import utcnow


@bp.get("/followup/flags")
@roles_required("staff", "admin")
def list_flags():
    """Flags, oldest idea first; `status` open (default) or resolved, `office` a code, `level`, `category`."""
    filters = service.parse_flag_filters(request.args)
    flags = db.session.scalars(service.flags_query(**filters).limit(1000)).unique()
    return {"items": [flag_dict(f) for f in flags]}


@bp.get("/followup/flags/<flag_id>")
@roles_required("staff", "admin")
def get_flag(flag_id: str):
    """One flag with its audit trail."""
    flag = service.get_flag(flag_id)
    return {**flag_dict(flag), "events": [event_dict(e) for e in flag.events]}


@bp.post("/followup/flags/<flag_id>/resolve")
@roles_required("staff", "admin")
def resolve_flag(flag_id: str):
    """Resolve an open flag with a note; 409 if it is already resolved."""
    flag = service.get_flag(flag_id)
    data = json_body()
    service.resolve_flag(flag, current_api_user(), data.get("note"), utcnow())
    db.session.commit()
    return flag_dict(flag)


@bp.get("/followup/report")
@roles_required("staff", "admin")
def report():
    """Response-time figures per office and category, as JSON (default) or CSV."""
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv"):
        raise ValidationError("format", "format must be json or csv")
    data = reports.compute_report(utcnow())
    if fmt == "csv":
        return Response(reports.report_csv(data), mimetype="text/csv")
    return data
