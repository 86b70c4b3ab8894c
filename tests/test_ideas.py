"""Idea pages: post, validate, edit, list and filter, threads, comments, endorse and follow, sanitising."""

import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.ideas import service as ideas
from forum.models import Comment, Endorsement, Follow, Idea


def text(response) -> str:
    return response.get_data(as_text=True)


def post_idea(client, world, **overrides):
    data = {
        "title": "Online land records",
        "body": "Citizens wait **weeks** for a copy.\n\n- scan\n- publish",
        "category": str(world["land"].id),
        "tags": "land, records",
    }
    data.update(overrides)
    return client.post("/ideas/new", data=data)


def make_idea(world, author="officer", title="Online land records", category="land", tags=None, body="Body text."):
    idea = ideas.create_idea(world[author], title, body, world[category].id, tags)
    db.session.commit()
    return idea


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


class ThreadParser(HTMLParser):
    """Maps each comment <li id="cN"> to the comment <li> it sits inside (None at top level)."""

    def __init__(self):
        super().__init__()
        self.stack: list[str | None] = []
        self.parent_of: dict[str, str | None] = {}

    def handle_starttag(self, tag, attrs):
        if tag != "li":
            return
        li_id = dict(attrs).get("id")
        if li_id and re.fullmatch(r"c\d+", li_id):
            enclosing = [x for x in self.stack if x]
            self.parent_of[li_id] = enclosing[-1] if enclosing else None
        self.stack.append(li_id if li_id and re.fullmatch(r"c\d+", li_id) else None)

    def handle_endtag(self, tag):
        if tag == "li" and self.stack:
            self.stack.pop()


def thread_shape(html: str) -> dict[str, str | None]:
    parser = ThreadParser()
    parser.feed(html)
    return parser.parent_of


@pytest.fixture
def officer(client, world, auth):
    auth.login("officer@x.gov")
    return client


# Posting ------------------------------------------------------------------


def test_posting_an_idea_redirects_to_its_page_with_reference_and_markdown(officer, world):
    response = post_idea(officer, world)
    assert response.status_code == 302
    idea = db.session.scalar(sa.select(Idea))
    assert response.headers["Location"] == f"/ideas/{idea.id}"
    page = text(officer.get(response.headers["Location"]))
    assert idea.reference and idea.reference in page
    assert "<strong>weeks</strong>" in page and "<li>scan</li>" in page
    assert "#land" in page and "#records" in page
    assert sorted(t.name for t in idea.tags) == ["land", "records"]
    assert idea.office.code == "DIST" and idea.author.email == "officer@x.gov"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": "Hi"}, "title must be at least 5 characters"),
        ({"title": "x" * 201}, "title must be at most 200 characters"),
        ({"body": "b" * 20_001}, "body must be at most 20,000 characters"),
        ({"title": ""}, "This field is required"),
        ({"body": ""}, "This field is required"),
        ({"category": "98765"}, "Not a valid choice"),
        ({"category": "abc"}, "This field is required"),
        ({"tags": "a, b, c, d, e, f"}, "at most 5 tags"),
        ({"tags": "<script>"}, "may hold only letters"),
    ],
)
def test_bad_idea_fields_re_render_the_form_with_the_field_error(officer, world, overrides, message):
    response = post_idea(officer, world, **overrides)
    assert response.status_code == 200
    page = text(response)
    assert message in page
    assert 'class="field has-error"' in page
    assert count(Idea) == 0


def test_a_huge_title_is_a_form_error_not_413(officer, world):
    response = post_idea(officer, world, title="t" * 100_000)
    assert response.status_code == 200
    assert "title must be at most 200 characters" in text(response)
    assert count(Idea) == 0


def test_a_request_over_one_megabyte_is_refused_with_a_page(officer, world):
    response = post_idea(officer, world, body="b" * (1024 * 1024 + 10))
    assert response.status_code == 413
    assert "<html" in text(response) and count(Idea) == 0


def test_new_idea_form_shows_categories(officer, world):
    page = text(officer.get("/ideas/new"))
    assert "Land services" in page and "Health" in page


# Editing ------------------------------------------------------------------


def test_only_the_author_may_edit_an_idea(client, world, auth):
    idea = make_idea(world)
    auth.login("officer2@x.gov")
    assert client.get(f"/ideas/{idea.id}/edit").status_code == 403
    data = {"title": "Hijacked title", "body": "x", "category": str(world["land"].id)}
    assert client.post(f"/ideas/{idea.id}/edit", data=data).status_code == 403
    auth.logout()

    auth.login("officer@x.gov")
    page = client.get(f"/ideas/{idea.id}/edit")
    assert page.status_code == 200 and "Online land records" in text(page)
    response = client.post(
        f"/ideas/{idea.id}/edit",
        data={"title": "Online land records, v2", "body": "*new*", "category": str(world["health"].id), "tags": "x"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    edited = db.session.get(Idea, idea.id)
    assert edited.title == "Online land records, v2" and edited.category.name == "Health"
    assert edited.body_html == "<p><em>new</em></p>\n" and edited.edited_at is not None
    response = client.post(f"/ideas/{idea.id}/edit", data={"title": "Hey", "body": "x", "category": "1"})
    assert response.status_code == 200 and "title must be at least 5 characters" in text(response)


def test_admin_may_edit_any_idea(client, world, auth):
    idea = make_idea(world)
    auth.login("admin@x.gov")
    assert client.get(f"/ideas/{idea.id}/edit").status_code == 200


def test_author_deletes_an_idea_and_it_is_gone(officer, world):
    idea = make_idea(world)
    assert officer.post(f"/ideas/{idea.id}/delete").status_code == 302
    assert officer.get(f"/ideas/{idea.id}").status_code == 404
    assert "Online land records" not in text(officer.get("/"))


def test_others_cannot_delete_an_idea(client, world, auth):
    idea = make_idea(world)
    auth.login("officer2@x.gov")
    assert client.post(f"/ideas/{idea.id}/delete").status_code == 403
    assert client.get(f"/ideas/{idea.id}").status_code == 200


# Listing ------------------------------------------------------------------


@pytest.fixture
def listing(world):
    """Six ideas: land/health, DIST/MIN, one answered, one implemented, one tagged and endorsed."""
    made = {
        "a": make_idea(world, title="Alpha land idea", tags=["flood"]),
        "b": make_idea(world, title="Bravo health idea", category="health"),
        "c": make_idea(world, author="senior", title="Charlie ministry idea"),
        "d": make_idea(world, title="Delta answered idea"),
        "e": make_idea(world, author="officer2", title="Echo implemented idea", category="health"),
        "f": make_idea(world, author="officer2", title="Foxtrot endorsed idea"),
    }
    ideas.add_comment(made["d"], world["senior"], "We will do this.")
    ideas.set_idea_status(made["e"], world["staff"], "implemented", "Rolled out.")
    ideas.endorse(made["f"], world["officer"])
    ideas.add_comment(made["b"], world["officer2"], "Peer comment one")
    ideas.add_comment(made["b"], world["officer2"], "Peer comment two")
    db.session.commit()
    return made


def titles(response) -> set[str]:
    return set(re.findall(r"(\w+) (?:land|health|ministry|answered|implemented|endorsed) idea", text(response)))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {"Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot"}),
        ({"category": "health"}, {"Bravo", "Echo"}),
        ({"office": "MIN"}, {"Charlie"}),
        ({"status": "implemented"}, {"Echo"}),
        ({"answered": "yes"}, {"Delta"}),
        ({"answered": "no"}, {"Alpha", "Bravo", "Charlie", "Echo", "Foxtrot"}),
        ({"tag": "flood"}, {"Alpha"}),
        ({"tag": "FLOOD"}, {"Alpha"}),
        ({"tag": "nothing"}, set()),
        ({"office": "DIST", "category": "land"}, {"Alpha", "Delta", "Foxtrot"}),
    ],
)
def test_list_filters(officer, world, listing, query, expected):
    if query.get("category"):
        query = {**query, "category": world[query["category"]].id}
    response = officer.get("/", query_string=query)
    assert response.status_code == 200
    assert titles(response) == expected


def test_list_sorting(officer, world, listing):
    def order(sort):
        page = text(officer.get("/", query_string={"sort": sort}))
        return re.findall(r"(\w+) (?:land|health|ministry|answered|implemented|endorsed) idea</a>", page)

    assert order("new")[0] == "Foxtrot"
    assert order("top")[0] == "Foxtrot"
    assert order("active")[0] == "Bravo"


def test_list_paginates(officer, world):
    for n in range(23):
        ideas.create_idea(world["officer"], f"Paginated idea {n:02d}", "x", world["land"].id)
    db.session.commit()
    first = text(officer.get("/"))
    assert "Paginated idea 22" in first and "Paginated idea 02" not in first
    assert "Page 1 of 2" in first and "23 ideas" in first
    second = text(officer.get("/", query_string={"page": 2}))
    assert "Paginated idea 02" in second and "Paginated idea 22" not in second


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=-1",
        "page=0",
        "page=99999999999999999999999",
        "category=abc",
        "category=99999999999999999999999",
        "office=NOPE",
        "status=weird",
        "answered=maybe",
        "sort=sideways",
        "tag=%00",
        "office=%00",
        "tag=a%00b&office=MI%00N",
        "tag=" + "t" * 5000,
    ],
)
def test_list_never_fails_on_odd_query_strings(officer, world, listing, query):
    response = officer.get("/?" + query)
    assert response.status_code == 200


def test_the_list_needs_a_login(client, world):
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# Viewing and threads ------------------------------------------------------


@pytest.mark.parametrize("idea_id", ["987654", "99999999999999999999999"])
def test_unknown_idea_is_a_404_page(officer, idea_id):
    response = officer.get(f"/ideas/{idea_id}")
    assert response.status_code == 404
    assert "<html" in text(response) and "404" in text(response)
    assert officer.get(f"/ideas/{idea_id}/edit").status_code == 404
    assert officer.post(f"/comments/{idea_id}/delete").status_code == 404


def test_thread_nests_replies_under_their_parent_and_marks_official_replies(officer, world):
    idea = make_idea(world)
    top = ideas.add_comment(idea, world["officer2"], "First peer comment")
    official = ideas.add_comment(idea, world["senior"], "Official reply", parent_id=top.id)
    nested = ideas.add_comment(idea, world["officer"], "Reply to the reply", parent_id=official.id)
    second = ideas.add_comment(idea, world["officer2"], "Second top-level")
    db.session.commit()

    page = text(officer.get(f"/ideas/{idea.id}"))
    shape = thread_shape(page)
    assert shape == {f"c{top.id}": None, f"c{official.id}": f"c{top.id}", f"c{nested.id}": f"c{official.id}",
                     f"c{second.id}": None}  # fmt: skip
    official_li = re.search(rf'<li class="([^"]*)" id="c{official.id}"', page)
    assert "official" in official_li.group(1)
    peer_li = re.search(rf'<li class="([^"]*)" id="c{top.id}"', page)
    assert "official" not in peer_li.group(1)
    assert page.count('class="pill official">Official response') == 1
    assert "4 comments" in page


def test_comment_through_the_page_form(officer, world):
    idea = make_idea(world)
    response = officer.post(f"/ideas/{idea.id}/comments", data={"body": "Good **idea**"})
    assert response.status_code == 302
    comment = db.session.scalar(sa.select(Comment))
    assert response.headers["Location"] == f"/ideas/{idea.id}#c{comment.id}"
    reply = officer.post(f"/ideas/{idea.id}/comments", data={"body": "And a reply", "parent_id": str(comment.id)})
    assert reply.status_code == 302
    page = text(officer.get(f"/ideas/{idea.id}"))
    assert "Good <strong>idea</strong>" in page
    assert list(thread_shape(page).values()) == [None, f"c{comment.id}"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"body": ""}, "This field is required"),
        ({"body": "c" * 10_001}, "body must be at most 10,000 characters"),
        ({"body": "ok", "parent_id": "abc"}, "parent_id must be a whole number"),
        ({"body": "ok", "parent_id": "98765"}, "parent_id is not a comment on this idea"),
        ({"body": "ok", "parent_id": "99999999999999999999999"}, "parent_id must be a whole number"),
    ],
)
def test_bad_comments_flash_a_readable_error_and_write_nothing(officer, world, data, message):
    idea = make_idea(world)
    response = officer.post(f"/ideas/{idea.id}/comments", data=data, follow_redirects=True)
    assert response.status_code == 200 and message in text(response)
    assert count(Comment) == 0


def test_comment_on_an_unknown_idea_is_404(officer, world):
    assert officer.post("/ideas/987654/comments", data={"body": "hello"}).status_code == 404


def test_edit_own_comment_only(client, world, auth):
    idea = make_idea(world)
    comment = ideas.add_comment(idea, world["officer"], "Original text")
    db.session.commit()
    auth.login("officer2@x.gov")
    assert client.get(f"/comments/{comment.id}/edit").status_code == 403
    assert client.post(f"/comments/{comment.id}/edit", data={"body": "hijack"}).status_code == 403
    auth.logout()

    auth.login("officer@x.gov")
    assert "Original text" in text(client.get(f"/comments/{comment.id}/edit"))
    response = client.post(f"/comments/{comment.id}/edit", data={"body": "Edited *text*"})
    assert response.status_code == 302
    page = text(client.get(f"/ideas/{idea.id}"))
    assert "Edited <em>text</em>" in page and "Original text" not in page
    response = client.post(f"/comments/{comment.id}/edit", data={"body": "c" * 10_001})
    assert response.status_code == 200 and "body must be at most 10,000 characters" in text(response)
    assert client.get("/comments/987654/edit").status_code == 404


def test_deleting_a_comment_keeps_the_thread_readable(client, world, auth):
    idea = make_idea(world)
    parent = ideas.add_comment(idea, world["officer"], "Parent to be removed")
    reply = ideas.add_comment(idea, world["officer2"], "A reply that stays", parent_id=parent.id)
    db.session.commit()
    auth.login("officer2@x.gov")
    assert client.post(f"/comments/{parent.id}/delete").status_code == 403
    auth.logout()

    auth.login("officer@x.gov")
    assert client.post(f"/comments/{parent.id}/delete").status_code == 302
    page = text(client.get(f"/ideas/{idea.id}"))
    assert "comment removed" in page and "Parent to be removed" not in page
    assert "A reply that stays" in page
    assert thread_shape(page) == {f"c{parent.id}": None, f"c{reply.id}": f"c{parent.id}"}
    # a removed comment cannot be edited or removed again
    assert client.get(f"/comments/{parent.id}/edit").status_code == 404
    assert client.post(f"/comments/{parent.id}/edit", data={"body": "back"}).status_code == 404
    assert client.post(f"/comments/{parent.id}/delete").status_code == 404


def test_endorse_and_follow_toggle(client, world, auth):
    idea = make_idea(world)
    auth.login("officer2@x.gov")
    assert client.post(f"/ideas/{idea.id}/endorse").status_code == 302
    assert db.session.get(Endorsement, (world["officer2"].id, idea.id)) is not None
    assert "Endorsed (1)" in text(client.get(f"/ideas/{idea.id}"))
    client.post(f"/ideas/{idea.id}/endorse")
    db.session.expire_all()
    assert db.session.get(Endorsement, (world["officer2"].id, idea.id)) is None
    assert db.session.get(Idea, idea.id).endorsement_count == 0

    client.post(f"/ideas/{idea.id}/follow")
    assert db.session.get(Follow, (world["officer2"].id, idea.id)) is not None
    assert "Unfollow" in text(client.get(f"/ideas/{idea.id}"))
    client.post(f"/ideas/{idea.id}/follow")
    db.session.expire_all()
    assert db.session.get(Follow, (world["officer2"].id, idea.id)) is None
    assert client.post("/ideas/987654/endorse").status_code == 404


def test_status_change_needs_a_senior_staff_or_admin(client, world, auth):
    idea = make_idea(world)
    auth.login("officer2@x.gov")
    assert client.post(f"/ideas/{idea.id}/status", data={"status": "closed", "note": "No."}).status_code == 403
    auth.logout()
    auth.login("staff@x.gov")
    moved = client.post(f"/ideas/{idea.id}/status", data={"status": "under_review", "note": "Looking at it."})
    assert moved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).status == "under_review"
    assert client.post(f"/ideas/{idea.id}/status", data={"status": "weird", "note": "x"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).status == "under_review"


# Sanitising ---------------------------------------------------------------

HOSTILE = (
    "<script>alert('x')</script>\n\n"
    "[click](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=)\n\n"
    '<img src=x onerror="alert(1)"> <a href="#" onclick="alert(1)">a</a>\n\n'
    "![pic](javascript:alert(2))\n\n"
    '<iframe src="https://evil.example"></iframe> <svg onload=alert(1)>'
)


def assert_clean(page: str) -> None:
    lowered = page.lower()
    assert "<script>alert" not in lowered
    assert not re.search(r"<[^>]+\son\w+\s*=", lowered), "an event handler attribute reached the page"
    assert not re.search(r"(href|src)\s*=\s*[\"']?\s*javascript:", lowered)
    assert "<iframe" not in lowered and "<svg" not in lowered


def test_hostile_markdown_never_reaches_the_page(officer, world):
    response = post_idea(officer, world, title="<script>alert(1)</script> title", body=HOSTILE)
    assert response.status_code == 302
    idea = db.session.scalar(sa.select(Idea))
    officer.post(f"/ideas/{idea.id}/comments", data={"body": HOSTILE})
    page = text(officer.get(f"/ideas/{idea.id}"))
    assert_clean(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; title" in page  # the title is shown, escaped
    assert_clean(text(officer.get("/")))
