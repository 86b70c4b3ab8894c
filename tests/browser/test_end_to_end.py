"""End to end in Debian's Chromium: a field officer's idea in Bangla, from sign-up to the official answer.

An officer signs up on a 360 px phone in Bangla, an admin approves the account, the officer posts an idea;
a secretary, watching a saved search in a second browser context, is told live and replies; the officer's
open page shows the official reply and the answered state without a reload and the bell counts it; search
finds the idea by a Bangla word; staff see it counted on the dashboard. Every step is screenshotted under
test-artifacts/e2e/ and every phone step is checked for layout (nothing wider than the viewport).
"""

import pytest

from tests.browser.helpers import DESKTOP, PHONE, assert_fits, chart_text_overlaps, logged_in_page, shot
from tests.browser.servers import PASSWORD, site_with_users

pytestmark = pytest.mark.browser

WORD = "জলাবদ্ধতা"  # "waterlogging": a word with a virama and vowel signs, found whole by search
TITLE = f"উপজেলায় {WORD} কমাতে খাল পরিষ্কারের উদ্যোগ"
BODY = f"বর্ষায় **{WORD}** হলে কৃষকের ফসল নষ্ট হয়।\n\n- স্থানীয় স্বেচ্ছাসেবক\n- মাসিক পরিদর্শন"
REPLY = "ধন্যবাদ। মন্ত্রণালয় আগামী মাসে পাইলট শুরু করবে।"
LIVE = 15_000  # ms: generous for a loaded 2-core machine; the page usually updates in well under a second


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    people = {"admin": ("Admin", "admin"), "secretary": ("সচিব", "senior"), "staff": ("Staff", "staff")}
    with site_with_users(tmp_path_factory.mktemp("e2e-site"), people) as site:
        yield site


def _step(page, name: str, *, phone: bool = False) -> None:
    """Screenshot the step; on the phone, also check nothing is wider than the viewport."""
    shot(page, f"e2e/{name}")
    if phone:
        assert_fits(page, name)


def _in_bangla(page, url: str) -> None:
    page.goto(f"{url}/lang/bn?next=/")
    assert page.get_attribute("html", "lang") == "bn"


def test_officer_idea_in_bangla_from_sign_up_to_official_answer(browser, server):
    url, run = server.url, server.run
    email, name = f"officer.{run}@x.gov", f"রহিমা খাতুন {run}"

    # 1. The officer asks for an account from a phone, in Bangla. A first try with a short password is refused
    #    with every problem at once, and what was typed (but the passwords) is kept.
    phone_context = browser.new_context(viewport=PHONE, locale="bn-BD", has_touch=True, is_mobile=True)
    officer = phone_context.new_page()
    officer.dialogs = []
    officer.on("dialog", lambda dialog: (officer.dialogs.append(dialog.message), dialog.accept()))
    officer.goto(f"{url}/lang/bn?next=/signup")
    assert officer.get_attribute("html", "lang") == "bn"
    officer.fill("input[name=name]", name)
    officer.fill("input[name=email]", email)
    officer.fill("input[name=designation]", "উপজেলা নির্বাহী অফিসার")
    # The office list starts empty and is searched: one match left is chosen.
    assert officer.input_value("select[name=office]") == ""
    officer.fill("#office-search", "gazipur")
    assert officer.input_value("select[name=office]") == "DIST"
    officer.fill("input[name=password]", "short")
    officer.fill("input[name=password2]", "different")
    officer.click("main form [type=submit]")
    officer.wait_for_selector("main form [aria-invalid=true]")
    assert officer.evaluate("document.activeElement.className") == "error-summary"  # focus on the summary
    _step(officer, "01-signup-errors", phone=True)
    assert officer.input_value("input[name=name]") == name
    assert officer.input_value("input[name=email]") == email
    assert officer.input_value("select[name=office]") == "DIST"
    assert officer.input_value("input[name=password]") == ""
    officer.fill("input[name=password]", PASSWORD)
    officer.fill("input[name=password2]", PASSWORD)
    _step(officer, "02-signup-filled", phone=True)
    officer.click("main form [type=submit]")
    officer.wait_for_url(lambda u: "/login" in u)
    assert officer.is_visible(".flash")
    _step(officer, "03-signup-sent", phone=True)
    # Not approved yet: the login form says so.
    officer.fill("input[name=email]", email)
    officer.fill("input[name=password]", PASSWORD)
    officer.click("main form [type=submit]")
    officer.wait_for_selector("main form .form-errors, main form [role=alert], main .flash-error")
    assert "/login" in officer.url
    _step(officer, "04-login-awaiting-approval", phone=True)

    # 2. An admin approves the account from the waiting list (desktop).
    admin = logged_in_page(browser, url, server.emails["admin"], viewport=DESKTOP)
    admin.goto(f"{url}/admin/users?status=pending")
    row = admin.locator("tr", has_text=email)
    assert row.count() == 1
    _step(admin, "05-admin-waiting-list")
    row.locator("a").first.click()
    assert admin.input_value("select[name=status]") == "active"
    admin.click("main form [type=submit]")
    admin.wait_for_url(lambda u: u.rstrip("/").endswith("/admin/users"))
    assert "pending" not in (admin.locator("tr", has_text=email).get_attribute("class") or "")
    _step(admin, "06-admin-approved")
    admin.context.close()

    # 3. The secretary (a senior of the ministry) saves a search for the Bangla word, with notices on, and keeps
    #    the idea list open in a second browser context.
    secretary = logged_in_page(browser, url, server.emails["secretary"], viewport=DESKTOP)
    _in_bangla(secretary, url)
    secretary.goto(f"{url}/search?q={WORD}")
    secretary.click("form.save-search [type=submit]")
    secretary.wait_for_selector(".flash")
    secretary.goto(url + "/")
    secretary.evaluate("window.notReloaded = true")
    _step(secretary, "07-secretary-watching")

    # 4. The approved officer logs in and posts the idea in Bangla from the phone.
    officer.fill("input[name=email]", email)
    officer.fill("input[name=password]", PASSWORD)
    officer.click("main form [type=submit]")
    officer.wait_for_url(lambda u: "/login" not in u)
    _in_bangla(officer, url)
    _step(officer, "08-officer-home", phone=True)
    officer.goto(f"{url}/ideas/new")
    # Nothing silently preselected: the category starts on its "choose" placeholder.
    assert officer.eval_on_selector("select[name=category]", "s => s.selectedIndex") == 0
    officer.fill("input[name=title]", TITLE)
    officer.select_option("select[name=category]", label="Land services")
    officer.fill("textarea[name=body]", BODY)
    _step(officer, "09-new-idea-filled", phone=True)
    officer.click("main form [type=submit]")
    officer.wait_for_url(lambda u: "/ideas/new" not in u)
    assert officer.inner_text("#idea h1") == TITLE
    assert officer.inner_text("#idea strong") == WORD
    assert officer.is_visible("#idea .pill.waiting")
    idea_url = officer.url.split("#")[0]
    idea_id = int(idea_url.rstrip("/").rsplit("/", 1)[1])
    officer.evaluate("window.notReloaded = true")
    _step(officer, "10-idea-posted", phone=True)

    # 5. The secretary is told live (toast and bell, no reload), follows the notice and replies.
    toast = secretary.wait_for_selector("#live-toasts .toast", timeout=LIVE)
    assert TITLE in toast.inner_text()
    # Phrased for this reader when shown (as in the bell menu), not the sentence stored when it was made.
    assert not toast.inner_text().startswith("New idea")
    secretary.wait_for_selector("#notification-count:not([hidden])", timeout=LIVE)
    assert secretary.evaluate("window.notReloaded") is True
    _step(secretary, "11-secretary-told-live")
    secretary.goto(f"{url}/ideas/{idea_id}")
    secretary.fill("#comment-form textarea[name=body]", REPLY)
    _step(secretary, "12-secretary-replying")
    secretary.click("#comment-form [type=submit]")
    posted = secretary.wait_for_selector(f"li.comment.official:has-text('{REPLY[:8]}')", timeout=LIVE)
    comment_id = int(posted.get_attribute("data-comment-id"))
    _step(secretary, "13-secretary-replied")

    # 6. The officer's open page shows the official reply, the answered state and the bell count: no reload.
    item = officer.wait_for_selector(f"#c{comment_id}.comment.official", timeout=LIVE)
    assert REPLY in item.inner_text()
    officer.wait_for_selector("#idea .pill.official", timeout=LIVE)
    assert officer.query_selector("#idea .pill.waiting") is None
    assert officer.is_visible("#followup-state #answered-note")
    officer.wait_for_selector("#notification-count:not([hidden])", timeout=LIVE)
    assert int(officer.inner_text("#notification-count")) >= 1
    assert officer.evaluate("window.notReloaded") is True
    _step(officer, "14-officer-sees-official-reply", phone=True)
    officer.click("#notification-bell")
    entry = officer.wait_for_selector("#notification-menu:not([hidden]) li.unread a", timeout=LIVE)
    assert TITLE in entry.inner_text() and server.names["secretary"] in entry.inner_text()
    _step(officer, "15-officer-notification-menu", phone=True)
    # Opening the notice goes to the reply and reads it.
    entry.click()
    officer.wait_for_url(lambda u: f"/ideas/{idea_id}" in u)
    assert officer.is_hidden("#notification-count")

    # 7. Search finds the idea by the Bangla word, typed into the search form on the phone.
    officer.goto(f"{url}/search")
    officer.fill("main form[role=search] input[name=q]", WORD)
    officer.press("main form[role=search] input[name=q]", "Enter")
    officer.wait_for_url(lambda u: "q=" in u)
    hit = officer.locator(f"main .search-hit a[href^='/ideas/{idea_id}']").first
    assert hit.is_visible()
    assert "**" not in officer.inner_text("main")
    _step(officer, "16-search-finds-bangla-word", phone=True)
    hit.click()
    officer.wait_for_url(lambda u: f"/ideas/{idea_id}" in u)
    assert officer.dialogs == []
    phone_context.close()

    # 8. Staff see it on the dashboard: the category's row counts the idea, answered.
    staff = logged_in_page(browser, url, server.emails["staff"], viewport=DESKTOP)
    staff.goto(f"{url}/followup/")
    row = staff.locator("table.report tr", has_text="Land services").first
    cells = row.locator("td").all_inner_texts()
    assert cells[1] == "1", cells
    assert "100" in " ".join(cells), cells
    # The charts carry value labels that collide with nothing, and shrink with the window.
    assert staff.locator("svg.chart text.value").count() >= 2
    assert chart_text_overlaps(staff) == []
    _step(staff, "17-staff-dashboard")
    staff.set_viewport_size(PHONE)
    assert chart_text_overlaps(staff) == []
    # On the phone a chart keeps a readable size and scrolls sideways inside its own box, not the page.
    boxes = staff.evaluate(
        "[...document.querySelectorAll('figure.chart-box')].map(f => [f.getBoundingClientRect().right,"
        " f.querySelector('svg.chart').getBoundingClientRect().width])"
    )
    assert boxes and all(right <= PHONE["width"] and svg_width >= 560 for right, svg_width in boxes), boxes
    _step(staff, "18-staff-dashboard-phone", phone=True)
    staff.context.close()
    secretary.context.close()
