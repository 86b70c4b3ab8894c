"""axe-core (vendored in static/vendor/axe-core) on the main pages: both languages, desktop and phone."""

import json
import uuid

import pytest

from tests.browser.helpers import DESKTOP, PHONE, logged_in_page
from tests.browser.servers import ROOT, Site, api_post, api_token

pytestmark = pytest.mark.browser

AXE = ROOT / "static" / "vendor" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    run = uuid.uuid4().hex[:6]
    users = {f"admin.{run}@x.gov": (f"Admin {run}", "admin"), f"senior.{run}@x.gov": (f"Senior {run}", "senior")}
    with Site(tmp_path_factory.mktemp("axe-site")) as site:
        site.create(users)
        url = site.start().url
        admin, senior = list(users)
        token = api_token(url, admin)
        idea = api_post(url, token, "/ideas", {"title": "Accessible idea", "body": "**Body** text", "category": 1})
        first = api_post(url, api_token(url, senior), f"/ideas/{idea['id']}/comments", {"body": "Official"})
        api_post(url, token, f"/ideas/{idea['id']}/comments", {"body": "Reply", "parent_id": first["id"]})
        yield {"url": url, "admin": admin, "idea": idea}


PAGES = ["/", "/ideas/{idea}", "/ideas/new", "/search?q=idea", "/notifications", "/followup/", "/admin/"]


def _violations(page) -> list[dict]:
    page.add_script_tag(content=AXE.read_text())
    result = page.evaluate("async () => (await axe.run(document)).violations")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]} for v in result]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("lang", ["en", "bn"])
def test_axe_finds_no_violations(browser, server, viewport, lang):
    page = logged_in_page(browser, server["url"], server["admin"], viewport=viewport)
    page.context.close()
    context = browser.new_context(viewport=viewport, bypass_csp=True)  # axe is injected as an inline script
    page = context.new_page()
    page.goto(server["url"] + "/login")
    page.fill("input[name=email]", server["admin"])
    page.fill("input[name=password]", "Secret-pass-123")
    page.click("main form [type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{server['url']}/lang/{lang}")
    found = {}
    for path in PAGES:
        page.goto(server["url"] + path.format(idea=server["idea"]["id"]))
        violations = _violations(page)
        if violations:
            found[path] = violations
    print(f"axe {lang} {viewport['width']}px:", json.dumps(found, ensure_ascii=False) if found else "no violations")
    context.close()
    assert not found
