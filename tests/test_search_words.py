"""Words as officers write them: the shared analyser, checked on the word-pair table and end to end."""

import unicodedata
from pathlib import Path

import pytest

from forum.extensions import db
from forum.ideas import service as ideas
from forum.search import text

PAIRS_FILE = Path(__file__).parent / "data" / "search_word_pairs.tsv"


def _pairs(kind: str) -> list[tuple[str, str]]:
    rows = []
    for line in PAIRS_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            k, first, second, _why = line.split("\t")
            if k == kind:
                rows.append((first, second))
    return rows


MATCH, APART = _pairs("match"), _pairs("apart")


def test_the_pair_table_has_both_kinds_for_every_script():
    bangla = lambda pairs: [p for p in pairs if "\u0980" <= p[0][0] <= "\u09ff"]  # noqa: E731
    assert len(MATCH) >= 25 and len(APART) >= 8
    assert len(bangla(MATCH)) >= 12 and len(bangla(APART)) >= 6


@pytest.mark.parametrize(("first", "second"), MATCH)
def test_pairs_that_must_match_give_the_same_terms(first, second):
    assert text.terms(first) == text.terms(second) != []


@pytest.mark.parametrize(("first", "second"), APART)
def test_pairs_that_must_stay_apart_give_different_terms(first, second):
    assert text.terms(first) != text.terms(second)


def test_digit_scripts_fold_inside_references_and_mixed_text():
    assert text.normalise("PSI-২০২৬-০০০০১২") == "psi-2026-000012"
    assert text.words("ফাইল নং ৪৫/২০২৪") == ["ফাইল", "নং", "45", "2024"]
    assert text.parse("PSI-২০২৬-০০০০১২").references == ["psi-2026-000012"]


def test_nfd_and_precomposed_forms_give_the_same_terms():
    word = "জেলায়"
    assert text.terms(unicodedata.normalize("NFD", word)) == text.terms(unicodedata.normalize("NFC", word))
    assert text.terms("\u09a8\u09a6\u09c0\u09a4\u09c7") == text.terms("নদীতে") == ["নদী"]


def test_urdu_letter_variants_and_harakat_give_the_same_terms():
    assert text.terms("ترقي كام") == text.terms("ترقی کام")
    assert text.terms("جِدّت") == text.terms("جدت")


def post(world, title, body):
    idea = ideas.create_idea(world["officer"], title, body, world["land"].id, [])
    db.session.commit()
    return idea


def found(api_client, q):
    r = api_client.get("/search", query_string={"q": q})
    assert r.status_code == 200, r.get_data(as_text=True)
    return [(i["type"], i["id"]) for i in r.get_json()["items"]]


@pytest.fixture
def officer_api(api, world):
    return api(world["officer"])


@pytest.mark.parametrize(
    ("written", "query"),
    [
        ("Tube wells keep running all year", "run"),
        ("Online registrations doubled", "registration"),
        ("Budget for ২০২৬ approved", "2026"),
        ("File 2024/17 was closed", "২০২৪"),
        ("ফাইল ۴۵ منظور", "45"),
        ("ভূমি অফিসের সেবা সহজ হলো", "অফিস"),
        ("জেলায় নতুন স্কুলগুলো চালু", "স্কুল"),
        ("কৃষকদের জন্য সেচ", "কৃষকরা"),
    ],
)
def test_a_query_finds_the_post_in_another_form_of_the_word(world, officer_api, written, query):
    idea = post(world, "Words as written", written)
    post(world, "Unrelated idea", "Nothing in common here.")
    assert found(officer_api, query) == [("idea", idea.id)]


def test_stemming_does_not_join_words_that_differ(world, officer_api):
    post(world, "Tax reform", "করে দেখানো হলো")
    assert found(officer_api, "কর") == []


def test_a_phrase_matches_inflected_words_in_order(world, officer_api):
    idea = post(world, "Phrase check", "The officers were running mobile courts.")
    assert found(officer_api, '"run mobile court"') == [("idea", idea.id)]
    assert found(officer_api, '"court mobile"') == []
