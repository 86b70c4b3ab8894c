"""The impact report as CSV; `safe_cell` also guards the flag list's CSV."""

from __future__ import annotations

import csv
import io

from forum.impact.report import INTERVALS
from forum.models import IDEA_STATUSES

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Spreadsheets run a cell starting with = + - @ (or tab, CR) as a formula: user text gets a quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def report_csv(report: dict) -> bytes:
    """The report as one CSV (UTF-8 with a BOM, so that spreadsheets read Bangla right), section by section."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")

    def row(*values: object) -> None:
        writer.writerow([safe_cell(v) for v in values])

    f = report["filters"]
    row("PSI Forum impact report", f["since"], f["until"], f["office"] or "all offices", f["category"] or "all")
    row()
    row("stages over time", "month", *IDEA_STATUSES)
    for point in report["stages_over_time"]:
        row("", point["month"], *(point["stages"][s] for s in IDEA_STATUSES))
    row()
    row("working days", "interval", "count", "median", "p90")
    for name in INTERVALS:
        spread = report["working_days"][name]
        row("", name, spread["count"], spread["median"], spread["p90"])
    row()
    row("offices", "office", "name", "answered", "answer_median", "answer_p90", "decided", "decision_median")
    for r in report["offices"]:
        row(
            "",
            r["office"],
            r["name"],
            r["answered"],
            r["answer_median"],
            r["answer_p90"],
            r["decided"],
            r["decision_median"],
        )
    row()
    row("most adopted", "reference", "title", "office", "status", "adopted_by")
    for r in report["most_adopted"]:
        row("", r["reference"], r["title"], r["office"], r["status"], r["adopted_by"])
    return out.getvalue().encode("utf-8-sig")
