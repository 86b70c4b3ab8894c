"""The idea page's cached head and thread: every change shows on the next load, per-viewer parts stay per viewer."""

import html as html_lib
import json
import re

import pytest

from forum import create_app
from forum.extensions import db
from forum.ideas import cache as page_cache
from forum.ideas import service as ideas
from forum.models import Idea, User
from tests.conftest import PASSWORD, without_csrf


@pytest.fixture
def thread(world):
    """An idea by officer with a comment by officer2 and a reply by officer."""
    idea = ideas.create_idea(world["officer"], "Digitise land records", "The **original** body.", world["land"].id)
    first = ideas.add_comment(idea, world["officer2"], "First comment by officer two")
    reply = ideas.add_comment(idea, world["officer"], "A reply by the author", parent_id=first.id)
    db.session.commit()
    return {"idea_id": idea.id, "first_id": first.id, "reply_id": reply.id}


def login_as(app, user):
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def csrf_tokens(html: str) -> set[str]:
    return set(re.findall(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html))


@pytest.fixture
def real_app(app_config, world, thread):
    """A second app that is never pushed: each request gets its own app context (`g`, locale), as in
    production, and CSRF is checked for real."""
    db.session.remove()  # release the fixture's SQLite transaction
    real = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    yield real
    with real.app_context():
        db.session.remove()
        db.engine.dispose()


def real_login(app, email: str):
    """Sign in through the form, CSRF token included."""
    client = app.test_client()
    (token,) = csrf_tokens(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return client


def page(client, idea_id: int) -> str:
    response = client.get(f"/ideas/{idea_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def comment_li(html: str, comment_id: int) -> str:
    """The markup of one comment up to its replies list."""
    match = re.search(rf'<li class="comment[^"]*" id="c{comment_id}".*?<ol class="replies">', html, re.S)
    assert match, f"comment {comment_id} not on the page"
    return match.group(0)


def test_second_load_is_served_from_the_cache_and_matches_a_fresh_render(app, world, thread):
    client = login_as(app, world["officer2"])
    first = page(client, thread["idea_id"])
    cache = app.extensions["thread_cache"]
    hits, misses = cache.hits, cache.misses
    second = page(client, thread["idea_id"])
    assert cache.hits == hits + 3  # the idea's head and thread, the follow-up panel, the lifecycle panel
    assert cache.misses == misses
    assert without_csrf(first) == without_csrf(second)
    cache.clear()
    assert without_csrf(page(client, thread["idea_id"])) == without_csrf(second)


def test_new_comment_edit_and_delete_show_on_the_next_load(app, world, thread):
    client = login_as(app, world["officer"])
    assert "First comment by officer two" in page(client, thread["idea_id"])

    response = client.post(f"/ideas/{thread['idea_id']}/comments", data={"body": "Brand new *comment*"})
    assert response.status_code == 302
    html = page(client, thread["idea_id"])
    assert "Brand new <em>comment</em>" in html
    assert "3 comments" in html

    response = client.post(f"/comments/{thread['reply_id']}/edit", data={"body": "The reply, edited"})
    assert response.status_code == 302
    html = page(client, thread["idea_id"])
    assert "The reply, edited" in html and "A reply by the author" not in html
    assert "(edited)" in comment_li(html, thread["reply_id"])

    response = client.post(f"/comments/{thread['reply_id']}/delete")
    assert response.status_code == 302
    html = page(client, thread["idea_id"])
    removed = comment_li(html, thread["reply_id"])
    assert "comment removed" in removed
    assert "The reply, edited" not in html
    assert 'class="comment-body"' not in removed


def test_idea_edit_and_status_change_show_on_the_next_load(app, world, thread):
    client = login_as(app, world["officer"])
    assert "<strong>original</strong>" in page(client, thread["idea_id"])
    response = client.post(
        f"/ideas/{thread['idea_id']}/edit",
        data={"title": "Digitise every land record", "body": "A *new* body.", "category": world["health"].id},
    )
    assert response.status_code == 302
    html = page(client, thread["idea_id"])
    assert "Digitise every land record" in html and "<em>new</em> body" in html
    assert "<strong>original</strong>" not in html
    assert "Health" in html

    senior = login_as(app, world["senior"])
    senior.post(f"/ideas/{thread['idea_id']}/comments", data={"body": "An official answer"})
    html = page(client, thread["idea_id"])
    assert "An official answer" in html
    assert "Official response" in html and "Answered" in html
    response = senior.post(
        f"/ideas/{thread['idea_id']}/status", data={"status": "under_review", "note": "The ministry is reviewing it."}
    )
    assert response.status_code == 302
    assert 'status-under_review">under review<' in page(client, thread["idea_id"])


def test_a_change_made_by_another_process_shows_although_this_one_cached_the_page(app, app_config, world, thread):
    client = login_as(app, world["officer2"])
    page(client, thread["idea_id"])  # cached here at the current version
    senior_id = world["senior"].id
    db.session.remove()  # release this process's SQLite transaction before the other one writes

    other = create_app(app_config)  # another server process, with its own (empty) cache
    with other.app_context():
        idea = db.session.get(Idea, thread["idea_id"])
        ideas.add_comment(idea, db.session.get(User, senior_id), "Posted through another process")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()

    assert "Posted through another process" in page(client, thread["idea_id"])


def test_api_comment_shows_on_the_page(app, world, thread, api):
    client = login_as(app, world["officer"])
    page(client, thread["idea_id"])
    response = api(world["officer2"]).post(f"/ideas/{thread['idea_id']}/comments", json={"body": "Through the API"})
    assert response.status_code == 201
    assert "Through the API" in page(client, thread["idea_id"])


def test_edit_and_delete_controls_follow_the_viewer(app, world, thread):
    idea_id, first, reply = thread["idea_id"], thread["first_id"], thread["reply_id"]
    edit_first, delete_first = f"/comments/{first}/edit", f"/comments/{first}/delete"
    edit_reply, delete_reply = f"/comments/{reply}/edit", f"/comments/{reply}/delete"

    author = page(login_as(app, world["officer"]), idea_id)  # wrote the reply
    assert edit_reply in comment_li(author, reply) and delete_reply in comment_li(author, reply)
    assert edit_first not in author and delete_first not in author

    other = page(login_as(app, world["officer2"]), idea_id)  # wrote the first comment; same cache entry
    assert edit_first in comment_li(other, first) and delete_first in comment_li(other, first)
    assert edit_reply not in other and delete_reply not in other

    bystander = page(login_as(app, world["staff"]), idea_id)
    assert "/edit" not in re.sub(r"/ideas/\d+/edit", "", bystander) and "/comments/" not in bystander

    admin = page(login_as(app, world["admin"]), idea_id)  # may delete any comment, edit none
    assert delete_first in admin and delete_reply in admin
    assert edit_first not in admin and edit_reply not in admin

    for html in (author, other, bystander, admin):
        assert f'data-author-id="{world["officer2"].id}"' in comment_li(html, first)


def test_cached_fragment_holds_no_csrf_token_and_each_viewer_gets_their_own(real_app, world, thread):
    author, other = real_login(real_app, "officer@x.gov"), real_login(real_app, "officer2@x.gov")
    author_html, other_html = page(author, thread["idea_id"]), page(other, thread["idea_id"])
    author_tokens, other_tokens = csrf_tokens(author_html), csrf_tokens(other_html)
    assert author_tokens and other_tokens
    assert not any(token in other_html for token in author_tokens)
    assert not any(token in author_html for token in other_tokens)

    with real_app.test_request_context():
        idea = db.session.get(Idea, thread["idea_id"])
        shared = page_cache.rendered(idea)
        db.session.remove()
    for cached in (shared.head, shared.thread.plain, *[p for p in shared.thread.parts if isinstance(p, str)]):
        assert "csrf" not in cached

    # The token spliced into the author's Delete form is theirs: the real CSRF check accepts it, for them only.
    li = comment_li(author_html, thread["reply_id"])
    token = re.search(r'name="csrf_token" value="([^"]+)"', li).group(1)
    assert other.post(f"/comments/{thread['reply_id']}/delete", data={"csrf_token": token}).status_code == 400
    assert author.post(f"/comments/{thread['reply_id']}/delete", data={"csrf_token": token}).status_code == 302
    assert "comment removed" in comment_li(page(author, thread["idea_id"]), thread["reply_id"])


def test_each_locale_has_its_own_entry(real_app, thread):
    client = real_login(real_app, "officer@x.gov")
    english = page(client, thread["idea_id"])
    client.get("/lang/bn")
    bangla = page(client, thread["idea_id"])
    assert english != bangla
    thread_keys = [key for key in real_app.extensions["thread_cache"]._data if key[0] == thread["idea_id"]]
    assert {key[2] for key in thread_keys} == {"en", "bn"}


def script_strings(html: str, script_id: str) -> dict:
    match = re.search(rf"id=\"{script_id}\"[^>]*?data-i18n='([^']*)'", html, re.S)
    assert match, f"no strings for {script_id}"
    return json.loads(html_lib.unescape(match.group(1)))


def test_the_scripts_strings_are_in_each_pages_language(real_app, thread):
    client = real_login(real_app, "officer@x.gov")
    english = page(client, thread["idea_id"])
    client.get("/lang/bn")
    bangla = page(client, thread["idea_id"])
    client.get("/lang/en")
    again = page(client, thread["idea_id"])  # each language has its own rendering, not the last one made
    assert script_strings(again, "ui-script") == script_strings(english, "ui-script")
    assert script_strings(english, "ui-script")["confirm"] == "Are you sure?"
    assert script_strings(english, "live-script")["new_other"] == "99999 new replies"
    for script in ("ui-script", "live-script"):
        translated = script_strings(bangla, script)
        assert translated.keys() == script_strings(english, script).keys()
        assert all(re.search("[\u0980-\u09ff]", text) for text in translated.values()), translated


def test_lru_is_bounded_and_entries_expire():
    cache = page_cache.LRUCache(maxsize=2, ttl=60)
    cache.set("a", 1)
    cache.set("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recent
    cache.set("c", 3)
    assert cache.get("b") is None and cache.get("a") == 1 and cache.get("c") == 3
    expired = page_cache.LRUCache(maxsize=2, ttl=0)
    expired.set("a", 1)
    assert expired.get("a") is None and len(expired) == 0


def test_viewer_state_comes_with_the_idea_in_one_query(app, world, thread):
    """Endorsed, following and the unread badge are the viewer's own, read in the page's single idea query."""
    from forum.notifications.service import notify, unread_count

    idea = db.session.get(Idea, thread["idea_id"])
    ideas.endorse(idea, world["officer2"], on=True)
    ideas.follow(idea, world["officer2"], on=True)
    notify(world["officer2"], "comment", idea, "Someone replied")
    db.session.commit()
    unread = unread_count(world["officer2"])
    assert unread >= 1
    html = page(login_as(app, world["officer2"]), thread["idea_id"])
    assert '<button type="submit" class="button active">Endorsed (1)</button>' in html
    assert re.search(rf'id="notification-count"\s*>{unread}</span>', html)
    # senior neither endorses nor follows, and has no notifications.
    assert ">Unfollow</button>" in html
    other = page(login_as(app, world["senior"]), thread["idea_id"])
    assert '<button type="submit" class="button ">Endorse (1)</button>' in other
    assert ">Follow</button>" in other
    assert re.search(r'id="notification-count" hidden>0</span>', other)


def test_deleted_or_unknown_idea_is_a_404(app, world, thread):
    client = login_as(app, world["officer"])
    ideas.delete_idea(db.session.get(Idea, thread["idea_id"]), world["officer"])
    db.session.commit()
    assert client.get(f"/ideas/{thread['idea_id']}").status_code == 404
    assert client.get("/ideas/99999999999999999999999").status_code == 404


def test_template_urls_follow_the_script_root(app, world, thread):
    """Template URLs are remembered per script root: the same page under a prefix links under that prefix."""
    client = login_as(app, world["officer"])
    plain = page(client, thread["idea_id"])
    prefixed = client.get(f"/ideas/{thread['idea_id']}", base_url="http://localhost/forum").get_data(as_text=True)
    # Static URLs may carry a fingerprint query (?v=...): compare the path.
    assert 'href="/static/css/forum.css' in plain and 'href="/forum/static/css/forum.css' in prefixed
    assert f'action="/forum/ideas/{thread["idea_id"]}/endorse"' in prefixed
    assert 'href="/ideas/"' not in prefixed and 'href="/forum/"' in prefixed


# The page's frame: cached per kind of viewer, each viewer's own values put in its holes ----------------------


def frame_keys(app) -> list:
    return [key for key in app.extensions["page_frames"]._data]


def full_render(app, client, idea_id: int) -> str:
    """The page rendered in full, without the frame cache, for comparison."""
    app.config["PAGE_FRAME_CACHE"] = False
    try:
        return page(client, idea_id)
    finally:
        app.config["PAGE_FRAME_CACHE"] = True


@pytest.mark.parametrize("language", ["en", "bn"])
def test_the_page_from_its_frame_is_the_page_rendered_in_full_for_every_role(app, world, thread, language):
    idea_id = thread["idea_id"]
    for role in ("officer", "officer2", "senior", "staff", "admin"):
        client = login_as(app, world[role])
        client.get(f"/lang/{language}")
        first, second = page(client, idea_id), page(client, idea_id)  # made, then served from the frame
        assert without_csrf(first) == without_csrf(second) == without_csrf(full_render(app, client, idea_id)), role
    assert frame_keys(app)


def test_a_frame_shared_by_two_viewers_shows_each_their_own_name_token_and_count(real_app, world, thread, make_user):
    from forum.notifications.service import notify

    first, second = make_user(email="first@x.gov"), make_user(email="second@x.gov")
    second.timezone = "Europe/London"
    notify(second, "comment", db.session.get(Idea, thread["idea_id"]), "Someone replied")
    db.session.commit()
    first_name, second_name = first.name, second.name
    db.session.remove()  # release this test's SQLite transaction before the other app serves
    one, two = real_login(real_app, "first@x.gov"), real_login(real_app, "second@x.gov")
    one_html = page(one, thread["idea_id"])
    two_html = page(two, thread["idea_id"])
    assert len(frame_keys(real_app)) == 2  # the unread badge is shown to the second only: two kinds
    one_again = page(one, thread["idea_id"])
    assert len(frame_keys(real_app)) == 2 and without_csrf(one_again) == without_csrf(one_html)
    assert f">{first_name}</a>" in one_html and first_name not in two_html
    assert f">{second_name}</a>" in two_html and second_name not in one_html
    assert 'data-tz="Asia/Dhaka"' in one_html and 'data-tz="Europe/London"' in two_html
    assert re.search(r'id="notification-count" hidden>0</span>', one_html)
    assert re.search(r'id="notification-count"\s*>1</span>', two_html)
    assert not csrf_tokens(one_html) & csrf_tokens(two_html)
    assert len(csrf_tokens(one_html)) == len(csrf_tokens(one_again)) == 1  # one token per page, in every form


def test_what_decides_the_markup_gives_the_viewer_a_frame_of_their_own(app, world, thread):
    """Endorsing, following, an endorsement by someone else, a new notification: each shows on the next load."""
    from forum.notifications.service import notify, unread_count

    idea_id = thread["idea_id"]
    client = login_as(app, world["officer2"])
    assert ">Endorse (0)</button>" in page(client, idea_id) and ">Follow</button>" in page(client, idea_id)
    client.post(f"/ideas/{idea_id}/endorse")
    client.post(f"/ideas/{idea_id}/follow")
    html = page(client, idea_id)
    assert ">Endorsed (1)</button>" in html and ">Unfollow</button>" in html
    ideas.endorse(db.session.get(Idea, idea_id), world["senior"], on=True)
    db.session.commit()
    assert ">Endorsed (2)</button>" in page(client, idea_id)
    before = unread_count(world["officer2"])
    notify(world["officer2"], "comment", db.session.get(Idea, idea_id), "Someone replied")
    db.session.commit()
    assert re.search(rf'id="notification-count"\s*>{before + 1}</span>', page(client, idea_id))


def test_a_role_change_shows_on_the_next_load(app, world, thread):
    client = login_as(app, world["officer2"])
    assert ">Follow-up</a>" not in page(client, thread["idea_id"])
    user = db.session.get(User, world["officer2"].id)
    user.role = "staff"
    db.session.commit()
    html = page(client, thread["idea_id"])
    assert ">Follow-up</a>" in html and "Move this idea" in html


def test_messages_are_rendered_in_full_and_a_query_string_has_its_own_frame(app, world, thread):
    client = login_as(app, world["officer2"])
    idea_id = thread["idea_id"]
    page(client, idea_id)
    client.post(f"/ideas/{idea_id}/comments", data={"body": ""})  # an error, flashed for the page
    html = page(client, idea_id)
    assert 'class="flash flash-error"' in html
    assert 'class="flash' not in page(client, idea_id)  # shown once
    with_query = client.get(f"/ideas/{idea_id}?lang=bn").get_data(as_text=True)
    assert f"next=/ideas/{idea_id}?lang%3Dbn" in with_query or f"next=/ideas/{idea_id}?lang=bn" in with_query
    assert "next=/ideas/" in page(client, idea_id)


def test_a_frame_with_a_viewers_secret_outside_its_holes_is_used_once_and_not_kept(app, world, thread):
    with app.test_request_context("/"):
        made = page_cache.page(
            ("k",), lambda hole: f"<p>{hole('name', None)} secret-token</p>", {"name": "A"}, ["secret-token"]
        )
        assert made == "<p>A secret-token</p>"
        assert not frame_keys(app)
        made = page_cache.page(("k",), lambda hole: f"<p>{hole('name', None)}</p>", {"name": "<b>"}, ["secret-token"])
        assert made == "<p>&lt;b&gt;</p>" and len(frame_keys(app)) == 1


def test_a_viewer_with_no_lifecycle_forms_gets_the_section_rendered_once_for_everyone(app, world, thread):
    from forum.lifecycle import views as lifecycle_views

    with app.test_request_context("/"):
        idea = db.session.get(Idea, thread["idea_id"])
        panel = page_cache.lifecycle_panel(idea, 0, lambda: lifecycle_views.shared_state(idea))
        template = app.jinja_env.get_template("ideas/_lifecycle.html")
        state = lifecycle_views.page_state(idea, world["officer2"], panel)
        assert template.render(idea=idea, lifecycle=state) == panel.plain
        assert lifecycle_views.render_panel(idea, world["officer2"], panel) == panel.plain
        staff = lifecycle_views.render_panel(idea, world["staff"], panel)  # may move the idea: has the form
        assert "Move this idea" in staff and "Move this idea" not in panel.plain
