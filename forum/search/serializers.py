"""The search results' JSON shape (GET /api/v1/search, SPEC section 3), the same whichever engine answered."""

from __future__ import annotations

ITEM_FIELDS = ("type", "id", "idea_id", "title", "snippet", "score", "reference", "created_at")


def search_result_dict(result: dict) -> dict:
    """The API body of a service.search() result: items without the page's title markup, totals, pages, hints."""
    return {
        "items": [{k: item[k] for k in ITEM_FIELDS} for item in result["items"]],
        "total": result["total"],
        "total_exact": result.get("total_exact", True),
        "page": result["page"],
        "pages": result["pages"],
        "suggestion": result["suggestion"],
        "message": result["message"],
    }
