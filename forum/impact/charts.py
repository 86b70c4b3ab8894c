"""The impact report's charts: server-drawn SVG geometry for the page and the PDF (the CSP allows no script)."""

from __future__ import annotations

from forum.impact.report import INTERVALS
from forum.models import IDEA_STATUSES

STAGE_COLOURS = {
    "open": "#9aa5b1",
    "under_review": "#f0b429",
    "piloting": "#3e8ed0",
    "implemented": "#006a4e",
    "replicated": "#7b3fa0",
    "closed": "#d64545",
}


def stage_chart(points: list[dict], width: int = 640, height: int = 200) -> dict:
    """Stacked columns, one per month, of the ideas at each stage."""
    top = max((sum(p["stages"].values()) for p in points), default=0) or 1
    slot = width / max(1, len(points))
    columns = []
    for i, point in enumerate(points):
        y, parts = float(height), []
        for status in IDEA_STATUSES:
            h = round(height * point["stages"][status] / top, 1)
            if h:
                y -= h
                parts.append({"status": status, "y": round(y, 1), "h": h, "count": point["stages"][status]})
        columns.append(
            {"x": round(i * slot + 2, 1), "w": round(max(1.0, slot - 4), 1), "label": point["month"], "parts": parts}
        )
    return {"columns": columns, "width": width, "height": height, "top": top, "colours": STAGE_COLOURS}


def interval_chart(working_days: dict, width: int = 420, bar: int = 16) -> dict:
    """Median and p90 bars for each interval."""
    top = max((v["p90"] or 0 for v in working_days.values()), default=0) or 1
    lines = []
    for i, name in enumerate(INTERVALS):
        spread = working_days[name]
        lines.append(
            {
                "name": name,
                "y": i * (2 * bar + 14),
                "median": spread["median"],
                "p90": spread["p90"],
                "wm": round(width * (spread["median"] or 0) / top, 1),
                "wp": round(width * (spread["p90"] or 0) / top, 1),
            }
        )
    return {"lines": lines, "bar": bar, "width": width, "height": len(INTERVALS) * (2 * bar + 14)}
