"""English and Bangla UI; user text in Bangla and Urdu is kept exactly as written."""

import re
import unicodedata
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from forum.extensions import db
from forum.models import Idea

CATALOG = Path(__file__).resolve().parent.parent / "translations" / "bn" / "LC_MESSAGES" / "messages.po"

BANGLA_TITLE = "উপজেলা স্বাস্থ্য কমপ্লেক্সে অনলাইন সিরিয়াল"
BANGLA_BODY = "রোগীরা ভোর থেকে লাইনে দাঁড়ান। এই **উদ্ভাবন** অপেক্ষার সময় কমাবে।"
URDU_TITLE = "آن لائن زمین کے ریکارڈ کی تجویز"
URDU_COMMENT = "یہ ایک اچھی تجویز ہے، ہم اس پر کام کریں گے۔"


@pytest.fixture(scope="module", autouse=True)
def compiled_catalog():
    """`make translations` compiles the catalog at install time; do it here too if the .mo is stale."""
    mo = CATALOG.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < CATALOG.stat().st_mtime:
        with CATALOG.open("rb") as po_file:
            catalog = read_po(po_file, locale="bn")
        with mo.open("wb") as mo_file:
            write_mo(mo_file, catalog)


def text(response) -> str:
    return response.get_data(as_text=True)


def test_every_ui_string_has_a_bangla_translation_with_the_same_placeholders():
    with CATALOG.open("rb") as po_file:
        catalog = read_po(po_file, locale="bn")
    assert catalog.plural_forms == "nplurals=2; plural=(n != 1);"
    placeholder = re.compile(r"%\(\w+\)[sd]")
    messages = [m for m in catalog if m.id]
    assert len(messages) > 100
    for message in messages:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"untranslated: {message.id!r}"
        assert "fuzzy" not in message.flags, f"fuzzy: {message.id!r}"
        for translated in strings:
            assert sorted(placeholder.findall(translated)) == sorted(placeholder.findall(ids[-1])), message.id


def test_login_page_in_bangla_with_lang_parameter(client, world):
    english = text(client.get("/login"))
    assert "Log in" in english and '<html lang="en">' in english
    bangla = text(client.get("/login?lang=bn"))
    assert '<html lang="bn"' in bangla
    assert "লগ ইন" in bangla and "পাসওয়ার্ড" in bangla and "পিএসআই ফোরাম" in bangla
    assert "Password" not in bangla


def test_language_switch_is_remembered_for_the_session(client, world, auth):
    response = client.get("/lang/bn", query_string={"next": "/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "লগ ইন" in text(client.get("/login"))
    auth.login("officer@x.gov")
    listing = text(client.get("/"))
    assert "ধারণাসমূহ" in listing and "ধারণা পোস্ট করুন" in listing and "সব ক্যাটাগরি" in listing
    assert "০টি ধারণা" in listing and "এই ফিল্টারে কোনো ধারণা মেলেনি।" in listing
    client.get("/lang/en")
    listing = text(client.get("/"))
    assert "Post an idea" in listing and "ধারণা পোস্ট করুন" not in listing


def test_idea_list_in_bangla_with_lang_parameter(client, world, auth, api):
    api(world["officer"]).post("/ideas", json={"title": "Online land records", "body": "x", "category": 1})
    auth.login("officer@x.gov")
    page = text(client.get("/?lang=bn"))
    assert "১টি ধারণা" in page and "উত্তরের অপেক্ষায়" in page and "০টি মন্তব্য" in page  # Bangla digits


def test_a_users_saved_language_is_used(client, world, auth):
    auth.login("officer@x.gov")
    client.post("/profile", data={"name": "Officer One", "designation": "", "locale": "bn", "submit": "Save"})
    assert "ধারণাসমূহ" in text(client.get("/"))


def test_unknown_languages_fall_back_to_english(client, world):
    assert "Log in" in text(client.get("/login?lang=xx"))
    assert client.get("/lang/xx").status_code == 302
    assert "Log in" in text(client.get("/login"))


@pytest.mark.parametrize("title", [BANGLA_TITLE, URDU_TITLE])
def test_bangla_and_urdu_round_trip_through_the_api_and_pages(client, world, auth, api, title):
    assert unicodedata.is_normalized("NFC", title)
    officer = api(world["officer"])
    created = officer.post(
        "/ideas",
        json={"title": title, "body": BANGLA_BODY, "category": world["health"].id, "tags": ["উদ্ভাবন", "تجویز"]},
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    idea = created.get_json()
    assert idea["title"] == title and idea["body"] == BANGLA_BODY
    assert sorted(idea["tags"]) == sorted(["উদ্ভাবন", "تجویز"])
    assert "<strong>উদ্ভাবন</strong>" in idea["body_html"]
    comment = officer.post(f"/ideas/{idea['id']}/comments", json={"body": URDU_COMMENT}).get_json()
    assert comment["body"] == URDU_COMMENT

    fetched = officer.get(f"/ideas/{idea['id']}").get_json()
    assert fetched["title"] == title and fetched["comments"][0]["body"] == URDU_COMMENT
    assert db.session.get(Idea, idea["id"]).title == title

    auth.login("officer2@x.gov")
    page = text(client.get(f"/ideas/{idea['id']}"))
    assert title in page and "<strong>উদ্ভাবন</strong>" in page and URDU_COMMENT in page
    assert title in text(client.get("/"))
    assert title in text(client.get("/", query_string={"tag": "উদ্ভাবন"}))


def test_bangla_and_urdu_round_trip_through_the_page_forms(client, world, auth):
    auth.login("officer@x.gov")
    response = client.post(
        "/ideas/new",
        data={"title": BANGLA_TITLE, "body": BANGLA_BODY, "category": str(world["health"].id), "tags": "উদ্ভাবন"},
    )
    assert response.status_code == 302
    client.post(response.headers["Location"] + "/comments", data={"body": URDU_COMMENT})
    idea = db.session.scalar(db.select(Idea))
    assert idea.title == BANGLA_TITLE and idea.body == BANGLA_BODY
    page = text(client.get(response.headers["Location"]))
    assert BANGLA_TITLE in page and URDU_COMMENT in page
