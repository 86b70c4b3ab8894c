"""Public holidays kept by admins; the working-day clocks (rules.load_calendar) skip them."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from forum.domain_errors import NotFound, ValidationError
from forum.extensions import db
from forum.ideas import versions
from forum.limits import HOLIDAY_NAME_MAX
from forum.models import Holiday
from forum.validation import clean_text, id_or_404


def holidays_query() -> sa.Select:
    """Every holiday, the latest first."""
    return sa.select(Holiday).order_by(Holiday.day.desc())


def add_holiday(day: object, name: object) -> Holiday:
    """Admins keep the public holidays; a day can be listed once."""
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day.strip())
        except ValueError:
            raise ValidationError("day", "day must be a date like 2026-12-16") from None
    if not isinstance(day, date):
        raise ValidationError("day", "day is required")
    name = clean_text(name, "name", max_len=HOLIDAY_NAME_MAX)
    if db.session.scalar(sa.select(Holiday.id).where(Holiday.day == day)) is not None:
        raise ValidationError("day", f"{day.isoformat()} is already a holiday")
    holiday = Holiday(day=day, name=name)
    db.session.add(holiday)
    versions.directory_changed()  # the idea pages' due dates move
    db.session.flush()
    return holiday


def get_holiday(holiday_id: object) -> Holiday:
    """A holiday by id, or NotFound."""
    holiday = db.session.get(Holiday, id_or_404(holiday_id, "holiday"))
    if holiday is None:
        raise NotFound("No such holiday.")
    return holiday


def remove_holiday(holiday: Holiday) -> Holiday:
    """Admins take a day off the list; the clocks count it as a working day again."""
    db.session.delete(holiday)
    versions.directory_changed()
    db.session.flush()
    return holiday
