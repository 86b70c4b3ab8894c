"""The two follow-up clocks (SPEC section 7, flag `kind`): which ideas each runs on, from which moment,
after how many working days.

- "unanswered": no senior answer FOLLOWUP_RESPONSE_DAYS working days after the idea was posted;
- "stalled": answered, but still open or under review FOLLOWUP_DECISION_DAYS working days after its
  first answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.followup.rules import Rules, Schedule, load_calendar, tracked_condition
from forum.models import Idea, User

# The stages the decision clock runs on (lifecycle.service.UNDECIDED; follow-up may not import services).
UNDECIDED = ("open", "under_review")
DECISION_DAYS_DEFAULT = 20


def decision_days(config: Mapping) -> int:
    """FOLLOWUP_DECISION_DAYS from the app config, read at the edge (CLI, scheduler, bench)."""
    return max(1, int(config.get("FOLLOWUP_DECISION_DAYS") or DECISION_DAYS_DEFAULT))


def decided_condition(now: datetime) -> sa.ColumnElement[bool]:
    """SQL: the ideas the decision clock runs on as of `now` (needs Idea joined to its author): answered
    (by the follow-up rule), still open or under review, not deleted, by a user who is not senior."""
    return sa.and_(
        Idea.status.in_(UNDECIDED),
        Idea.deleted_at.is_(None),
        Idea.first_response_at.is_not(None),
        Idea.first_response_at <= now,
        User.role != "senior",
    )


@dataclass(frozen=True)
class Clock:
    """One kind of flag: which ideas it runs on, from which moment, after how many working days."""

    kind: str
    condition: Callable[[datetime], sa.ColumnElement[bool]]
    start: so.InstrumentedAttribute
    days: int
    schedule: Schedule

    def reason(self, due: datetime, tz: ZoneInfo) -> str:
        """The flag's reason, with its deadline in the follow-up zone's local time."""
        local = f"{due.astimezone(tz):%Y-%m-%d %H:%M} {tz.key}"
        if self.kind == "stalled":
            return f"Answered but not decided within {self.days} working days of the first answer (due {local})."
        return f"No senior response within {self.days} working days (due {local})."


def clocks(rules: Rules, days_to_decide: int) -> list[Clock]:
    """The two clocks over one calendar: the decision clock is the first clock's schedule started at
    the first answer, with FOLLOWUP_DECISION_DAYS in place of FOLLOWUP_RESPONSE_DAYS."""
    calendar = load_calendar(rules)
    decision_rules = replace(rules, response_days=days_to_decide)
    return [
        Clock("unanswered", tracked_condition, Idea.created_at, rules.response_days, Schedule(rules, calendar)),
        Clock("stalled", decided_condition, Idea.first_response_at, days_to_decide, Schedule(decision_rules, calendar)),
    ]
