"""The follow-up clock keeps local time: days, weekends, holidays and deadlines in FOLLOWUP_TIMEZONE."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.followup import waiting
from forum.followup.calendar import WorkCalendar, offset_periods, parse_weekend
from forum.followup.holidays import add_holiday
from forum.followup.rules import Rules
from forum.followup.scan import scan
from forum.followup.sql import local_day
from forum.models import Idea
from tests.followup.helpers import DHAKA, RULES, SECOND, flag_of, post

NEW_YORK, LONDON = ZoneInfo("America/New_York"), ZoneInfo("Europe/London")


def rules_in(zone: str, weekend: str = "fri,sat", days: int = 7) -> Rules:
    return Rules(response_days=days, escalate_days=7, weekend=parse_weekend(weekend), timezone=zone)


def assert_flagged_exactly_at(idea, due: datetime, rules: Rules) -> None:
    """Not flagged a second before `due`, flagged at it."""
    scan(due - SECOND, rules)
    assert flag_of(idea) is None
    scan(due, rules)
    assert flag_of(idea).level == 0


def test_a_post_at_2330_on_a_dhaka_thursday_is_due_at_dhaka_midnight_seven_working_days_later(tree):
    # Thu 10 Dec 2026, 23:30 in Dhaka (17:30 UTC). Seven working days after Thursday, skipping the Fri-Sat
    # weekends: Sun 13 ... Thu 17, Sun 20, Mon 21. Due when Mon 21 ends in Dhaka: 18:00 UTC, not 00:00 UTC.
    idea = post(tree["upz_officer"], tree["health"], created_at=datetime(2026, 12, 10, 23, 30, tzinfo=DHAKA))
    due = datetime(2026, 12, 22, tzinfo=DHAKA)
    assert due == datetime(2026, 12, 21, 18, tzinfo=UTC)
    assert waiting.waiting_on(idea, RULES)["due"] == due
    scan(due - SECOND, RULES)
    assert flag_of(idea) is None
    scan(due, RULES)
    assert flag_of(idea).level == 0 and flag_of(idea).level_since == due
    assert "due 2026-12-22 00:00 Asia/Dhaka" in flag_of(idea).reason


def test_a_post_early_on_a_dhaka_sunday_counts_from_sunday_not_from_the_utc_saturday(tree):
    # Sun 13 Dec 05:30 in Dhaka is still Sat 12 Dec (a weekend day) in UTC. A UTC clock would count from
    # Saturday and flag the idea when Mon 21 ends, a working day early; the local clock counts from Sunday:
    # Mon 14 ... Thu 17, Sun 20, Mon 21, Tue 22.
    posted = datetime(2026, 12, 13, 5, 30, tzinfo=DHAKA)
    assert posted.astimezone(UTC).date() == date(2026, 12, 12)
    idea = post(tree["upz_officer"], tree["health"], created_at=posted)
    scan(datetime(2026, 12, 22, tzinfo=UTC), RULES)  # when the UTC clock would have flagged it
    assert flag_of(idea) is None
    assert_flagged_exactly_at(idea, datetime(2026, 12, 23, tzinfo=DHAKA), RULES)


def test_a_holiday_is_a_local_date(tree):
    # One working day to answer; Mon 14 Dec is a holiday. Posted on Sun 13 in Dhaka, the idea is due when
    # Tue 15 ends in Dhaka (18:00 UTC), not when Mon 14 ends.
    add_holiday("2026-12-14", "Test holiday")
    db.session.commit()
    rules = rules_in("Asia/Dhaka", days=1)
    idea = post(tree["upz_officer"], tree["health"], created_at=datetime(2026, 12, 13, 10, tzinfo=DHAKA))
    scan(datetime(2026, 12, 15, tzinfo=DHAKA) + timedelta(hours=1), rules)
    assert flag_of(idea) is None
    assert_flagged_exactly_at(idea, datetime(2026, 12, 16, tzinfo=DHAKA), rules)


def test_spring_forward_in_new_york_moves_the_deadline_by_the_real_offset(tree):
    # Clocks go forward on Sun 8 Mar 2026. Posted Fri 6 Mar (EST, UTC-5), one working day (Sat-Sun weekend):
    # due when Mon 9 ends, midnight EDT = 04:00 UTC; a fixed -5 h offset would say 05:00 UTC.
    rules = rules_in("America/New_York", weekend="sat,sun", days=1)
    idea = post(tree["upz_officer"], tree["health"], created_at=datetime(2026, 3, 6, 10, tzinfo=NEW_YORK))
    due = datetime(2026, 3, 10, 4, tzinfo=UTC)
    assert waiting.waiting_on(idea, rules)["due"] == due
    assert_flagged_exactly_at(idea, due, rules)


def test_fall_back_in_london_puts_the_post_on_its_local_day_and_the_deadline_on_gmt(tree):
    # 00:30 BST on Fri 23 Oct 2026 is 23:30 UTC on Thursday. Counted from Friday (local), one working day is
    # Mon 26, after the clocks went back on Sun 25: due at midnight GMT = 00:00 UTC on Tue 27 (a fixed BST
    # offset would say 23:00 UTC on Mon 26, and a UTC day would say the end of Friday).
    rules = rules_in("Europe/London", weekend="sat,sun", days=1)
    posted = datetime(2026, 10, 23, 0, 30, tzinfo=LONDON)
    assert posted.astimezone(UTC).date() == date(2026, 10, 22)
    idea = post(tree["upz_officer"], tree["health"], created_at=posted)
    assert_flagged_exactly_at(idea, datetime(2026, 10, 27, tzinfo=UTC), rules)


def test_days_are_23_and_25_hours_long_across_daylight_saving_changes():
    calendar = WorkCalendar(parse_weekend("sat,sun"), tz=NEW_YORK)
    assert calendar.end_of(date(2026, 3, 8)) - calendar.end_of(date(2026, 3, 7)) == timedelta(hours=23)
    assert calendar.end_of(date(2026, 11, 1)) - calendar.end_of(date(2026, 10, 31)) == timedelta(hours=25)
    assert (
        calendar.working_days_between(
            datetime(2026, 3, 6, 23, 30, tzinfo=NEW_YORK), datetime(2026, 3, 10, 4, 30, tzinfo=UTC)
        )
        == 2
    )


def test_dhaka_has_one_offset_and_new_york_two_a_year():
    assert offset_periods(DHAKA, date(2020, 1, 1), date(2026, 12, 31)) == ((None, 6 * 3600),)
    periods = offset_periods(NEW_YORK, date(2026, 1, 1), date(2026, 12, 31))
    assert [(until, offset) for until, offset in periods] == [
        (datetime(2026, 3, 8, 7, tzinfo=UTC), -5 * 3600),
        (datetime(2026, 11, 1, 6, tzinfo=UTC), -4 * 3600),
        (None, -5 * 3600),
    ]


@pytest.mark.parametrize("zone", ["Asia/Dhaka", "America/New_York", "Europe/London", "Asia/Kathmandu"])
def test_the_database_finds_the_same_local_day_as_python(tree, zone):
    """The scan groups ideas by local day in SQL: SQLite and PostgreSQL must agree with zoneinfo."""
    tz = ZoneInfo(zone)
    moments = [
        datetime(2026, 3, 8, 6, 59, 59, tzinfo=UTC),
        datetime(2026, 3, 8, 7, 0, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 0, 0, tzinfo=UTC),
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        datetime(2026, 11, 1, 4, 30, tzinfo=UTC),
        datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
        datetime(2026, 12, 10, 17, 59, 59, tzinfo=UTC),
        datetime(2026, 12, 10, 18, 0, 0, tzinfo=UTC),
        datetime(2026, 12, 10, 18, 14, 59, tzinfo=UTC),
        datetime(2026, 12, 10, 18, 15, 0, tzinfo=UTC),
    ]
    ideas = [post(tree["upz_officer"], tree["health"], created_at=m, title=f"Idea at {m:%H:%M:%S}") for m in moments]
    day = local_day(Idea.created_at, tz, date(2026, 1, 1), date(2026, 12, 31))
    found = dict(db.session.execute(sa.select(Idea.id, day).where(Idea.id.in_([i.id for i in ideas]))).all())
    assert [found[i.id] for i in ideas] == [m.astimezone(tz).date().isoformat() for m in moments]
