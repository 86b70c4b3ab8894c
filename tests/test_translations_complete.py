"""Complete Bangla: every string the code and templates mark is in the catalogue, and no page shows English."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from forum.extensions import db
from forum.ideas import service as ideas

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "translations" / "bn" / "LC_MESSAGES" / "messages.po"


def _catalog():
    with CATALOG.open("rb") as po_file:
        return read_po(po_file, locale="bn")


def _extracted() -> set[str]:
    """What `make translations-update` extracts (babel.cfg, keyword _l as in the Makefile)."""
    method_map, options_map = [], {}
    section = None
    for line in (ROOT / "babel.cfg").read_text().splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            method, pattern = line[1:-1].split(":", 1)
            section = pattern.strip()
            method_map.append((section, method.strip()))
            options_map[section] = {}
        elif "=" in line and section:
            key, value = (part.strip() for part in line.split("=", 1))
            options_map[section][key] = value
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_string_marked_in_code_and_templates_is_translated_in_the_catalogue():
    catalog = _catalog()
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and (all(m.string) if isinstance(m.id, tuple) else m.string)
    }
    missing = sorted(_extracted() - translated)
    assert not missing, f"untranslated (run make translations-update, then translate): {missing[:20]}"


class _VisibleText(HTMLParser):
    """The text a reader sees: no script, style or attribute values other than labels and placeholders."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "code", "pre", "textarea"):
            self._skip += 1
        for name, value in attrs:
            if (
                name in ("aria-label", "placeholder", "title", "value")
                and value
                and tag != "input"
                or (name == "value" and tag == "input" and dict(attrs).get("type") == "submit")
            ):
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "code", "pre", "textarea") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _english_sources() -> list[str]:
    """Catalogue source strings of two words or more whose Bangla differs, placeholders cut out."""
    sources = []
    for m in _catalog():
        if not m.id:
            continue
        source = m.id if isinstance(m.id, str) else m.id[0]
        for piece in re.split(r"%\(\w+\)[sd]|%%", source):
            piece = piece.strip(" .:,;“”()·")
            if len(piece.split()) >= 2 and re.search(r"[A-Za-z]{3}", piece):
                sources.append(piece)
    return sorted(set(sources), key=len, reverse=True)


@pytest.fixture
def busy_world(world):
    idea = ideas.create_idea(world["officer"], "উপজেলা সেবা", "শরীর", world["land"].id, None)
    db.session.commit()
    ideas.add_comment(idea, world["senior"], "দাপ্তরিক উত্তর")
    ideas.add_comment(idea, world["admin"], "মন্তব্য")
    db.session.commit()
    return idea


PAGES = ["/", "/ideas/new", "/ideas/{idea}", "/search?q=সেবা", "/notifications", "/profile", "/help/markdown",
         "/followup/", "/admin/", "/admin/offices", "/admin/categories", "/ideas/{idea}/edit"]  # fmt: skip


@pytest.mark.parametrize("login", ["officer@x.gov", "admin@x.gov"])
def test_no_page_shows_an_english_source_string_in_bangla(client, auth, busy_world, login):
    auth.login(login)
    client.get("/lang/bn")
    sources = _english_sources()
    for path in PAGES:
        response = client.get(path.format(idea=busy_world.id))
        if response.status_code in (302, 403, 404):  # a page this role may not see
            continue
        assert response.status_code == 200, path
        parser = _VisibleText()
        parser.feed(response.get_data(as_text=True))
        visible = " ".join(" ".join(parser.parts).split())
        english = [s for s in sources if s in visible]
        assert not english, f"{path} shows English in Bangla: {english[:10]}"
