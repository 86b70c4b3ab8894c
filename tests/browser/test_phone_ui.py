"""The forum on a 360 px phone and in a desktop window: layout, menu, filters, thread depth and the composer."""

import pytest

from tests.browser.helpers import PHONE, assert_fits, logged_in_page, shot
from tests.browser.servers import api_post, site_with_users

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    people = {
        "officer": ("Officer", "officer"),
        "senior": ("Senior Secretary", "senior"),
        "admin": ("Admin", "admin"),
        "staff": ("Staff", "staff"),
    }
    with site_with_users(tmp_path_factory.mktemp("phone-site"), people) as site:
        yield site


@pytest.fixture(scope="module", autouse=True)
def idea(server):
    """Three ideas with long titles (the list has rows to lay out); the last has a chain of replies six deep."""
    ideas = [
        api_post(server.url, server.token("officer"), "/ideas",
                 {"title": f"Phone idea {n} " + "long" * 12, "body": "b" * 50, "category": 1, "tags": ["one", "two"]})
        for n in range(3)
    ]  # fmt: skip
    idea = ideas[-1]
    path = f"/ideas/{idea['id']}/comments"
    parent = None
    for depth in range(6):
        body = {"body": f"Depth {depth} " + "word " * 30}
        if parent:
            body["parent_id"] = parent
        parent = api_post(server.url, server.token("senior" if depth % 2 else "officer"), path, body)["id"]
    return idea


@pytest.fixture
def phone(browser, server):
    page = logged_in_page(browser, server.url, server.emails["admin"], viewport=PHONE)
    yield page
    page.context.close()


@pytest.fixture
def officer_phone(browser, server):
    page = logged_in_page(browser, server.url, server.emails["officer"], viewport=PHONE)
    yield page
    page.context.close()


PAGES = ["/", "/ideas/new", "/search?q=phone", "/notifications", "/profile", "/followup/", "/admin/", "/help/markdown"]


@pytest.mark.parametrize("lang", ["en", "bn"])
def test_no_page_scrolls_sideways_on_a_360px_phone(phone, server, idea, lang):
    phone.goto(f"{server.url}/lang/{lang}?next=/")
    for path in [*PAGES, f"/ideas/{idea['id']}"]:
        response = phone.goto(server.url + path)
        assert response.ok, path
        assert phone.get_attribute("html", "lang") == lang, path  # the layout checked is the language's own
        shot(phone, f"phone-{lang}-{path.strip('/').replace('/', '-').split('?')[0] or 'list'}")
        assert_fits(phone, f"{path} ({lang})")


def test_top_bar_collapses_into_a_menu_and_filters_hide_behind_a_toggle(phone, server):
    phone.goto(server.url + "/")
    assert not phone.is_visible("#site-menu nav")
    assert phone.is_visible("#menu-toggle")
    # The first idea shows on the first screen, not below the filters.
    first = phone.locator(".idea-row").first.bounding_box()
    assert first["y"] + 40 < PHONE["height"], first
    assert not phone.is_visible("form.filters select[name=category]")
    phone.click("#menu-toggle")
    assert phone.get_attribute("#menu-toggle", "aria-expanded") == "true"
    assert phone.is_visible("#site-menu nav a[href='/ideas/new']")
    shot(phone, "phone-menu-open")
    phone.click("#filters-box summary")
    assert phone.is_visible("form.filters select[name=category]")
    shot(phone, "phone-filters-open")


def test_deep_replies_stop_indenting_and_say_whom_they_answer(phone, server, idea):
    phone.goto(f"{server.url}/ideas/{idea['id']}")
    comments = phone.locator("li.comment")
    assert comments.count() == 6
    lefts = [comments.nth(i).bounding_box()["x"] for i in range(6)]
    assert lefts[0] < lefts[1] < lefts[2], lefts
    assert lefts[3] == lefts[4] == lefts[5] == lefts[2], lefts  # no narrower than the third level
    deepest = comments.nth(5)
    assert "replying to " + server.names["officer"] in deepest.locator(":scope > .replying-to").inner_text()
    assert comments.nth(1).locator(":scope > .replying-to").count() == 0
    width = deepest.locator(".comment-body").bounding_box()["width"]
    assert width > PHONE["width"] * 0.6, width


def test_wide_tables_scroll_inside_their_own_box(phone, server):
    phone.goto(server.url + "/admin/")
    wrap = phone.locator(".table-wrap").first
    assert wrap.evaluate("el => el.scrollWidth > el.clientWidth")
    assert_fits(phone, "/admin/")


def test_composer_previews_formats_posts_with_ctrl_enter_and_keeps_drafts(officer_phone, server, idea):
    page = officer_phone
    idea_url = f"{server.url}/ideas/{idea['id']}"
    page.goto(idea_url)
    page.evaluate("window.notReloaded = true")
    area = page.locator("#comment-form textarea")

    # Empty: the error shows next to the box, nothing is posted.
    page.click("#comment-form [type=submit]")
    assert page.inner_text("#comment-error") == "Write a comment first."

    # Toolbar and Preview use the server's Markdown and sanitiser.
    area.fill("plain ")
    area.press("End")
    page.click("#comment-composer [data-format=bold]")
    page.keyboard.type("strong")
    assert area.input_value() == "plain **strong**"
    area.fill("A **bold** move <script>alert(1)</script>\n\n> quoted")
    page.click("#comment-composer [data-tab=preview]")
    page.wait_for_selector("#comment-preview strong")
    assert page.inner_text("#comment-preview strong") == "bold"
    assert page.locator("#comment-preview blockquote").count() == 1
    assert page.locator("#comment-preview script").count() == 0
    shot(page, "phone-composer-preview")
    page.click("#comment-composer [data-tab=write]")

    # The draft survives a reload.
    area.fill("Draft that survives")
    page.reload()
    assert page.locator("#comment-form textarea").input_value() == "Draft that survives"
    page.evaluate("window.notReloaded = true")

    # Reply names the comment; Esc cancels; Ctrl+Enter posts without a reload.
    page.locator(".reply-button").first.click()
    assert page.is_visible("#replying-to")
    assert "Replying to " in page.inner_text("#replying-to-text")
    area.press("Escape")
    assert not page.is_visible("#replying-to")
    area.fill("Posted with the keyboard")
    area.press("Control+Enter")
    page.wait_for_selector("li.comment:has-text('Posted with the keyboard')", timeout=10_000)
    assert page.evaluate("window.notReloaded") is True
    assert area.input_value() == ""
    page.reload()
    assert page.locator("#comment-form textarea").input_value() == ""  # the draft went with the post
    assert page.locator("li.comment:has-text('Posted with the keyboard')").count() == 1


def test_new_idea_form_preselects_no_category_and_keeps_the_draft(officer_phone, server):
    page = officer_phone
    page.goto(server.url + "/ideas/new")
    assert page.eval_on_selector("select[name=category]", "el => el.selectedIndex") == 0
    assert page.eval_on_selector("select[name=category]", "el => el.value") == "0"
    page.fill("input[name=title]", "Half written")
    page.fill("textarea[name=body]", "Body kept in the browser")
    page.click("main form [type=submit]")
    # The server refuses (no category): the summary takes focus and names the field; the text stays.
    page.wait_for_selector(".error-summary")
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert page.get_attribute("select[name=category]", "aria-invalid") == "true"
    assert page.locator("textarea[name=body]").input_value() == "Body kept in the browser"
    shot(page, "phone-new-idea-errors")
    page.goto(server.url + "/ideas/new")
    assert page.locator("textarea[name=body]").input_value() == "Body kept in the browser"
