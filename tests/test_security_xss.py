"""Stored XSS: every hostile payload, in every place a user's text appears, stays inert text.

Each payload becomes an office name, a category name, a user's name and designation, an idea's
title, body and tags, a comment, and so the notifications and search snippets made from them.
Then every page that shows them is parsed and must hold no script, event handler, javascript:/data:
URL or other active markup that the templates do not put there themselves. The CSV export must
neutralise spreadsheet formulas. Live events are rendered by live.js in Chromium: see
tests/browser/test_live_xss.py.
"""

import csv
import io
import re
from html.parser import HTMLParser

import pytest
from markupsafe import escape

from forum.accounts import service as accounts
from forum.errors import ValidationError
from forum.extensions import db
from forum.followup import report as reports
from forum.followup.report import _safe_cell
from forum.ideas import service as ideas
from forum.models import Idea, User
from tests.conftest import PASSWORD
from tests.xss_payloads import PAYLOADS

# Markup the templates may emit; anything else active in a page came from a user.
BANNED_TAGS = {
    "script", "iframe", "object", "embed", "style", "base", "frame", "frameset", "applet", "meta", "link",
    "template", "noscript", "xmp", "listing", "video", "audio", "source", "marquee", "math", "input",
}  # fmt: skip
TEMPLATE_TAGS = {"meta", "link", "script", "input"}  # allowed only in the forms the templates use (see _bad_tag)
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "background", "poster", "data", "srcdoc"}
_SCHEME = re.compile(r"^\s*([a-z][a-z0-9+.-]*):", re.IGNORECASE)
_INVISIBLE = re.compile(r"[\x00-\x20\u00ad\u200b-\u200f\u2028-\u202f\ufeff]")


def _bad_url(value: str) -> bool:
    cleaned = _INVISIBLE.sub("", value)
    match = _SCHEME.match(cleaned)
    return bool(match) and match.group(1).lower() not in ("http", "https", "mailto")


class ActiveMarkup(HTMLParser):
    """Collects every tag or attribute of a page that could run script or load from elsewhere."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name.lower(): value or "" for name, value in attrs}
        if self._bad_tag(tag, attributes):
            self.found.append(f"<{tag} {attributes}>")
        for name, value in attributes.items():
            if name.startswith("on") or name in ("style", "srcdoc", "formaction"):
                self.found.append(f"<{tag} {name}={value!r}>")
            elif name in URL_ATTRIBUTES and _bad_url(value):
                self.found.append(f"<{tag} {name}={value!r}>")
        if tag == "img" and not attributes.get("src", "").startswith("/"):
            self.found.append(f"<img src={attributes.get('src')!r}> from elsewhere")

    handle_startendtag = handle_starttag

    @staticmethod
    def _bad_tag(tag: str, attributes: dict[str, str]) -> bool:
        if tag not in BANNED_TAGS:
            return False
        if tag == "script":
            # The page's own files: run at once, or written inert and started after the load event (ui.js).
            inert = attributes.get("type") == "text/x-after-load"
            return not attributes.get("data-src" if inert else "src", "").startswith("/static/")
        if tag == "meta":
            return "http-equiv" in attributes
        if tag == "link":
            return not attributes.get("href", "").startswith("/static/")
        if tag == "input":
            return attributes.get("type") == "image"
        return True


def active_markup(html: str) -> list[str]:
    parser = ActiveMarkup()
    parser.feed(html)
    parser.close()
    return parser.found


@pytest.fixture
def stored(world):
    """Every payload stored in every user-text field the forum has; returns what was stored and refused."""
    result = {"ideas": [], "users": [], "refused": []}
    for n, payload in enumerate(PAYLOADS):
        code = f"X{n}"
        accounts.create_office(code, payload, "ROOT")
        category = ideas.create_category(f"{payload} {n}"[-100:], code)
        user = accounts.create_user(f"x{n}@x.gov", payload[:120], "officer", code, PASSWORD, designation=payload[:120])
        try:
            idea = ideas.create_idea(
                user, f"land {payload}"[:200], f"land {payload}\n\n{payload}", category.id, [payload]
            )
        except ValidationError as exc:
            assert exc.field == "tags"
            result["refused"].append(("tags", payload))
            idea = ideas.create_idea(user, f"land {payload}"[:200], f"land {payload}\n\n{payload}", category.id)
        ideas.add_comment(idea, world["senior"], f"land {payload}")  # notifies the payload user
        ideas.add_comment(world_idea(world), user, payload)  # the officer is told "<payload> commented on ..."
        result["ideas"].append(idea.id)
        result["users"].append(user.id)
    db.session.commit()
    return result


def world_idea(world) -> Idea:
    found = db.session.scalar(db.select(Idea).where(Idea.title == "The officer's idea"))
    if found is None:
        found = ideas.create_idea(world["officer"], "The officer's idea", "Body", world["land"].id, ["ok"])
    return found


def login(app, email: str):
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return client


def test_there_are_at_least_sixty_payloads():
    assert len(set(PAYLOADS)) >= 60


def test_the_checker_sees_active_markup():
    # Proof the page check can fail: each of these is what an unescaped payload would leave behind.
    for html in (
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href=" jav&#x09;ascript:alert(1)">x</a>',
        "<svg onload=alert(1)>",
        "<iframe srcdoc=x>",
        '<div style="x">',
        "<img src=https://evil.example/p.png>",
        '<script type="text/x-after-load" data-src="https://evil.example/x.js"></script>',
    ):
        assert active_markup(html), html
    assert active_markup('<script src="/static/js/live.js"></script><a href="/ideas/1">x</a>') == []
    assert active_markup('<script type="text/x-after-load" data-src="/static/js/live.js"></script>') == []


def _pages(app, world, stored) -> dict[str, str]:
    """Every page where the stored text appears, by URL, as the role that can see it."""
    admin, staff, officer = (login(app, f"{r}@x.gov") for r in ("admin", "staff", "officer"))
    payload_user = login(app, "x0@x.gov")
    pages = {}
    for page in range(1, len(PAYLOADS) // 20 + 2):
        pages[f"/?page={page}"] = officer.get(f"/?page={page}").get_data(as_text=True)
        pages[f"/search?q=land&page={page}"] = officer.get(f"/search?q=land&page={page}").get_data(as_text=True)
    for idea_id in stored["ideas"]:
        pages[f"/ideas/{idea_id}"] = officer.get(f"/ideas/{idea_id}").get_data(as_text=True)
        pages[f"/ideas/{idea_id}/edit"] = admin.get(f"/ideas/{idea_id}/edit").get_data(as_text=True)
    for user_id in stored["users"]:
        pages[f"/users/{user_id}"] = officer.get(f"/users/{user_id}").get_data(as_text=True)
        pages[f"/admin/users/{user_id}"] = admin.get(f"/admin/users/{user_id}").get_data(as_text=True)
    pages[f"/ideas/{world_idea(world).id}"] = officer.get(f"/ideas/{world_idea(world).id}").get_data(as_text=True)
    for path in ("/admin/users", "/admin/offices", "/admin/categories", "/ideas/new"):
        pages[path] = admin.get(path).get_data(as_text=True)
    pages["/followup/"] = staff.get("/followup/").get_data(as_text=True)
    pages["/notifications (officer)"] = officer.get("/notifications").get_data(as_text=True)
    pages["/notifications (payload user)"] = payload_user.get("/notifications").get_data(as_text=True)
    pages["/profile (payload user)"] = payload_user.get("/profile").get_data(as_text=True)
    return pages


def test_no_payload_becomes_active_markup_on_any_page(app, world, stored):
    pages = _pages(app, world, stored)
    found = {url: marks for url, html in pages.items() if (marks := active_markup(html))}
    assert found == {}, "\n".join(f"{url}: {marks}" for url, marks in found.items())
    # The payloads did reach the pages (escaped), so the check above looked at them.
    everything = "".join(pages.values())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in everything
    assert everything.count("onerror=alert(1)") >= 10
    assert len(pages) >= 2 * len(PAYLOADS) * 2


def test_notifications_carry_the_payloads_as_text(app, world, stored):
    html = login(app, "officer@x.gov").get("/notifications").get_data(as_text=True)
    newest_with_markup = next(p for p in reversed(PAYLOADS) if "<" in p)
    assert f"{escape(newest_with_markup)} commented on your idea" in html


def test_search_snippets_and_api_text_carry_no_markup_but_highlights(app, world, stored, api):
    caller = api(world["officer"])
    items = []
    for page in (1, 2, 3, 4):
        items += caller.get(f"/search?q=land&page={page}").get_json()["items"]
    assert len(items) >= 20
    for item in items:
        without_marks = re.sub(r"</?mark>", "", item["snippet"])
        assert "<" not in without_marks, item["snippet"]
    idea = caller.get(f"/ideas/{stored['ideas'][0]}").get_json()
    assert active_markup(idea["body_html"]) == [] and "<script>" in idea["body"]
    for comment in idea["comments"]:
        assert active_markup(comment["body_html"]) == []


def test_csv_export_neutralises_formulas_and_keeps_bangla(app, world, stored):
    reports.invalidate_cache()
    response = login(app, "staff@x.gov").get("/followup/report.csv")
    assert response.status_code == 200 and response.data.startswith("\ufeff".encode())
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    cells = [cell for row in rows[1:] for cell in row[:3]]
    assert any("উদ্ভাবন" in cell for cell in cells)
    dangerous = [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert dangerous == []
    assert any(cell.startswith("'=HYPERLINK(") for cell in cells) and any(cell.startswith("'@SUM") for cell in cells)


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@x", "\t=1", "\r=1"])
def test_every_formula_lead_is_prefixed(cell):
    assert _safe_cell(cell) == "'" + cell


def test_names_and_designations_are_stored_as_typed(stored):
    # Escaping happens on output: the stored text is what the user typed, not a mangled copy.
    names = {u.name for u in db.session.scalars(db.select(User).where(User.id.in_(stored["users"])))}
    assert "<script>alert(1)</script>" in names
