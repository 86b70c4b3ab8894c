"""The dashboard's flag list: working days overdue (sortable), readable statuses, and its CSV export."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

from forum.extensions import db
from forum.followup import flags
from forum.followup.overdue import working_days_overdue
from forum.followup.rules import load_calendar
from forum.models import utcnow
from tests.followup.helpers import FLAG_DUE, POSTED, RULES, flag_of, post, run_scan


def test_working_days_overdue_count_from_the_response_deadline_to_now_or_the_resolution(tree, runner):
    idea = post(tree["upz_officer"], tree["health"])  # due at the end of Tue 15 Dec
    run_scan(runner, FLAG_DUE)
    flag = flag_of(idea)
    calendar = load_calendar(RULES)
    wednesday = datetime(2026, 12, 16, 10, tzinfo=UTC)
    sunday = datetime(2026, 12, 20, 10, tzinfo=UTC)  # Wed, Thu, (Fri, Sat weekend), Sun
    assert working_days_overdue([flag], RULES, calendar, POSTED + timedelta(days=2)) == {flag.id: 0}
    assert working_days_overdue([flag], RULES, calendar, wednesday) == {flag.id: 1}
    assert working_days_overdue([flag], RULES, calendar, sunday) == {flag.id: 3}
    flags.resolve_flag(flag, tree["staff"], "Answered by phone", wednesday)
    db.session.commit()
    assert working_days_overdue([flag], RULES, calendar, sunday) == {flag.id: 1}


def _rows(html: str) -> list[tuple[str, str]]:
    """(reference, working days overdue) of each flag row, in order."""
    return re.findall(r'<td class="ref"><a [^>]*>([^<]+)</a></td>.*?<td class="num overdue">(\d+)</td>', html, re.S)


def test_the_flag_list_sorts_by_working_days_overdue_and_shows_readable_statuses(tree, runner, staff_client):
    now = utcnow()
    older = post(tree["upz_officer"], tree["health"], now - timedelta(days=40), title="Older unanswered idea")
    newer = post(tree["upz_officer"], tree["land"], now - timedelta(days=20), title="Newer unanswered idea")
    run_scan(runner, now)
    html = staff_client.get("/followup/").get_data(as_text=True)
    rows = _rows(html)
    assert [r[0] for r in rows] == [older.reference, newer.reference]
    assert int(rows[0][1]) > int(rows[1][1]) > 0
    assert 'aria-sort="descending"' in html and "Working days overdue" in html
    assert '<span class="pill flag-open">open</span>' in html and "Flagged</td>" in html
    flipped = staff_client.get("/followup/?sort=recent").get_data(as_text=True)
    assert [r[0] for r in _rows(flipped)] == [newer.reference, older.reference]
    assert 'aria-sort="ascending"' in flipped


def test_the_flags_csv_follows_the_filters_with_a_bom_and_bangla_intact(tree, runner, staff_client):
    now = utcnow()
    bangla = post(tree["upz_officer"], tree["health"], now - timedelta(days=12), title="=জমির খতিয়ান অনলাইনে")
    other = post(tree["upz_officer"], tree["land"], now - timedelta(days=12), title="Land idea elsewhere")
    run_scan(runner, now)
    dashboard = staff_client.get("/followup/?office=DIST").get_data(as_text=True)
    assert 'href="/followup/flags.csv?office=DIST"' in dashboard
    response = staff_client.get("/followup/flags.csv?office=DIST")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [r["reference"] for r in rows] == [bangla.reference]
    assert rows[0]["title"] == "'=জমির খতিয়ান অনলাইনে"  # Bangla intact, the formula start defused
    assert rows[0]["status"] == "open" and int(rows[0]["working_days_overdue"]) > 0
    everything = staff_client.get("/followup/flags.csv?status=all").data.decode("utf-8-sig")
    assert other.reference in everything and bangla.reference in everything
    assert staff_client.get("/followup/flags.csv?level=x").status_code == 302  # a bad filter: back, with a message
