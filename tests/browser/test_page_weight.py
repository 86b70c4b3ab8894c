"""Page weight, measured with the DevTools protocol: the idea page with 50 comments, first and repeat visit.

Asserted: the byte budgets (first visit < 100 KB, repeat < 15 KB), "no static request on a repeat visit", and on
a link the DevTools protocol slows to 400 kbps with 400 ms latency, the first view (the load event) under 2.5 s
and a repeat under 1 s. Those times are set by what crosses the slowed link (bytes and round trips), not by this
machine's speed: the page's own work takes a few tens of milliseconds. Each file's bytes on the wire are printed.
"""

import pytest

from tests.browser.helpers import PHONE, launch
from tests.browser.servers import PASSWORD, api_post, site_with_users

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    people = {"officer": ("Officer", "officer"), "senior": ("Senior", "senior")}
    with site_with_users(tmp_path_factory.mktemp("weight-site"), people) as site:
        url, officer = site.url, site.emails["officer"]
        tokens = [site.token("officer"), site.token("senior")]
        idea = api_post(
            url, tokens[0], "/ideas", {"title": "উপজেলা সেবা Heavy idea", "body": "শরীর " * 80, "category": 1}
        )
        for n in range(50):
            body = f"মন্তব্য {n}: " + "এই আইডিয়াটি ভালো, comment text " * 6
            api_post(url, tokens[n % 2], f"/ideas/{idea['id']}/comments", {"body": body})
        yield {"url": url, "officer": officer, "idea": idea}


_SCRIPTS_ARRIVED = """() => {
  const arrived = new Set(performance.getEntriesByType('resource').map(entry => entry.name));
  return !document.querySelector('script[type="text/x-after-load"]')
    && [...document.scripts].every(script => !script.src || arrived.has(script.src));
}"""


def _visit(page, cdp, url: str) -> dict:
    """Load `url` once; bytes on the wire per request, and the static files that went to the network."""
    requests, sizes, cached = {}, {}, set()
    handlers = {
        # A response from the memory or disk cache never reached the network (a 304 revalidation did).
        "Network.requestServedFromCache": lambda e: cached.add(e["requestId"]),
        "Network.responseReceived": lambda e: e["response"].get("fromDiskCache") and cached.add(e["requestId"]),
        "Network.requestWillBeSent": lambda e: requests.__setitem__(e["requestId"], e["request"]["url"]),
        "Network.loadingFinished": lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]),
    }
    for event, handler in handlers.items():
        cdp.on(event, handler)
    page.goto(url, wait_until="load")
    # The scripts started after the load event (live updates, mentions, similar ideas) count too: wait until each
    # one has arrived, then let late loadingFinished events in (a measurement pause, not a ready signal).
    page.wait_for_function(_SCRIPTS_ARRIVED, timeout=30_000)
    page.wait_for_timeout(300)
    # Both from the page's own navigation start: the load event (which waits for the page's scripts and, on a Bangla
    # page, the font) and the first contentful paint (when the reader first sees the page).
    elapsed, paint = page.evaluate(
        """() => [performance.getEntriesByType('navigation')[0].loadEventEnd,
                  (performance.getEntriesByName('first-contentful-paint')[0] || {startTime: NaN}).startTime]"""
    )
    for event, handler in handlers.items():
        cdp.remove_listener(event, handler)
    static = [u for rid, u in requests.items() if "/static/" in u and rid not in cached]
    wire = {requests.get(rid, rid): size for rid, size in sizes.items() if rid not in cached}
    return {"bytes": sum(wire.values()), "requests": len(requests), "static": static, "ms": elapsed, "fcp": paint,
            "wire": wire}  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "bn"])
def test_idea_page_with_50_comments_is_light_on_first_and_repeat_visits(server, lang):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        page.goto(server["url"] + "/login")
        page.fill("input[name=email]", server["officer"])
        page.fill("input[name=password]", PASSWORD)
        page.click("main form [type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        page.goto(f"{server['url']}/lang/{lang}")
        page.goto("about:blank")
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.clearBrowserCache")
        url = f"{server['url']}/ideas/{server['idea']['id']}"
        first = _visit(page, cdp, url)
        page.goto("about:blank")
        repeat = _visit(page, cdp, url)
        # 400 kbps down and up, 400 ms latency.
        cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 400,
                 "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8})  # fmt: skip
        page.goto("about:blank")
        cdp.send("Network.clearBrowserCache")
        slow_first = _visit(page, cdp, url)
        page.goto("about:blank")
        slow_repeat = _visit(page, cdp, url)
        browser.close()
    for what, size in sorted(first["wire"].items(), key=lambda item: -item[1]):
        print(f"  first visit, {lang}: {size / 1024:6.1f} KB  {what.split('127.0.0.1')[-1][:90]}")
    print(f"repeat-visit static requests that reached the network: {repeat['static']}")
    print(
        f"idea page, 50 comments, {lang}: first visit {first['bytes'] / 1024:.1f} KB in {first['requests']} requests; "
        f"repeat {repeat['bytes'] / 1024:.1f} KB, static requests {len(repeat['static'])}; "
        f"400 kbps/400 ms: first view {slow_first['ms'] / 1000:.2f} s (first paint {slow_first['fcp'] / 1000:.2f} s), "
        f"repeat {slow_repeat['ms'] / 1000:.2f} s (first paint {slow_repeat['fcp'] / 1000:.2f} s)"
    )
    assert first["bytes"] < 100 * 1024
    assert repeat["bytes"] < 15 * 1024 and repeat["static"] == []
    assert slow_first["ms"] < 2500 and slow_repeat["ms"] < 1000
