"""The response-time report: figures, CSV, the cache, the staff dashboard."""

import csv
import io
import re
from datetime import datetime, timedelta

import pytest

from forum.extensions import db
from forum.followup import flags
from forum.followup import report as reports
from forum.ideas import service as ideas
from tests.followup.helpers import (
    FLAG_DUE,
    LEVEL1_DUE,
    POSTED,
    flag_of,
    post,
    run_scan,
)


def test_staff_dashboard_lists_flags_oldest_first_with_charts_and_report(tree, runner, staff_client):
    older = post(tree["upz_officer"], tree["health"], created_at=POSTED - timedelta(days=1), title="Older idea first")
    newer = post(tree["upz_officer"], tree["land"], title="Newer idea second")
    run_scan(runner, LEVEL1_DUE)
    page = staff_client.get("/followup/").get_data(as_text=True)
    assert page.index(older.reference) < page.index(newer.reference)
    main = re.search(r"<main\b[^>]*>(.*)</main>", page, re.S)
    assert main and "<svg" in main[1] and "<script" not in main[1]
    assert "By responsible office" in page and "By category" in page
    filtered = staff_client.get("/followup/?office=ROOT&level=1").get_data(as_text=True)
    assert newer.reference in filtered and older.reference not in filtered
    assert staff_client.get("/followup/?level=x").status_code == 200  # a bad filter is a message, not a 500


def test_csv_export_has_the_report_table(tree, runner, staff_client):
    post(tree["upz_officer"], tree["health"])
    run_scan(runner, FLAG_DUE)
    response = staff_client.get("/followup/report.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    dist = next(r for r in rows if r["group"] == "office" and r["key"] == "DIST")
    assert dist["ideas"] == "1" and dist["answered"] == "0" and dist["open_flags_level_0"] == "1"


def test_api_report_as_json_and_csv(tree, flagged, api):
    staff = api(tree["staff"])
    report = staff.get("/followup/report?format=json").get_json()
    assert report["levels"] == [0]
    offices = {r["key"]: r for r in report["offices"]}
    assert offices["DIST"]["ideas"] == 1 and offices["DIST"]["open_flags"] == {"0": 1}
    assert offices["MIN"]["ideas"] == 1 and report["totals"]["open_flags_total"] == 2
    csv_response = staff.get("/followup/report?format=csv")
    assert csv_response.status_code == 200 and csv_response.mimetype == "text/csv"
    assert csv_response.data.decode("utf-8-sig").startswith("group,key,name,ideas")


def test_percentile_interpolates_between_ranks():
    assert reports.percentile([], 0.5) is None
    assert reports.percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert reports.percentile([float(n) for n in range(1, 11)], 0.9) == pytest.approx(9.1)


def test_report_counts_answers_and_response_times_per_office_and_category(tree, runner):
    answered = [post(tree["upz_officer"], tree["health"], title=f"Answered idea {n}") for n in range(4)]
    for days, idea in zip((1, 2, 3, 9), answered, strict=True):
        ideas.add_comment(idea, tree["dist_senior"], "Answer", now=POSTED + timedelta(days=days))
    post(tree["upz_officer"], tree["health"], title="Waiting idea")
    post(tree["dist_senior"], tree["health"], title="Senior's own idea")  # left out of the report
    db.session.commit()
    run_scan(runner, FLAG_DUE)
    report = reports.compute_report(FLAG_DUE)
    (dist,) = [r for r in report["offices"] if r["key"] == "DIST"]
    assert (dist["ideas"], dist["answered"], dist["share_answered"]) == (5, 4, 0.8)
    assert dist["median_days"] == 2.5 and dist["p90_days"] == pytest.approx(7.2)
    assert dist["open_flags"] == {"0": 1}
    (health,) = [r for r in report["categories"] if r["name"] == "Health"]
    assert health["ideas"] == 5 and health["open_flags_total"] == 1
    csv_text = reports.report_csv(report)
    assert "total,,All,5,4,0.8,2.5,7.2,1,1" in csv_text


def test_report_is_cached_for_a_minute_and_dropped_after_a_flag_change(app, tree, runner, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(reports.time, "monotonic", lambda: clock[0])
    idea = post(tree["upz_officer"], tree["health"])
    first = reports.cached_report(60, FLAG_DUE)
    assert first["cached"] is False and first["computed_at"] == FLAG_DUE.isoformat() and first["cache_seconds"] == 60
    post(tree["upz_officer"], tree["health"], title="Second idea, unseen for now")
    clock[0] += 59
    second = reports.cached_report(60, FLAG_DUE + timedelta(hours=1))
    assert second["cached"] is True and second["computed_at"] == first["computed_at"]
    assert second["totals"]["ideas"] == 1
    clock[0] += 2
    third = reports.cached_report(60, FLAG_DUE + timedelta(hours=2))
    assert third["cached"] is False and third["totals"]["ideas"] == 2

    run_scan(runner, FLAG_DUE)  # a scan committed in this process drops the cache
    assert reports.cached_report(60)["totals"]["open_flags_total"] == 2
    flags.resolve_flag(flag_of(idea), tree["staff"], "Done", FLAG_DUE)
    db.session.commit()
    assert reports.cached_report(60)["totals"]["open_flags_total"] == 1
    db.session.rollback()
    assert reports.cached_report(0)["cached"] is False


def test_dashboard_and_api_show_when_the_report_was_computed(tree, flagged, api, staff_client):
    body = api(tree["staff"]).get("/followup/report").get_json()
    computed = datetime.fromisoformat(body["computed_at"])
    assert computed.utcoffset() == timedelta(0) and body["cached"] is False and body["cache_seconds"] == 60
    again = api(tree["staff"]).get("/followup/report").get_json()
    assert again["cached"] is True and again["computed_at"] == body["computed_at"]
    page = staff_client.get("/followup/").get_data(as_text=True)
    assert f"computed at {computed:%Y-%m-%d %H:%M:%S} UTC" in page and "every 60 seconds" in page


@pytest.mark.parametrize("page", ["abc", "-1", "99999999999999999999999", "0"])
def test_dashboard_survives_any_page_number(tree, staff_client, page):
    response = staff_client.get("/followup/", query_string={"page": page})
    assert response.status_code == 200
