"""XSS through live events, in Chromium: every payload of tests/xss_payloads.py arrives on an open idea page
through static/js/live.js (comment bodies, edits, author names, viewer names, notification toasts) and none
runs. Each payload calls alert(); the page replaces alert/confirm/prompt with a recorder, and a
MutationObserver records every element inserted after the page loaded that carries an on* attribute or a
javascript:/vbscript:/data:text/html URL, or is a script, iframe, object, embed, base, meta, link or style.
Both records must stay empty, while every payload is shown (as text or inert markup).
"""

import pytest
import requests
import socketio as socketio_client

from tests.browser.helpers import logged_in_page
from tests.browser.servers import api_post, site_with_users
from tests.xss_payloads import PAYLOADS

pytestmark = pytest.mark.browser

# Names that are payloads themselves: they show up as comment authors, viewers and in notification texts.
HOSTILE_NAMES = ["<img src=x onerror=alert(1)>", "<svg onload=alert(1)>", '"><script>alert(1)</script>']

WATCH_JS = """
window.__xss = [];
window.__bad = [];
window.__toasts = [];
// Watch what arrives after the page's own markup and scripts: the live scripts are added in the load event
// (ui.js starts them then), so arm just after it.
let armed = false;
window.addEventListener("load", function () { setTimeout(function () { armed = true; }); });
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = function () { window.__xss.push(name + ":" + Array.from(arguments).join(",")); };
}
const URL_ATTRS = ["href", "src", "action", "formaction", "xlink:href", "data", "srcdoc", "background", "poster"];
function inspect(node, deep) {
  if (!armed || node.nodeType !== 1) return;
  for (const el of deep ? [node, ...node.querySelectorAll("*")] : [node]) {
    for (const attr of Array.from(el.attributes)) {
      const name = attr.name.toLowerCase();
      const value = attr.value.replace(/[\\s\\u0000-\\u001f]/g, "").toLowerCase();
      if (name.startsWith("on") || (URL_ATTRS.includes(name) &&
          (value.startsWith("javascript:") || value.startsWith("vbscript:") || value.startsWith("data:text/html")))) {
        window.__bad.push(el.tagName + " " + name + "=" + attr.value);
      }
    }
    if (["SCRIPT", "IFRAME", "OBJECT", "EMBED", "BASE", "META", "LINK", "STYLE"].includes(el.tagName)) {
      window.__bad.push("element " + el.tagName);
    }
    if (el.classList && el.classList.contains("toast")) window.__toasts.push(el.textContent);
  }
}
new MutationObserver(function (records) {
  for (const record of records) {
    if (record.type === "attributes") inspect(record.target, false);  // a changed attribute: that element alone
    for (const node of record.addedNodes) inspect(node, true);
  }
}).observe(document, {subtree: true, childList: true, attributes: true});
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # Each hostile name is followed by the site's run (site_with_users): still a payload, and still found whole.
    hostile = {f"hostile{n}": (name, "officer") for n, name in enumerate(HOSTILE_NAMES)}
    with site_with_users(tmp_path_factory.mktemp("xss-site"), {"reader": ("Reader", "officer"), **hostile}) as site:
        yield {
            "url": site.url,
            "reader_email": site.emails["reader"],
            "reader": site.token("reader"),
            "hostile": [site.token(key) for key in hostile],
            "hostile_names": [site.names[key] for key in hostile],
        }


def test_no_payload_runs_when_it_arrives_live_on_an_open_idea_page(browser, server):
    url = server["url"]
    idea = api_post(url, server["reader"], "/ideas", {"title": "An idea read live", "body": "b", "category": 1})
    # A second idea of the reader, its title a payload: comments on it reach the open page as toasts.
    other = api_post(url, server["reader"], "/ideas", {"title": PAYLOADS[0], "body": "b", "category": 1})
    page = logged_in_page(browser, url, server["reader_email"])
    page.add_init_script(WATCH_JS)
    page.goto(f"{url}/ideas/{idea['id']}")
    page.wait_for_selector("#connection-state", state="attached", timeout=10_000)

    watchers = []
    try:
        for token in server["hostile"]:  # the hostile names appear in the viewers list
            watcher = socketio_client.Client(reconnection=False)
            watcher.connect(url, auth={"token": token}, wait_timeout=10)
            assert watcher.call("join_idea", {"idea_id": idea["id"]}, timeout=5)["ok"]
            watchers.append(watcher)
        for name in HOSTILE_NAMES:
            page.wait_for_function("name => document.getElementById('viewers').textContent.includes(name)", arg=name)

        posted = []
        for n, payload in enumerate(PAYLOADS):
            token = server["hostile"][n % len(HOSTILE_NAMES)]
            posted.append(api_post(url, token, f"/ideas/{idea['id']}/comments", {"body": payload}))
            if n % 10 == 0:  # a few notifications for the other idea: toasts with a hostile name and title
                api_post(url, token, f"/ideas/{other['id']}/comments", {"body": payload})
        for n, comment in enumerate(posted[:10]):  # edits arrive as comment_updated
            edited = requests.patch(
                f"{url}/api/v1/comments/{comment['id']}",
                json={"body": f"edited-{n} {PAYLOADS[-1 - n]}"},
                headers={"Authorization": f"Bearer {server['hostile'][n % len(HOSTILE_NAMES)]}"},
                timeout=10,
            )
            assert edited.status_code == 200, edited.text

        page.wait_for_function(
            "n => document.querySelectorAll('#comments li.comment').length >= n", arg=len(PAYLOADS), timeout=30_000
        )
        page.wait_for_function("n => window.__toasts.length >= n", arg=len(range(0, len(PAYLOADS), 10)))
        page.wait_for_function(
            "id => document.getElementById('c' + id).textContent.includes('edited-9')", arg=posted[9]["id"]
        )
        page.mouse.move(200, 300)  # hover handlers, if any had survived, would fire now
        page.keyboard.press("Tab")

        ran = page.evaluate("window.__xss")
        bad = page.evaluate("window.__bad")
        assert ran == [] and page.dialogs == [], (ran, page.dialogs)
        assert bad == [], bad[:10]
        assert page.evaluate("document.querySelectorAll('#comments li.comment').length") >= len(PAYLOADS)
        # The hostile names arrived, shown as text: in the comments' heads and in the toasts.
        heads = page.evaluate("Array.from(document.querySelectorAll('#comments .author')).map(a => a.textContent)")
        assert set(server["hostile_names"]) <= set(heads)
        toasts = page.evaluate("window.__toasts")
        assert any(name in text for text in toasts for name in HOSTILE_NAMES), toasts[:3]
        print(
            f"\nlive XSS in Chromium: {len(PAYLOADS)} payloads as comments, 10 edits, {len(HOSTILE_NAMES)} hostile "
            f"names as authors and viewers, {len(toasts)} toasts; ran {len(ran)}, active markup {len(bad)}"
        )
    finally:
        for watcher in watchers:
            watcher.disconnect()
        page.context.close()
