"""The idea page updates itself: a real server, Debian's Chromium through Playwright, no reload."""

import uuid

import pytest
import socketio as socketio_client

from tests.browser.servers import PASSWORD, Site, api_post, api_token, csrf_token, login_session

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    run = uuid.uuid4().hex[:6]
    users = {
        f"officer.{run}@x.gov": (f"Officer {run}", "officer"),
        f"senior.{run}@x.gov": (f"Senior {run}", "senior"),
    }
    with Site(tmp_path_factory.mktemp("browser-site")) as site:
        site.create(users)
        url = site.start().url
        officer, senior = list(users)
        yield {
            "url": url,
            "officer_email": officer,
            "officer": api_token(url, officer),
            "senior": api_token(url, senior),
            "senior_email": senior,
            "senior_name": users[senior][0],
        }


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context()
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(server["url"] + "/login")
    page.fill("input[name=email]", server["officer_email"])
    page.fill("input[name=password]", PASSWORD)
    page.click("form [type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    yield page
    context.close()


def test_senior_reply_through_the_api_appears_live_with_the_official_mark(page, server):
    idea = api_post(server["url"], server["officer"], "/ideas", {"title": "Live page idea", "body": "b", "category": 1})
    page.goto(f"{server['url']}/ideas/{idea['id']}")
    page.evaluate("window.notReloaded = true")

    # The senior watches too, so the page shows them as a viewer: proof that the page's socket joined the room.
    watcher = socketio_client.Client(reconnection=False)
    watcher.connect(server["url"], auth={"token": server["senior"]}, wait_timeout=10)
    try:
        assert watcher.call("join_idea", {"idea_id": idea["id"]}, timeout=5)["ok"]
        page.wait_for_selector(f"#viewers:has-text('{server['senior_name']}')", timeout=10_000)

        path = f"/ideas/{idea['id']}/comments"
        root = api_post(
            server["url"], server["senior"], path, {"body": "We **will** do this <img src=x onerror=alert(1)>"}
        )
        reply = api_post(server["url"], server["senior"], path, {"body": "Reply in thread", "parent_id": root["id"]})

        item = page.wait_for_selector(f"#comments > li#c{root['id']}.comment.official", timeout=10_000)
        assert item.query_selector(".comment-head .pill.official").inner_text() == "Official response"
        assert item.query_selector(".comment-head .author").inner_text() == server["senior_name"]
        assert item.query_selector(".comment-body strong").inner_text() == "will"
        assert item.query_selector("img[onerror]") is None
        nested = page.wait_for_selector(f"#c{root['id']} > ol.replies > li#c{reply['id']}", timeout=10_000)
        assert "Reply in thread" in nested.inner_text()

        # The idea's author gets the notification live: badge and toast.
        page.wait_for_selector("#notification-count:not([hidden])", timeout=10_000)
        assert int(page.inner_text("#notification-count")) >= 1
        page.wait_for_selector("#live-toasts .toast", timeout=10_000)

        # Edits and deletions through the page forms update the open page in place.
        senior = login_session(server["url"], server["senior_email"])
        form_token = csrf_token(senior.get(f"{server['url']}/ideas/{idea['id']}", timeout=10).text)
        edit_url = f"{server['url']}/comments/{reply['id']}/edit"
        senior.post(edit_url, data={"body": "Reply, *edited*", "csrf_token": form_token}, timeout=10)
        senior.post(f"{server['url']}/comments/{root['id']}/delete", data={"csrf_token": form_token}, timeout=10)
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
