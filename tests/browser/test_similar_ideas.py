"""Find before you post: "Similar ideas" on the new-idea form (as the title is typed) and on an idea page."""

import re

import pytest
import requests

from tests.browser.helpers import logged_in_page
from tests.browser.servers import api_post, site_with_users
from tests.conftest import eventually

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with site_with_users(tmp_path_factory.mktemp("similar-site"), {"officer": ("Officer", "officer")}) as site:
        url, email, token = site.url, site.emails["officer"], site.token("officer")
        ferries = [
            api_post(url, token, "/ideas", {"title": f"Ferry tickets sold by mobile phone in ghat {n}",
                                            "body": "Passengers pay for ferry tickets by phone.", "category": 1})
            for n in range(7)
        ]  # fmt: skip
        other = api_post(url, token, "/ideas", {"title": "School meals cooked by parents", "body": "Lunch.",
                                                "category": 1})  # fmt: skip
        # Ready when the index holds every idea: it takes them after their commits, and a page asks only once.
        eventually(lambda: indexed(url, token) == len(ferries) + 1, timeout=30, interval=0.2)
        yield {"url": url, "email": email, "ferries": [i["id"] for i in ferries], "other": other["id"]}


def indexed(url: str, token: str) -> int:
    """How many of the test ideas search finds (each has "ferry" or "school" in its title)."""
    found = 0
    for word in ("ferry", "school"):
        response = requests.get(f"{url}/api/v1/search", params={"q": word},
                                headers={"Authorization": f"Bearer {token}"}, timeout=10)  # fmt: skip
        found += response.json()["total"] if response.ok else 0
    return found


@pytest.fixture
def page(browser, server):
    page = logged_in_page(browser, server["url"], server["email"])
    yield page
    page.context.close()


def similar_links(page) -> list[int]:
    hrefs = page.locator("[data-similar] ol a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return [int(re.search(r"/ideas/(\d+)", h).group(1)) for h in hrefs]


def test_an_idea_page_lists_similar_ideas_linking_to_them_never_itself(page, server):
    shown = server["ferries"][0]
    page.goto(f"{server['url']}/ideas/{shown}")
    box = page.locator("[data-similar]")
    box.locator("ol li").first.wait_for(timeout=10_000)
    assert box.is_visible() and "Similar ideas" in box.inner_text()
    found = similar_links(page)
    assert 1 <= len(found) <= 5 and shown not in found and set(found) <= set(server["ferries"])
    page.locator("[data-similar] ol a").first.click()
    page.wait_for_url(re.compile(rf"/ideas/{found[0]}$"))


def test_typing_a_title_shows_up_to_five_matching_ideas_after_a_pause(page, server):
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/search/similar" in r.url else None)
    page.goto(f"{server['url']}/ideas/new")
    box = page.locator("[data-similar]")
    assert box.is_hidden()  # nothing typed, nothing shown
    page.locator("#title").press_sequentially("Mobile ferry ticket booking", delay=40)
    box.locator("ol li").first.wait_for(timeout=10_000)
    found = similar_links(page)
    assert 1 <= len(found) <= 5 and set(found) <= set(server["ferries"]) and server["other"] not in found
    # Debounced: 27 keystrokes 40 ms apart asked once, for the whole title.
    assert len(asked) == 1 and "title=Mobile+ferry+ticket+booking" in asked[0], asked
    assert "follow or endorse" in box.inner_text()
    page.locator("#title").fill("")
    page.locator("#title").press_sequentially("Sch", delay=40)  # too short to ask: the list goes away
    box.wait_for(state="hidden")
