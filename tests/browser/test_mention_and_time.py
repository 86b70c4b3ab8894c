"""The @-mention autocomplete driven by the keyboard, and "2 hours ago" times that keep up with the clock."""

import time

import pytest

from tests.browser.helpers import logged_in_page
from tests.browser.servers import api_post, site_with_users

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    people = {
        "officer": ("Officer", "officer"),
        "nasrin": ("Nasrin", "senior"),
        "nadia": ("Nadia", "senior"),
        "reader": ("Reader", "officer"),  # changes their digits setting
    }
    with site_with_users(tmp_path_factory.mktemp("mention-site"), people) as site:
        yield site


@pytest.fixture
def idea(server):
    return api_post(
        server.url, server.token("officer"), "/ideas", {"title": "Mentions and times", "body": "b", "category": 1}
    )


def test_typing_at_offers_people_in_a_listbox_that_arrows_move_through_and_enter_picks(browser, server, idea):
    page = logged_in_page(browser, server.url, server.emails["officer"])
    try:
        page.goto(f"{server.url}/ideas/{idea['id']}")
        area = page.locator("form textarea[name=body]").first
        area.click()
        area.press_sequentially("Could you look at this @Na")
        listbox = page.locator("[role=listbox]:visible")
        listbox.wait_for()
        options = listbox.locator("[role=option]")
        assert options.count() == 2
        names = options.all_inner_texts()
        assert all(f"{n} {server.run}" in " ".join(names) for n in ("Nasrin", "Nadia"))
        assert area.get_attribute("aria-controls") == listbox.get_attribute("id")
        assert area.get_attribute("aria-autocomplete") == "list"
        first, second = options.nth(0).get_attribute("id"), options.nth(1).get_attribute("id")
        assert area.get_attribute("aria-activedescendant") == first
        area.press("ArrowDown")
        assert area.get_attribute("aria-activedescendant") == second
        assert options.nth(1).get_attribute("aria-selected") == "true"
        assert options.nth(0).get_attribute("aria-selected") == "false"
        area.press("ArrowUp")
        area.press("ArrowUp")  # wraps to the last
        assert area.get_attribute("aria-activedescendant") == second
        area.press("Enter")
        picked = names[1].split(",")[0].split(" · ")[0]
        value = area.input_value()
        assert value.startswith(f"Could you look at this @[{picked}](/users/") and value.endswith(") ")
        assert page.locator("[role=listbox]:visible").count() == 0
        assert area.get_attribute("aria-activedescendant") is None
        assert page.locator("[role=status]", has_text=f"Mentioned {picked}").count() == 1
    finally:
        page.context.close()


def test_what_was_typed_before_the_mention_script_arrived_is_looked_at_when_it_does(browser, server, idea):
    page = logged_in_page(browser, server.url, server.emails["officer"])
    held = []
    page.route("**/static/js/mention.js*", lambda route: held.append(route))  # started after the load event: hold it
    try:
        page.goto(f"{server.url}/ideas/{idea['id']}")
        area = page.locator("form textarea[name=body]").first
        area.click()
        area.press_sequentially("Please look, @Na")
        page.wait_for_function("() => !document.querySelector('script[type=\"text/x-after-load\"]')")
        assert len(held) == 1 and page.locator("[role=listbox]:visible").count() == 0
        held[0].continue_()
        page.locator("[role=listbox]:visible [role=option]").first.wait_for()
        assert page.locator("[role=listbox]:visible [role=option]").count() == 2
    finally:
        page.context.close()


@pytest.mark.parametrize(("lang", "two", "three"), [("en", "2 hours ago", "3 hours ago"), ("bn", "২", "৩")])
def test_relative_times_read_in_the_users_language_and_keep_up_while_the_page_stays_open(
    browser, server, idea, lang, two, three
):
    page = logged_in_page(browser, server.url, server.emails["officer"])
    try:
        # The page's clock starts two hours after the idea was posted; Playwright drives it (no sleeps).
        page.clock.install(time=time.time() + 2 * 3600 + 60)
        page.goto(f"{server.url}/ideas/{idea['id']}?lang={lang}")
        posted = page.locator("article time[data-relative]").first
        assert two in posted.inner_text()
        if lang == "bn":
            assert "আগে" in posted.inner_text()  # "ago"
        page.clock.run_for(60 * 60 * 1000)  # an hour with the page open: time.js re-renders every 30 s
        assert three in posted.inner_text()
    finally:
        page.context.close()


@pytest.mark.parametrize(
    ("lang", "setting", "two", "other_digits"),
    [("bn", "", "২", "0123456789"), ("bn", "latin", "2", "০১২৩৪৫৬৭৮৯"), ("en", "bangla", "২ hours ago", "0123456789")],
    ids=["bangla-by-default", "bangla-with-latin-digits", "english-with-bangla-digits"],
)
def test_relative_times_follow_the_readers_digits_setting(browser, server, idea, lang, setting, two, other_digits):
    page = logged_in_page(browser, server.url, server.emails["reader"])
    try:
        page.goto(f"{server.url}/profile")
        page.select_option("select[name=locale]", lang)
        page.select_option("select[name=digits]", setting)
        page.click("main form:has(select[name=digits]) [type=submit]")
        page.wait_for_selector(".flash")
        page.clock.install(time=time.time() + 2 * 3600 + 60)
        page.goto(f"{server.url}/ideas/{idea['id']}")
        posted = page.locator("article time[data-relative]").first
        shown, full = posted.inner_text(), posted.get_attribute("title")  # "2 hours ago", and the date as a tooltip
        assert two in shown, shown
        assert not any(d in shown + full for d in other_digits), (shown, full)
    finally:
        page.context.close()
