"""Word handling shared by every search engine: normalising, splitting, stemming, query parsing, snippets.

Pure text in, plain values out: no engine is imported here, so Whoosh and
PostgreSQL index and query exactly the same terms. Rules (see docs/search.md):

- NFC, casefold, Urdu/Arabic letter variants folded, optional harakat dropped;
- Bangla (০-৯), Arabic-Indic (٠-٩), Extended Arabic-Indic (۰-۹) and Devanagari
  digits folded to ASCII, so "২০২৬" is "2026";
- a word is a run of letters, digits and combining marks (Bangla vowel signs and
  viramas never split a word), ZWNJ/ZWJ inside words dropped;
- English words (Latin letters) go through the Snowball English stemmer, so
  "run", "runs" and "running" are one term; Bangla words through a light
  suffix stemmer for case and plural endings (see BANGLA_SUFFIXES).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import Stemmer

MAX_QUERY_LENGTH = 500


class QueryError(ValueError):
    """A query that cannot be searched; the message is meant for the user."""


# Splitting ----------------------------------------------------------------


def _mark_ranges(lo: int, hi: int) -> str:
    """A regex character class body covering every combining mark (categories Mn, Mc, Me) in [lo, hi)."""
    ranges, start = [], None
    for cp in range(lo, hi):
        is_mark = unicodedata.category(chr(cp))[0] == "M"
        if is_mark and start is None:
            start = cp
        elif not is_mark and start is not None:
            ranges.append((start, cp - 1))
            start = None
    if start is not None:
        ranges.append((start, hi - 1))
    return "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b != a else "") for a, b in ranges)


# \w plus marks plus ZWNJ/ZWJ (which Bangla and Persian use inside words). The re module tests a class's
# astral ranges one by one for every character outside \w, which made tokenising 3x slower: text with no
# astral character (nearly all) uses the BMP-only class, which matches exactly the same words in it.
_BMP_MARKS = _mark_ranges(0, 0x10000)
_WORD_BMP = re.compile(r"[\w" + _BMP_MARKS + "\u200c\u200d]+")
WORD_PATTERN = re.compile(
    r"[\w" + _BMP_MARKS + _mark_ranges(0x10000, 0x20000) + _mark_ranges(0xE0100, 0xE01F0) + "\u200c\u200d]+"
)


def _word_pattern(text: str) -> re.Pattern:
    return _WORD_BMP if not text or max(text) <= "\uffff" else WORD_PATTERN


# Normalising --------------------------------------------------------------

_FOLD_MAP: dict[int, str | None] = {
    # Urdu is typed with Arabic and Farsi code points for the same letters.
    0x064A: "\u06cc",  # Arabic yeh -> Farsi yeh
    0x0649: "\u06cc",  # alef maksura -> Farsi yeh
    0x0643: "\u06a9",  # Arabic kaf -> keheh
    0x0647: "\u06c1",  # heh -> heh goal (Urdu)
    0x0629: "\u06c3",  # teh marbuta -> Urdu teh marbuta goal
    0x200C: None,
    0x200D: None,
    0x0640: None,  # tatweel
}
# Officers write years, file numbers and tracking references in whichever digits their keyboard gives.
for _zero in (0x09E6, 0x0660, 0x06F0, 0x0966):  # Bangla, Arabic-Indic, Extended Arabic-Indic, Devanagari
    for _d in range(10):
        _FOLD_MAP[_zero + _d] = str(_d)
_FOLD = str.maketrans(_FOLD_MAP)
# Arabic-script diacritics (harakat): optional in Urdu, so they must not change the word.
_HARAKAT = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed]")


def normalise(text: str) -> str:
    """NFC, casefold, fold letter variants and digit scripts, drop optional diacritics."""
    text = unicodedata.normalize("NFC", text).casefold()
    return _HARAKAT.sub("", text.translate(_FOLD))


normalise_word = lru_cache(maxsize=100_000)(normalise)

STOP_WORDS = frozenset(
    "a an and are as at be by can for from have if in is it may not of on or tbd that the this to us we when "
    "will with yet you your".split()
)


def words(text: str, stop: bool = True) -> list[str]:
    """The normalised words of text, in order (stop words and one-letter words dropped unless stop=False).

    The whole text is normalised once and then split: the same words as splitting
    first and normalising each (normalising turns letters into letters and removes
    marks, ZWNJ/ZWJ and tatweel, which the word pattern keeps inside words either
    way; checked token for token on the bench corpus), at a fraction of the cost.
    """
    text = normalise(text)
    found = _word_pattern(text).findall(text)
    if stop:
        return [w for w in found if len(w) > 1 and w not in STOP_WORDS]
    return found


def spans(text: str, stop: bool = True) -> Iterator[tuple[str, int, int]]:
    """(normalised word, start, end) for each word, offsets into the original text (for snippets)."""
    for m in _word_pattern(text).finditer(text):
        word = normalise_word(m.group())
        if not word or (stop and (len(word) < 2 or word in STOP_WORDS)):
            continue
        yield word, m.start(), m.end()


# Stemming -----------------------------------------------------------------

_english = Stemmer.Stemmer("english")
_LATIN = re.compile(r"^[a-z]+$")
_BANGLA = re.compile(r"^[\u0980-\u09ff]+$")

# Case and plural endings, longest first. Each has the letters that must stay in front of it: a stem of
# fewer letters is a different word ("করে" is not "কর", tax), and some endings only follow a vowel sign
# ("জেলায়" -> "জেলা", but "সময়" stays whole) or a consonant ("কৃষকরা" -> "কৃষক", but "ধারা" stays whole).
_VOWEL_SIGNS = frozenset("\u09be\u09bf\u09c0\u09c1\u09c2\u09c3\u09c7\u09c8\u09cb\u09cc")
_ANY, _AFTER_VOWEL, _AFTER_CONSONANT = "any", "vowel", "consonant"
BANGLA_SUFFIXES: tuple[tuple[str, int, str], ...] = (
    ("গুলোকে", 2, _ANY),
    ("গুলোতে", 2, _ANY),
    ("গুলোর", 2, _ANY),
    ("গুলির", 2, _ANY),
    ("গুলো", 2, _ANY),
    ("গুলি", 2, _ANY),
    ("দেরকে", 2, _ANY),
    ("দের", 2, _ANY),
    ("এর", 2, _ANY),
    ("ের", 2, _AFTER_CONSONANT),
    ("কে", 2, _ANY),
    ("তে", 2, _AFTER_VOWEL),  # "জেলাতে" -> "জেলা"; "করতে" (to do) is not "কর" (tax)
    ("রা", 2, _AFTER_CONSONANT),
    ("য়", 2, _AFTER_VOWEL),
    ("র", 2, _AFTER_VOWEL),
    ("ে", 3, _AFTER_CONSONANT),  # locative: "অফিসে" -> "অফিস"
)
# Compared with NFC words: "য়" is one code point in some keyboards' output and two after NFC.
BANGLA_SUFFIXES = tuple((unicodedata.normalize("NFC", s), n, a) for s, n, a in BANGLA_SUFFIXES)
# Pronouns whose ending is not a case ending ("আমরা", we, is not "আম", mango).
BANGLA_WHOLE = frozenset(
    unicodedata.normalize("NFC", w) for w in "আমরা তোমরা তারা এরা ওরা যারা কারা আমাদের তোমাদের তাদের এদের ওদের যাদের".split()
)


def _letters(text: str) -> int:
    """Letters, not code points: vowel signs, viramas and nuktas are marks on a letter."""
    return sum(1 for ch in text if unicodedata.category(ch)[0] != "M")


def bangla_stem(word: str) -> str:
    """The word without one case or plural ending, when what remains is long enough to be the word."""
    if word in BANGLA_WHOLE:
        return word
    for suffix, min_letters, after in BANGLA_SUFFIXES:
        if not word.endswith(suffix):
            continue
        stem = word[: -len(suffix)]
        if _letters(stem) < min_letters:
            continue
        last = stem[-1]
        if after == _AFTER_VOWEL and last not in _VOWEL_SIGNS:
            continue
        if after == _AFTER_CONSONANT and unicodedata.category(last)[0] == "M":
            continue
        return stem
    return word


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The index term of a normalised word: Snowball English, the Bangla stemmer, or the word itself."""
    if _LATIN.match(word):
        return _english.stemWord(word)
    if _BANGLA.match(word):
        return bangla_stem(word)
    return word


def terms(text: str) -> list[str]:
    """The stemmed index terms of text, in order (what both engines store for title and body)."""
    return [stem(w) for w in words(text)]


# Queries ------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_CHUNK = re.compile(r'"([^"]*)"|([^\s"]+)')
_REFERENCE = re.compile(r"^[a-z]+-\d{4}-\d+$")


@dataclass
class ParsedQuery:
    """The words and phrases of a user's query, normalised."""

    words: list[str] = field(default_factory=list)  # unstemmed, normalised
    phrases: list[list[str]] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    raw_words: list[tuple[str, str]] = field(default_factory=list)  # (as typed, normalised)

    @property
    def highlight_terms(self) -> tuple[set[str], set[str]]:
        exact = set(self.words) | {w for p in self.phrases for w in p}
        return exact, {stem(w) for w in exact}


def clean_query(text: str) -> str:
    """Drop control characters and collapse whitespace."""
    return " ".join(_CONTROL.sub(" ", text or "").split())


def parse(text: str) -> ParsedQuery:
    """Split a query into words and "quoted phrases"; an unmatched quote is ignored."""
    text = clean_query(text)
    if not text:
        raise QueryError("Type one or more words to search for.")
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(f"The search is too long: use at most {MAX_QUERY_LENGTH} characters.")
    parsed = ParsedQuery()
    for phrase, word in _CHUNK.findall(text):
        chunk = phrase if phrase else word
        if word and _REFERENCE.match(normalise(word)):
            parsed.references.append(normalise(word))
            continue
        tokens = words(chunk)
        if len(tokens) > 1:
            parsed.phrases.append(tokens)  # a quoted phrase, or "e-services" as the phrase "e services"
        elif tokens:
            parsed.words.append(tokens[0])
            if word:
                parsed.raw_words.append((word, tokens[0]))
    if not (parsed.words or parsed.phrases or parsed.references):
        raise QueryError("Those words are too common to search for: add a more specific word.")
    return parsed


def more_like_this_words(title: str, body: str = "", limit: int = 12) -> list[str]:
    """The distinctive words of a post for a "similar ideas" query: title words first, then the body's longest."""
    seen: dict[str, str] = {}
    for word in words(title):
        seen.setdefault(stem(word), word)
    body_words = sorted(set(words(body)), key=lambda w: (-len(w), w))
    for word in body_words:
        if len(seen) >= limit:
            break
        if len(word) > 3:
            seen.setdefault(stem(word), word)
    return list(seen.values())[:limit]


# Snippets -----------------------------------------------------------------


def snippet(text: str, terms: tuple[set[str], set[str]], length: int = 220) -> str:
    """HTML for a window of text around the query's words, escaped, matches in <mark>.

    Built from the database's text, never from stored markup: every character
    of the post is escaped, and only our own <mark> tags are added.
    """
    text = text or ""
    exact, stems = terms
    matches = [(s, e) for word, s, e in spans(text, stop=False) if word in exact or stem(word) in stems]
    start = 0
    if matches and len(text) > length:
        # The window that holds the most matches, starting a little before the first.
        best, best_count = matches[0][0], 0
        for i, (s, _) in enumerate(matches):
            count = sum(1 for m in matches[i:] if m[1] <= s + length)
            if count > best_count:
                best, best_count = s, count
        start = max(0, best - 40)
        if start:
            space = text.rfind(" ", 0, start + 1)
            start = space + 1 if space >= 0 and best - space < 80 else start
    end = min(len(text), start + length)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + length // 2 else end
    out, pos = [], start
    for s, e in matches:
        if s < start or e > end:
            continue
        out.append(_esc(text[pos:s]))
        out.append("<mark>" + _esc(text[s:e]) + "</mark>")
        pos = e
    out.append(_esc(text[pos:end]))
    return ("…" if start > 0 else "") + "".join(out).strip() + ("…" if end < len(text) else "")


_SPACES = re.compile(r"\s+")


def _esc(piece: str) -> str:
    return _SPACES.sub(" ", html.escape(piece, quote=True))
