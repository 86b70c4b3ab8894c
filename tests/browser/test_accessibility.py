"""axe-core (vendored in static/vendor/axe-core) on the main pages: both languages, desktop and phone."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.browser.helpers import DESKTOP, PHONE, logged_in_page
from tests.browser.servers import ROOT, api_post, site_with_users

pytestmark = pytest.mark.browser

AXE = ROOT / "static" / "vendor" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    people = {"admin": ("Admin", "admin"), "senior": ("Senior", "senior")}
    with site_with_users(tmp_path_factory.mktemp("axe-site"), people) as running:
        url, admin, site = running.url, running.emails["admin"], running.site
        token = running.token("admin")
        idea = api_post(url, token, "/ideas", {"title": "Accessible idea", "body": "**Body** text", "category": 1})
        first = api_post(url, running.token("senior"), f"/ideas/{idea['id']}/comments", {"body": "Official"})
        api_post(url, token, f"/ideas/{idea['id']}/comments", {"body": "Reply", "parent_id": first["id"]})
        # An idea nobody senior answers, flagged by a scan 12 days on: the flag page has every staff form.
        api_post(url, token, "/ideas", {"title": "অপেক্ষমাণ Unanswered idea", "body": "Waiting", "category": 1})
        site.flask("followup", "scan", "--now", (datetime.now(UTC) + timedelta(days=12)).isoformat())
        flags = requests.get(f"{url}/api/v1/followup/flags", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        yield {"url": url, "admin": admin, "idea": idea, "flag": flags.json()["items"][0]}


PAGES = ["/", "/ideas/{idea}", "/ideas/new", "/search?q=idea", "/notifications", "/followup/", "/followup/flags/{flag}",
         "/admin/", "/admin/users?q=admin", "/profile"]  # fmt: skip
ANONYMOUS_PAGES = ["/login", "/signup", "/forgot-password"]


def _violations(page) -> list[dict]:
    page.add_script_tag(content=AXE.read_text())
    result = page.evaluate("async () => (await axe.run(document)).violations")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]} for v in result]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("lang", ["en", "bn"])
def test_axe_finds_no_violations(browser, server, viewport, lang):
    context = browser.new_context(viewport=viewport, bypass_csp=True)  # axe is injected as an inline script
    page = context.new_page()
    found = {}

    def check(path: str) -> None:
        page.goto(server["url"] + path.format(idea=server["idea"]["id"], flag=server["flag"]["id"]))
        violations = _violations(page)
        if violations:
            found[path] = violations

    page.goto(f"{server['url']}/lang/{lang}")
    for path in ANONYMOUS_PAGES:
        check(path)
    page.goto(server["url"] + "/login")
    page.fill("input[name=email]", server["admin"])
    page.fill("input[name=password]", "Secret-pass-123")
    page.click("main form [type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    for path in PAGES:
        check(path)
    print(f"axe {lang} {viewport['width']}px:", json.dumps(found, ensure_ascii=False) if found else "no violations")
    context.close()
    assert not found


def test_escalating_and_reassigning_a_flag_ask_first(browser, server):
    page = logged_in_page(browser, server["url"], server["admin"])
    page.goto(f"{server['url']}/followup/flags/{server['flag']['id']}")
    # Cancelled: nothing is sent, the page stays.
    page.accept_dialogs = False
    page.click("#escalate form [type=submit]")
    page.click("#assign form [type=submit]")
    assert len(page.dialogs) == 2
    assert page.dialogs[0].startswith("Escalate this flag to") and page.dialogs[1].startswith("Assign this flag")
    assert page.query_selector(".flash") is None and "/followup/flags/" in page.url
    # Confirmed: the escalation goes through and the audit trail shows it.
    page.accept_dialogs = True
    page.click("#escalate form [type=submit]")
    page.wait_for_selector(".flash")
    assert len(page.dialogs) == 3
    assert "escalated" in page.inner_text("main").lower()
    page.context.close()
