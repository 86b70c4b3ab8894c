"""What both engines share besides the word rules (text.py): document digests and the shape of an answer.

Whoosh (index.py) and PostgreSQL (pg.py) each match and rank in their own way,
then hand their hits to answer() here, so the service above sees one shape.
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime

from forum.search.text import ParsedQuery

MAX_PAGES = 100


def digest(doc: dict) -> str:
    """A fingerprint of everything a document's index entry is built from.

    Stored beside the entry: `flask search check` recomputes it from the database,
    and an entry whose digest differs was not updated after an edit (stale title,
    body, tags or filters).
    """
    created = doc.get("created")
    if isinstance(created, datetime) and created.tzinfo is not None:
        created = created.astimezone(UTC).replace(tzinfo=None)
    parts = (
        doc["key"],
        str(doc["idea_id"]),
        doc.get("title") or "",
        doc.get("body") or "",
        "\x1f".join(sorted(doc.get("tags") or ())),
        str(doc.get("author_id") or ""),
        (doc.get("office") or "").lower(),
        str(doc.get("category") or ""),
        (doc.get("reference") or "").lower(),
        created.isoformat() if isinstance(created, datetime) else "",
    )
    return hashlib.blake2b("\x1e".join(parts).encode(), digest_size=16).hexdigest()


def hit(key: str, idea_id: int, score: float) -> dict:
    """One ranked hit: the document's kind and id come from its key ("idea:12", "comment:34")."""
    kind, _, doc_id = key.partition(":")
    return {"key": key, "type": kind, "id": int(doc_id), "idea_id": int(idea_id), "score": round(float(score), 4)}


def answer(  # noqa: PLR0913 (the parts of an answer)
    hits: list[dict],
    total: int,
    exact: bool,
    page: int,
    per_page: int,
    suggestion: str | None,
    parsed: ParsedQuery,
) -> dict:
    """An engine's answer: {"hits", "total", "total_exact", "page", "pages", "suggestion", "terms"}."""
    return {
        "hits": hits,
        "total": total,
        "total_exact": exact,
        "page": page,
        "pages": min(MAX_PAGES, math.ceil(total / per_page)) if total else 0,
        "suggestion": suggestion,
        "terms": parsed.highlight_terms,
    }
