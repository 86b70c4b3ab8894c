"""Follow-up rules: working days, weekends and holidays, configurable durations, whom an idea waits on."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.followup import waiting
from forum.followup.calendar import WorkCalendar, parse_weekend
from forum.followup.rules import Rules
from forum.followup.scan import scan
from forum.ideas import service as ideas
from forum.models import Holiday
from tests.followup.helpers import (
    DHAKA,
    FLAG_DUE,
    LEVEL1_DUE,
    LEVEL2_DUE,
    POSTED,
    RULES,
    SECOND,
    flag_of,
    post,
    run_scan,
)


def test_weekend_is_parsed_from_names():
    assert parse_weekend("fri,sat") == {4, 5}
    assert parse_weekend(" Saturday , SUNDAY ") == {5, 6}
    with pytest.raises(ValueError):
        parse_weekend("fri,funday")
    with pytest.raises(ValueError):
        parse_weekend("mon,tue,wed,thu,fri,sat,sun")


def test_working_days_skip_weekends_and_holidays():
    calendar = WorkCalendar(parse_weekend("fri,sat"), [date(2026, 12, 14)])
    assert calendar.add_working_days(date(2026, 12, 10), 1) == date(2026, 12, 13)  # Thu -> Sun
    assert calendar.add_working_days(date(2026, 12, 13), 1) == date(2026, 12, 15)  # Mon 14 is a holiday
    assert calendar.due_at(POSTED, 0) == datetime(2026, 12, 7, tzinfo=UTC)
    assert calendar.working_days_between(POSTED, datetime(2026, 12, 16, 9, tzinfo=UTC)) == 7


def test_a_holiday_and_a_weekend_push_the_flag_date(tree, runner, admin_client):
    idea = post(tree["upz_officer"], tree["health"])
    response = admin_client.post("/followup/holidays", data={"day": "2026-12-14", "name": "Test holiday"})
    assert response.status_code == 302
    # Without the holiday the idea would be flagged at the end of Tue 15 Dec; the holiday on Mon 14 moves the
    # 7th working day to Wed 16, and the weekend of 18-19 Dec moves escalation to the end of Sun 27 Dec.
    run_scan(runner, FLAG_DUE + timedelta(hours=12))
    assert flag_of(idea) is None
    run_scan(runner, datetime(2026, 12, 17, tzinfo=DHAKA))
    assert flag_of(idea).level == 0
    run_scan(runner, datetime(2026, 12, 28, tzinfo=DHAKA) - SECOND)
    assert flag_of(idea).level == 0
    run_scan(runner, datetime(2026, 12, 28, tzinfo=DHAKA))
    assert flag_of(idea).level == 1


def test_other_weekend_and_durations_come_from_config(tree):
    config = {"FOLLOWUP_WEEKEND": "sat,sun", "FOLLOWUP_RESPONSE_DAYS": "2", "FOLLOWUP_ESCALATE_DAYS": "1"}
    rules = Rules.from_config(config)
    idea = post(tree["upz_officer"], tree["health"], created_at=datetime(2026, 12, 11, 9, tzinfo=UTC))  # a Friday
    scan(datetime(2026, 12, 16, tzinfo=DHAKA) - SECOND, rules)  # Mon 14 and Tue 15 are the 2 working days
    assert flag_of(idea) is None
    scan(datetime(2026, 12, 16, tzinfo=DHAKA), rules)
    assert flag_of(idea).level == 0
    scan(datetime(2026, 12, 17, tzinfo=DHAKA), rules)
    assert flag_of(idea).level == 1


def test_waiting_on_names_the_office_its_contacts_and_the_due_date(tree, runner):
    idea = post(tree["upz_officer"], tree["health"])
    state = waiting.waiting_on(idea, RULES)
    assert state["office_name"] == "Gazipur District" and state["since"] == POSTED
    assert state["contacts"] == [f"{tree['dist_senior'].name}, Deputy Commissioner"]
    assert state["due"] == FLAG_DUE and state["flag"] is None and state["reference"] == idea.reference
    run_scan(runner, LEVEL1_DUE)
    state = waiting.waiting_on(idea, RULES)
    assert state["office_name"] == "Ministry of Land" and state["level"] == 1 and state["since"] == LEVEL1_DUE
    assert state["due"] == LEVEL2_DUE and state["next_office_name"] == "Cabinet Division"
    ideas.add_comment(idea, tree["senior"], "Answer", now=LEVEL1_DUE + timedelta(days=1))
    db.session.commit()
    assert waiting.waiting_on(idea, RULES) is None


def test_waiting_on_for_a_senior_authors_idea_says_no_clock_runs(tree):
    idea = post(tree["dist_senior"], tree["health"])
    state = waiting.waiting_on(idea, RULES)
    assert state["status"] == "senior_author" and state["due"] is None


def test_idea_page_shows_whom_it_waits_on(tree, client, auth, runner):
    idea = post(tree["upz_officer"], tree["health"])
    auth.login(tree["officer"].email)
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Waiting on Gazipur District" in page and "Deputy Commissioner" in page and idea.reference in page
    run_scan(runner, LEVEL1_DUE)
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Waiting on Ministry of Land" in page and "Escalated (level 1)" in page


def test_admin_adds_and_removes_holidays(world, admin_client):
    assert admin_client.get("/followup/holidays").status_code == 200
    assert admin_client.post("/followup/holidays", data={"day": "2026-12-16", "name": "Victory Day"}).status_code == 302
    duplicate = admin_client.post("/followup/holidays", data={"day": "2026-12-16", "name": "Again"})
    assert duplicate.status_code == 200 and "already a holiday" in duplicate.get_data(as_text=True)
    assert admin_client.post("/followup/holidays", data={"day": "soon", "name": "X"}).status_code == 200
    holiday = db.session.scalar(sa.select(Holiday))
    assert (holiday.day, holiday.name) == (date(2026, 12, 16), "Victory Day")
    assert "Holidays" in admin_client.get("/admin/users").get_data(as_text=True)
    assert admin_client.post(f"/followup/holidays/{holiday.id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Holiday.id))) == 0


def test_holidays_page_is_for_admins_only(world, staff_client):
    assert staff_client.get("/followup/holidays").status_code == 403
    assert staff_client.post("/followup/holidays", data={"day": "2026-12-16", "name": "X"}).status_code == 403
