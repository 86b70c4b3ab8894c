"""The impact report: stage counts over time, working-day percentiles, offices, adoptions; page, CSV, API."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import current_app

from forum.accounts import service as accounts
from forum.extensions import db
from forum.followup.calendar import WorkCalendar
from forum.ideas import service as ideas
from forum.impact import report as reports
from forum.impact.exports import safe_cell
from forum.impact.filters import parse_filters
from forum.impact.queries import LocalDays
from forum.lifecycle import service as lifecycle
from forum.models import Idea, IdeaStatusChange, UTCDateTime

# Sunday 2026-03-01; the weekend is Friday and Saturday.
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
RANGE = {"since": "2026-01-01", "until": "2026-06-30"}


def working(days: int) -> datetime:
    """T0 plus `days` working days (Sunday to Thursday)."""
    calendar = WorkCalendar({4, 5})
    return datetime.combine(calendar.add_working_days(T0.date(), days), T0.time(), tzinfo=UTC)


def posted(world, title: str, author: str = "officer", category: str = "land", at: datetime = T0) -> Idea:
    idea = ideas.create_idea(world[author], title, "Body text.", world[category].id)
    db.session.flush()
    idea.created_at = at
    db.session.execute(sa.update(IdeaStatusChange).where(IdeaStatusChange.idea_id == idea.id).values(at=at))
    return idea


@pytest.fixture
def story(world):
    """Three land ideas (MIN answers for them) and one health idea, with answers, decisions and an adoption."""
    accounts.create_office("UPZ", "Kaliakair Upazila", "DIST")
    a = posted(world, "Mutation status by SMS")
    b = posted(world, "Digital land records room")
    c = posted(world, "A health idea from the district", category="health")
    d = posted(world, "উপজেলা ভূমি অফিসে অনলাইন সিরিয়াল")
    ideas.add_comment(a, world["senior"], "Good idea.", now=working(2))
    ideas.add_comment(b, world["senior"], "We will look.", now=working(6))
    ideas.add_comment(c, world["senior"], "Noted.", now=working(4))
    lifecycle.change_status(a, world["senior"], "piloting", "Pilot in Gazipur.", now=working(5))
    lifecycle.change_status(a, world["staff"], "implemented", "Rolled out.", now=working(15))
    lifecycle.change_status(b, world["senior"], "closed", "No budget.", "declined", now=working(16))
    lifecycle.change_status(d, world["officer"], "closed", "Posted twice.", "withdrawn", now=working(1))
    lifecycle.adopt(a, world["senior"], "MIN", "Ministry-wide.", now=working(25))
    lifecycle.adopt(a, world["staff"], "UPZ", "Kaliakair too.", now=working(30))
    db.session.commit()
    return {"a": a, "b": b, "c": c, "d": d}


def settings() -> reports.ReportSettings:
    """The impact report's settings, read from the app's config as the page and the API read them."""
    return reports.ReportSettings.from_config(current_app.config)


def compute(timezone: str | None = None, **args) -> dict:
    """The report over RANGE (or the dates given), in the follow-up zone unless `timezone` names another."""
    report_settings = settings()
    filters = parse_filters({**RANGE, **args}, timezone or report_settings.timezone)
    return reports.compute_report(filters, report_settings.weekend)


def test_the_report_settings_come_from_the_app_config():
    config = {"FOLLOWUP_TIMEZONE": "Europe/London", "FOLLOWUP_WEEKEND": "sat,sun", "IMPACT_REPORT_CACHE_SECONDS": "0"}
    assert reports.ReportSettings.from_config(config) == reports.ReportSettings("Europe/London", frozenset({5, 6}), 0.0)


def test_working_days_match_the_follow_up_calendar():
    calendar = WorkCalendar({4, 5}, [date(2026, 3, 17), date(2026, 3, 20)])
    fast = reports.WorkingDays(calendar)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    for offset in range(0, 60, 3):
        for length in (0, 1, 5, 13, 40):
            a, b = start + timedelta(days=offset), start + timedelta(days=offset + length)
            assert fast.between(f"{a:%Y-%m-%d}", f"{b:%Y-%m-%d}") == calendar.working_days_between(a, b)


def test_intervals_are_working_day_percentiles_over_the_events_in_the_range(story):
    figures = compute()["working_days"]
    # Answers after 2, 6 and 4 working days; decisions 3 (a) and 10 (b) working days after the first answer;
    # the withdrawal is no decision; a's first adoption came 10 working days after it was implemented.
    assert figures["post_to_answer"] == {"count": 3, "median": 4.0, "p90": 5.6}
    assert figures["answer_to_decision"] == {"count": 2, "median": 6.5, "p90": 9.3}
    assert figures["implemented_to_adoption"] == {"count": 1, "median": 10.0, "p90": 10.0}


def test_events_outside_the_range_are_not_counted(story):
    later = compute(since="2026-04-01", until="2026-06-30")["working_days"]
    assert later["post_to_answer"]["count"] == 0 and later["implemented_to_adoption"]["count"] == 1


def test_stages_over_time_count_each_idea_once_at_each_month_end(story):
    points = {p["month"]: p["stages"] for p in compute()["stages_over_time"]}
    assert set(points) == {"2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"}
    assert sum(points["2026-02"].values()) == 0
    march = points["2026-03"]  # a implemented (Mar 22), b closed (Mar 23), c open, d withdrawn
    assert (march["implemented"], march["closed"], march["open"], march["piloting"]) == (1, 2, 1, 0)
    assert all(sum(p.values()) == 4 for month, p in points.items() if month >= "2026-03")


def test_filters_by_office_subtree_and_category(story, world):
    assert compute(category=str(world["health"].id))["totals"]["posted"] == 1
    assert compute(office="DIST")["totals"]["posted"] == 4
    assert compute(office="MIN")["totals"]["posted"] == 4  # DIST is below MIN
    assert compute(office="UPZ")["totals"]["posted"] == 0


def test_offices_are_ranked_by_median_working_days_with_decisions(story):
    report = compute()
    rows = {r["office"]: r for r in report["offices"]}
    # Land ideas are answered for by MIN (it owns the category), the health idea by DIST's parent, MIN too.
    assert rows["MIN"]["answered"] == 3 and rows["MIN"]["decided"] == 2
    assert report["fastest_offices"][0]["office"] == "MIN"


def test_most_adopted_ideas_count_offices(story):
    top = compute()["most_adopted"]
    assert [(r["reference"], r["adopted_by"]) for r in top] == [(story["a"].reference, 2)]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-07-01", "until": "2026-06-01"}, "since"),
        ({"since": "2020-01-01", "until": "2026-06-01"}, "since"),
        ({"office": "NOPE"}, "office"),
        ({"category": "abc"}, "category"),
        ({"category": "99999"}, "category"),
    ],
)
def test_bad_filters_are_422_naming_the_field(world, api, args, field):
    response = api(world["staff"]).get("/reports/impact", query_string=args)
    assert response.status_code == 422 and response.get_json()["error"]["field"] == field


def test_the_api_gives_staff_the_figures_and_refuses_others(story, world, api):
    response = api(world["staff"]).get("/reports/impact", query_string=RANGE)
    assert response.status_code == 200
    body = response.get_json()
    assert body["working_days"]["post_to_answer"]["median"] == 4.0
    assert body["stages_now"]["implemented"] == 1 and body["totals"]["adoptions"] == 2
    assert api(world["officer"]).get("/reports/impact").status_code == 403
    assert api(world["senior"]).get("/reports/impact").status_code == 403


def test_the_report_is_cached_for_a_minute_per_filter(story, world, api):
    staff = api(world["staff"])
    assert staff.get("/reports/impact", query_string=RANGE).get_json()["cached"] is False
    assert staff.get("/reports/impact", query_string=RANGE).get_json()["cached"] is True
    assert staff.get("/reports/impact", query_string={**RANGE, "office": "DIST"}).get_json()["cached"] is False


def test_the_page_draws_svg_charts_without_script_for_staff_only(story, auth, client):
    auth.login("officer@x.gov")
    assert client.get("/followup/impact/").status_code == 403
    auth.logout()
    auth.login("staff@x.gov")
    page = client.get("/followup/impact/", query_string=RANGE).get_data(as_text=True)
    charts = page.split("<svg")[1:]
    assert len(charts) >= 2 and all("<rect" in c and "<script" not in c.split("</svg>")[0] for c in charts)
    assert "Most adopted ideas" in page and "Mutation status by SMS" in page
    assert "/followup/impact/report.csv?since=2026-01-01" in page


def test_a_bad_filter_on_the_page_shows_a_message_and_the_default_report(story, auth, client):
    auth.login("staff@x.gov")
    response = client.get("/followup/impact/", query_string={"since": "nonsense"})
    assert response.status_code == 200 and "since must be a date" in response.get_data(as_text=True)


def test_the_csv_has_a_bom_every_section_and_defuses_formulas(story, world, auth, client):
    evil = posted(world, '=HYPERLINK("http://x")', at=T0)
    lifecycle.change_status(evil, world["staff"], "implemented", "Done.", now=working(3))
    lifecycle.adopt(evil, world["staff"], "UPZ", "x", now=working(4))
    db.session.commit()
    auth.login("staff@x.gov")
    response = client.get("/followup/impact/report.csv", query_string=RANGE)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    sections = {r[0] for r in rows if r and r[0]}
    assert {"stages over time", "working days", "offices", "most adopted"} <= sections
    titles = [r[2] for r in rows if r and r[0] == "" and len(r) > 5 and r[1].startswith("PSI-")]
    assert '\'=HYPERLINK("http://x")' in titles


def test_safe_cell_quotes_every_formula_start():
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(text) == "'" + text
    assert safe_cell("উদ্ভাবন") == "উদ্ভাবন" and safe_cell(3) == 3


def test_the_report_ranks_offices_never_people(story, world, api, auth, client):
    """Recognition without a leaderboard of people: no person's name anywhere in the report."""
    people = [world[k].name for k in ("officer", "senior", "staff")]
    body = api(world["staff"]).get("/reports/impact", query_string=RANGE).get_data(as_text=True)
    auth.login("staff@x.gov")
    page = client.get("/followup/impact/", query_string=RANGE).get_data(as_text=True)
    report = page[page.index("<main") :]
    csv_text = client.get("/followup/impact/report.csv", query_string=RANGE).data.decode("utf-8-sig")
    for text in (body, report, csv_text):
        assert "MIN" in text  # the offices are there (the office code)
        assert [name for name in people if name in text] == []


# Local days (FOLLOWUP_TIMEZONE) ----------------------------------------------------------------------------


def test_day_counts_use_local_working_days_in_the_follow_up_time_zone(world, api):
    # Posted Sun 1 Mar 20:00 UTC = Mon 2 Mar 02:00 in Dhaka; answered Thu 5 Mar 19:00 UTC = Fri 6 Mar 01:00
    # in Dhaka, a weekend day. Local days: Tue, Wed, Thu = 3 working days; UTC days would give Mon-Thu = 4.
    idea = posted(world, "Posted late in the UTC evening", at=datetime(2026, 3, 1, 20, 0, tzinfo=UTC))
    ideas.add_comment(idea, world["senior"], "Seen.", now=datetime(2026, 3, 5, 19, 0, tzinfo=UTC))
    db.session.commit()
    answer = api(world["staff"]).get("/reports/impact", query_string=RANGE).get_json()
    assert answer["filters"]["timezone"] == "Asia/Dhaka"  # the default FOLLOWUP_TIMEZONE
    assert answer["working_days"]["post_to_answer"]["median"] == 3.0
    assert compute()["working_days"]["post_to_answer"]["median"] == 3.0
    in_utc = compute(timezone="UTC")
    assert in_utc["working_days"]["post_to_answer"]["median"] == 4.0


def test_the_range_and_the_months_are_local_days(world):
    # 31 Mar 20:00 UTC is already 1 April in Dhaka.
    posted(world, "Posted on the first of April, Dhaka time", at=datetime(2026, 3, 31, 20, 0, tzinfo=UTC))
    db.session.commit()
    assert compute(since="2026-03-01", until="2026-03-31")["totals"]["posted"] == 0
    assert compute(since="2026-04-01", until="2026-04-30")["totals"]["posted"] == 1
    months = {p["month"]: sum(p["stages"].values()) for p in compute()["stages_over_time"]}
    assert (months["2026-03"], months["2026-04"]) == (0, 1)
    in_utc = compute(timezone="UTC")
    assert {p["month"]: sum(p["stages"].values()) for p in in_utc["stages_over_time"]}["2026-03"] == 1


@pytest.mark.parametrize("zone_name", ["Asia/Dhaka", "Europe/London", "America/St_Johns", "Asia/Kolkata"])
def test_the_database_turns_moments_into_the_same_local_days_as_python(app, zone_name):
    # Around the daylight-saving changes of 2026 (London: 29 Mar and 25 Oct at 01:00 UTC) and half-hour zones.
    moments = [
        datetime(2026, 3, 29, 0, 59, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 23, 30, tzinfo=UTC),
        datetime(2026, 10, 24, 23, 30, tzinfo=UTC),
        datetime(2026, 10, 25, 23, 30, tzinfo=UTC),
        datetime(2026, 12, 31, 18, 10, tzinfo=UTC),
        datetime(2008, 6, 19, 17, 30, tzinfo=UTC),  # Bangladesh kept summer time in 2009 only
        datetime(2009, 6, 19, 17, 30, tzinfo=UTC),
    ]
    zone = ZoneInfo(zone_name)
    days = LocalDays(zone, date(2008, 1, 1), date(2026, 12, 31))
    for moment in moments:
        day = db.session.scalar(sa.select(days.day(sa.literal(moment, UTCDateTime))))
        month = db.session.scalar(sa.select(days.month(sa.literal(moment, UTCDateTime))))
        assert (day, month) == (f"{moment.astimezone(zone):%Y-%m-%d}", f"{moment.astimezone(zone):%Y-%m}"), moment
