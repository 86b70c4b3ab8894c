"""API follow-up routes: flags (paginated), resolving, reassigning and escalating a flag, the report.

Staff and admins only (403 for other roles).
"""

from flask import Response, current_app, request

from forum.api import bp
from forum.api.auth import current_api_user, json_body, roles_required
from forum.domain_errors import ValidationError
from forum.extensions import db
from forum.followup import flags
from forum.followup import report as reports
from forum.followup.serializers import event_dict, flag_dict
from forum.models import utcnow
from forum.validation import page_args


@bp.get("/followup/flags")
@roles_required("staff", "admin")
def list_flags():
    """Flags, oldest idea first; `status` open (default), resolved or all, `office` a code, `level`, `category`,
    `page` and `per_page` (at most 100, default 50)."""
    filters = flags.parse_flag_filters(request.args)
    page, per_page = page_args(request.args)
    result = db.paginate(flags.flags_query(**filters), page=page, per_page=per_page, error_out=False)
    return {
        "items": [flag_dict(f) for f in result.items],
        "page": page,
        "per_page": per_page,
        "pages": result.pages,
        "total": result.total,
    }


@bp.get("/followup/flags/<flag_id>")
@roles_required("staff", "admin")
def get_flag(flag_id: str):
    """One flag with its audit trail."""
    flag = flags.get_flag(flag_id)
    return {**flag_dict(flag), "events": [event_dict(e) for e in flag.events]}


@bp.post("/followup/flags/<flag_id>/resolve")
@roles_required("staff", "admin")
def resolve_flag(flag_id: str):
    """Resolve an open flag with a note; 409 if it is already resolved."""
    flag = flags.get_flag(flag_id)
    data = json_body()
    flags.resolve_flag(flag, current_api_user(), data.get("note"), utcnow())
    db.session.commit()
    return flag_dict(flag)


@bp.post("/followup/flags/<flag_id>/assign")
@roles_required("staff", "admin")
def assign_flag(flag_id: str):
    """Reassign an open flag to another office `{"office": CODE, "note"?}`; 422 bad office, 409 resolved."""
    flag = flags.get_flag(flag_id)
    data = json_body()
    flags.assign_flag(flag, current_api_user(), data.get("office"), data.get("note"), utcnow())
    db.session.commit()
    return flag_dict(flag)


@bp.post("/followup/flags/<flag_id>/escalate")
@roles_required("staff", "admin")
def escalate_flag(flag_id: str):
    """Escalate an open flag one office up `{"note"?}`; 409 when resolved or already at the root."""
    flag = flags.get_flag(flag_id)
    data = json_body()
    flags.escalate_flag(flag, current_api_user(), data.get("note"), utcnow())
    db.session.commit()
    return flag_dict(flag)


@bp.get("/followup/report")
@roles_required("staff", "admin")
def report():
    """Response-time figures per office and category, as JSON (default) or CSV; cached up to a minute."""
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv"):
        raise ValidationError("format", "format must be json or csv")
    data = reports.cached_report(reports.cache_seconds(current_app.config))
    if fmt == "csv":
        return Response(reports.report_csv(data), content_type="text/csv; charset=utf-8")
    return data
