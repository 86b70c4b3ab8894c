"""What the browser tests share: how Chromium is started, logging in, screenshots and layout checks."""

from __future__ import annotations

import os
from pathlib import Path

from tests.browser.servers import PASSWORD, ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]  # fmt: skip
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
# Screenshots of every step land here (gitignored); CI keeps the folder as an artifact.
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS_DIR") or ROOT / "test-artifacts")


def launch(playwright):
    """Debian's Chromium, never a downloaded browser."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def logged_in_page(browser, base_url: str, email: str, *, viewport: dict | None = None, locale: str | None = None):
    """A new context logged in through the page form; confirm() dialogs are recorded and accepted (by default)."""
    context = browser.new_context(viewport=viewport or DESKTOP, locale=locale or "en-US")
    page = context.new_page()
    page.dialogs, page.accept_dialogs = [], True  # set accept_dialogs to False to answer "Cancel"
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.accept() if page.accept_dialogs else d.dismiss()))
    page.goto(base_url + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form [type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def shot(page, name: str) -> Path:
    """Save a full-page screenshot under the test-artifacts folder; its path."""
    path = ARTIFACTS / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


# Elements whose right edge passes the viewport, ignoring what sits inside a box that scrolls
# sideways on purpose (wide tables, code blocks) and what is not displayed.
_OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => { for (let n = el.parentElement; n; n = n.parentElement) {
      const s = getComputedStyle(n).overflowX;
      if (s === 'auto' || s === 'scroll' || s === 'hidden') return true; }
    return false; };
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    if ((r.right > width + 1 || r.left < -1) && !scrolls(el) && getComputedStyle(el).position !== 'fixed') {
      const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '');
      wide.push(name + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, wide: wide.slice(0, 10)};
}"""


def sideways_overflow(page) -> dict:
    """The page's scroll width against the viewport, and any element wider than the viewport."""
    return page.evaluate(_OVERFLOW_JS)


def assert_fits(page, what: str) -> None:
    layout = sideways_overflow(page)
    assert layout["scrollWidth"] <= layout["width"], f"{what} scrolls sideways: {layout}"
    assert not layout["wide"], f"{what} has elements wider than the viewport: {layout}"


# Text in the dashboard's SVG charts that collides: a label running into the bars (which start at x=160) or
# two pieces of text whose boxes intersect. In the SVG's own units, so it holds at any rendered size.
_CHART_OVERLAP_JS = """() => {
  const found = [];
  for (const svg of document.querySelectorAll('svg.chart')) {
    const texts = [...svg.querySelectorAll('text')].map(t => ({t, b: t.getBBox()}));
    for (const {t, b} of texts) {
      if (t.classList.contains('label') && b.x + b.width > 160) found.push('label into bars: ' + t.textContent);
    }
    for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) {
      const a = texts[i].b, c = texts[j].b;
      if (a.x < c.x + c.width && c.x < a.x + a.width && a.y < c.y + c.height && c.y < a.y + a.height)
        found.push('overlap: ' + texts[i].t.textContent + ' / ' + texts[j].t.textContent);
    }
  }
  return found;
}"""


def chart_text_overlaps(page) -> list[str]:
    """Chart labels that run into the bars or into each other (empty when every label is readable)."""
    return page.evaluate(_CHART_OVERLAP_JS)
