"""The idea page updates itself: a real server, Debian's Chromium through Playwright, no reload."""

import pytest
import socketio as socketio_client

from tests.browser.helpers import logged_in_page
from tests.browser.servers import api_post, csrf_token, login_session, site_with_users

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    people = {"officer": ("Officer", "officer"), "senior": ("Senior", "senior"), "admin": ("Admin", "admin")}
    with site_with_users(tmp_path_factory.mktemp("browser-site"), people) as site:
        yield site


@pytest.fixture
def page(browser, server):
    page = logged_in_page(browser, server.url, server.emails["officer"])
    yield page
    page.context.close()


@pytest.fixture
def admin_page(browser, server):
    page = logged_in_page(browser, server.url, server.emails["admin"])
    yield page
    page.context.close()


def test_senior_reply_through_the_api_appears_live_with_the_official_mark(page, server):
    idea = api_post(
        server.url, server.token("officer"), "/ideas", {"title": "Live page idea", "body": "b", "category": 1}
    )
    page.goto(f"{server.url}/ideas/{idea['id']}")
    page.evaluate("window.notReloaded = true")

    # The senior watches too, so the page shows them as a viewer: proof that the page's socket joined the room.
    watcher = socketio_client.Client(reconnection=False)
    watcher.connect(server.url, auth={"token": server.token("senior")}, wait_timeout=10)
    try:
        assert watcher.call("join_idea", {"idea_id": idea["id"]}, timeout=5)["ok"]
        page.wait_for_selector(f"#viewers:has-text('{server.names['senior']}')", timeout=10_000)

        path = f"/ideas/{idea['id']}/comments"
        root = api_post(
            server.url, server.token("senior"), path, {"body": "We **will** do this <img src=x onerror=alert(1)>"}
        )
        reply = api_post(server.url, server.token("senior"), path, {"body": "Reply in thread", "parent_id": root["id"]})

        item = page.wait_for_selector(f"#comments > li#c{root['id']}.comment.official", timeout=10_000)
        assert item.query_selector(".comment-head .pill.official").inner_text() == "Official response"
        assert item.query_selector(".comment-head .author").inner_text() == server.names["senior"]
        assert item.query_selector(".comment-body strong").inner_text() == "will"
        assert item.query_selector("img[onerror]") is None
        nested = page.wait_for_selector(f"#c{root['id']} > ol.replies > li#c{reply['id']}", timeout=10_000)
        assert "Reply in thread" in nested.inner_text()

        # The idea's author gets the notification live on the badge; no toast for replies already on screen.
        page.wait_for_selector("#notification-count:not([hidden])", timeout=10_000)
        assert int(page.inner_text("#notification-count")) >= 1
        assert page.query_selector("#live-toasts .toast") is None
        # The official reply answers the idea: its state and the follow-up box change without a reload.
        page.wait_for_selector("#idea .pill.official", timeout=10_000)
        assert page.query_selector("#idea .pill.waiting") is None
        assert page.is_visible("#followup-state #answered-note")

        # Edits and deletions through the page forms update the open page in place.
        senior = login_session(server.url, server.emails["senior"])
        form_token = csrf_token(senior.get(f"{server.url}/ideas/{idea['id']}", timeout=10).text)
        edit_url = f"{server.url}/comments/{reply['id']}/edit"
        senior.post(edit_url, data={"body": "Reply, *edited*", "csrf_token": form_token}, timeout=10)
        senior.post(f"{server.url}/comments/{root['id']}/delete", data={"csrf_token": form_token}, timeout=10)
        page.wait_for_selector(f"#c{reply['id']} > .comment-body em:text('edited')", timeout=10_000)
        page.wait_for_selector(f"#c{root['id']}.removed > .comment-head em", timeout=10_000)
        assert page.query_selector(f"#c{root['id']} > .comment-body") is None
        assert page.query_selector(f"#c{root['id']} > ol.replies > #c{reply['id']}") is not None

        watcher.disconnect()
        page.wait_for_selector("#viewers", state="hidden", timeout=10_000)
    finally:
        if watcher.connected:
            watcher.disconnect()
    assert page.evaluate("window.notReloaded") is True
    assert page.dialogs == []


def test_a_comment_posted_before_the_page_joined_its_room_still_appears(browser, server):
    idea = api_post(server.url, server.token("officer"), "/ideas", {"title": "Joined late", "body": "b", "category": 1})
    page = logged_in_page(browser, server.url, server.emails["officer"])
    held = []
    page.route("**/static/js/live.js*", lambda route: held.append(route))  # started after the load event: hold it
    try:
        page.goto(f"{server.url}/ideas/{idea['id']}")
        page.wait_for_function("() => !document.querySelector('script[type=\"text/x-after-load\"]')")
        assert len(held) == 1
        path = f"/ideas/{idea['id']}/comments"
        missed = api_post(server.url, server.token("senior"), path, {"body": "Answered while the page was loading"})
        assert page.query_selector(f"#c{missed['id']}") is None
        held[0].continue_()
        page.wait_for_selector(f"#comments > li#c{missed['id']}.comment.official", timeout=10_000)
        page.wait_for_selector("#idea .pill.official", timeout=10_000)
    finally:
        page.context.close()


def test_own_comment_from_another_tab_arrives_with_edit_and_delete_and_the_count_follows(page, admin_page, server):
    idea = api_post(server.url, server.token("officer"), "/ideas", {"title": "Two tabs", "body": "b", "category": 1})
    idea_url = f"{server.url}/ideas/{idea['id']}"
    page.goto(idea_url)
    admin_page.goto(idea_url)
    for tab in (page, admin_page):
        assert tab.inner_text("#comment-count") == "0 comments"
        tab.evaluate("window.notReloaded = true")
    # Each tab shows the other as a viewer: both sockets are in the room.
    page.wait_for_selector(f"#viewers:has-text('{server.names['admin']}')", timeout=10_000)
    admin_page.wait_for_selector(f"#viewers:has-text('{server.names['officer']}')", timeout=10_000)

    # The senior's comment (through the API) arrives too, without controls for the officer.
    other = api_post(server.url, server.token("senior"), f"/ideas/{idea['id']}/comments", {"body": "Seen"})
    page.wait_for_selector(f"#c{other['id']}", timeout=10_000)
    assert page.inner_text("#comment-count") == "1 comment"
    assert page.query_selector(f"#c{other['id']} .edit-comment") is None
    assert page.query_selector(f"#c{other['id']} form") is None

    # The officer posts through the page form in a second tab of the same session.
    second_tab = page.context.new_page()
    second_tab.goto(idea_url)
    second_tab.fill("#comment-form textarea[name=body]", "Posted from *another* tab")
    second_tab.click("#comment-form [type=submit]")
    # Posted without leaving the page: the comment the server accepted shows in the posting tab at once.
    posted = second_tab.wait_for_selector("li.comment:has-text('Posted from')", timeout=10_000)
    comment_id = int(posted.get_attribute("data-comment-id"))
    second_tab.close()

    item = page.wait_for_selector(f"#comments > li#c{comment_id}", timeout=10_000)
    assert "another" in item.query_selector(".comment-body em").inner_text()
    assert page.inner_text("#comment-count") == "2 comments"
    edit = item.query_selector(".comment-actions a.edit-comment")
    assert edit.inner_text() == "Edit" and edit.get_attribute("href") == f"/comments/{comment_id}/edit"
    delete = item.query_selector(".comment-actions form.inline")
    assert delete.get_attribute("action") == f"/comments/{comment_id}/delete"
    assert delete.query_selector("input[name=csrf_token]").get_attribute("value")
    assert delete.query_selector("button.link.danger").inner_text() == "Delete"

    # An admin sees Delete (not Edit) on everyone's comments that arrive live.
    admin_item = admin_page.wait_for_selector(f"#c{comment_id}", timeout=10_000)
    assert admin_item.query_selector(".edit-comment") is None
    assert admin_item.query_selector("form.inline button").inner_text() == "Delete"
    assert admin_page.inner_text("#comment-count") == "2 comments"

    # Deleting from the live-built control asks first, then works in place: no reload, shown as removed.
    page.click(f"#c{comment_id} form.inline button")
    page.wait_for_selector(f"#c{comment_id}.removed", timeout=10_000)
    assert page.dialogs == ["Delete this comment?"]
    page.dialogs.clear()
    page.wait_for_selector(f"#c{comment_id}.removed > .comment-head em", timeout=10_000)
    assert page.query_selector(f"#c{comment_id} > .comment-body") is None
    admin_page.wait_for_selector(f"#c{comment_id}.removed", timeout=10_000)
    for tab in (page, admin_page):
        assert tab.evaluate("window.notReloaded") is True
        assert tab.dialogs == []
    # The server agrees: after a reload the comment is still removed and the count unchanged.
    page.goto(idea_url)
    page.wait_for_selector(f"#c{comment_id}.removed", timeout=10_000)
    assert page.inner_text("#comment-count") == "2 comments"
