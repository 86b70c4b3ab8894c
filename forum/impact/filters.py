"""The impact report's filters: a date range in local days, an office subtree, a category; checked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from forum.domain_errors import ValidationError
from forum.extensions import db
from forum.localtime import DEFAULT_ZONE, zone
from forum.models import Category, Office, utcnow
from forum.validation import parse_int

MAX_RANGE_DAYS = 3 * 366


@dataclass(frozen=True)
class Filters:
    """The report's filters, checked: `until` is exclusive (the day after the last day shown)."""

    since: date
    until: date
    office: str | None = None
    category: int | None = None
    timezone: str = DEFAULT_ZONE

    def key(self) -> tuple:
        return (self.since, self.until, self.office, self.category, self.timezone)

    def query(self) -> dict:
        """The filters as query-string values (for links to the CSV and PDF)."""
        out = {"since": self.since.isoformat(), "until": (self.until - timedelta(days=1)).isoformat()}
        if self.office:
            out["office"] = self.office
        if self.category is not None:
            out["category"] = str(self.category)
        return out


def _date(args, name: str, default: date) -> date:
    raw = args.get(name)
    if raw in (None, ""):
        return default
    try:
        return date.fromisoformat(str(raw).strip()[:10])
    except ValueError:
        raise ValidationError(name, f"{name} must be a date like 2026-07-01") from None


def parse_filters(args: Mapping, timezone: str, today: date | None = None) -> Filters:
    """`since` and `until` (inclusive local dates; default the last twelve months), `office` (a code),
    `category`. Dates are days in `timezone` (the app's FOLLOWUP_TIMEZONE: ReportSettings.timezone)."""
    timezone = zone(timezone).key
    today = today or utcnow().astimezone(zone(timezone)).date()
    until = _date(args, "until", today) + timedelta(days=1)
    since = _date(args, "since", (until - timedelta(days=365)).replace(day=1))
    if since >= until:
        raise ValidationError("since", "since must be on or before until")
    if (until - since).days > MAX_RANGE_DAYS:
        raise ValidationError("since", "the range may span at most three years")
    office = (args.get("office") or "").strip() or None
    if office and db.session.scalar(sa.select(Office.id).where(Office.code == office.replace("\x00", ""))) is None:
        raise ValidationError("office", "office does not exist")
    category = None
    if args.get("category") not in (None, ""):
        category = parse_int(args.get("category"), "category")
        if db.session.get(Category, category) is None:
            raise ValidationError("category", "category does not exist")
    return Filters(since=since, until=until, office=office, category=category, timezone=timezone)
