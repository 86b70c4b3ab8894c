"""The search page tells the truth: counts and pages, refused date ranges, filters alone, plain snippets."""

import re

import pytest

from forum.extensions import db
from forum.ideas import service as ideas

pytestmark = pytest.mark.usefixtures("world")


def post(world, title, body="Plain body text.", user="officer", category="land"):
    idea = ideas.create_idea(world[user], title, body, world[category].id, [])
    db.session.commit()
    return idea


def hit_links(html: str) -> list[str]:
    return re.findall(r'<li class="idea-row search-hit">\s*<h2 class="row-title"><a href="([^"]+)"', html)


@pytest.fixture
def officer(client_for, world):
    return client_for(world["officer"])


def test_the_count_matches_the_rows_and_pages_reach_every_result(world, officer):
    made = {post(world, f"Pagination idea number {n}", "ferry timetable").id for n in range(13)}
    first = officer.get("/search", query_string={"q": "ferry"}).get_data(as_text=True)
    second = officer.get("/search", query_string={"q": "ferry", "page": 2}).get_data(as_text=True)
    assert "13 results · showing 1–10" in first and "13 results · showing 11–13" in second
    assert "Page 1 of 2" in first and 'rel="next"' in first and 'rel="prev"' in second
    shown = hit_links(first) + hit_links(second)
    assert len(shown) == 13 and {int(link.rsplit("/", 1)[1]) for link in shown} == made


def test_a_reversed_date_range_is_refused_with_a_message_on_the_until_field(world, officer):
    post(world, "Dated idea", "ferry")
    html = officer.get("/search", query_string={"q": "ferry", "since": "2026-03-01", "until": "2026-02-01"})
    html = html.get_data(as_text=True)
    assert "The start date (2026-03-01) is after the end date (2026-02-01)" in html
    assert hit_links(html) == []
    assert re.search(r'name="until" value="2026-02-01" aria-invalid="true" aria-describedby="search-error"', html)


def test_an_office_alone_lists_its_posts_newest_first_without_words(world, officer, make_user):
    elsewhere = make_user(office="MIN")
    ours = post(world, "District idea", "nothing in common")
    ideas.add_comment(ours, world["officer2"], "A comment with **bold** text")
    db.session.commit()
    ideas.create_idea(elsewhere, "Ministry idea", "other words", world["land"].id, [])
    db.session.commit()
    html = officer.get("/search", query_string={"office": "DIST"}).get_data(as_text=True)
    assert "2 results" in html and "Ministry idea" not in html
    links = hit_links(html)
    assert links[0].startswith(f"/ideas/{ours.id}#c") and links[1] == f"/ideas/{ours.id}"


def test_an_author_alone_lists_their_posts(world, officer):
    post(world, "By officer one")
    theirs = post(world, "By officer two", user="officer2")
    html = officer.get("/search", query_string={"author": "Officer Two"}).get_data(as_text=True)
    assert "1 result" in html and hit_links(html) == [f"/ideas/{theirs.id}"]


def test_snippets_are_plain_text_and_comments_name_their_author(world, officer):
    idea = post(world, "Markdown idea", "## Heading\n\nThe **ferry** timetable, in a [link](https://x.gov).")
    ideas.add_comment(idea, world["senior"], "> quoted\n\n*ferry* works now")
    db.session.commit()
    html = officer.get("/search", query_string={"q": "ferry"}).get_data(as_text=True)
    snippets = re.findall(r'<p class="snippet">(.*?)</p>', html, re.S)
    assert len(snippets) == 2, snippets
    assert not any(mark in s for s in snippets for mark in ("**", "##", "](", "&gt;"))
    assert any("Heading The <mark>ferry</mark> timetable, in a link." in s for s in snippets)
    assert "Comment by Senior One" in html


def test_a_tracking_reference_opens_its_idea(world, officer):
    idea = post(world, "Referenced idea")
    response = officer.get("/search", query_string={"q": f"  {idea.reference.lower()} "})
    assert response.status_code == 302 and response.headers["Location"] == f"/ideas/{idea.id}"
    # With a filter it is a search, and an unknown reference is searched for too.
    assert officer.get("/search", query_string={"q": idea.reference, "office": "DIST"}).status_code == 200
    assert officer.get("/search", query_string={"q": "PSI-1999-000001"}).status_code == 200
