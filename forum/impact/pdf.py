"""The impact report as PDF through WeasyPrint, with the vendored Bengali font embedded.

WeasyPrint needs Pango from the system (Debian libpango-1.0-0 and libpangoft2-1.0-0): it is imported
on first use, so the rest of the application runs (and its tests pass) on a machine without them.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app


class PdfUnavailable(RuntimeError):
    """WeasyPrint or the system libraries it needs are missing."""


def bengali_font_uri() -> str:
    """file:// URI of the vendored Noto Sans Bengali, for the PDF's @font-face."""
    folder = Path(current_app.static_folder) / "vendor" / "noto-sans-bengali"
    return next(folder.glob("*.woff2")).resolve().as_uri()


def render_pdf(html: str) -> bytes:
    """HTML (with inline SVG charts) to PDF bytes; resources resolve against static/."""
    try:
        from weasyprint import HTML
    except OSError as exc:  # the Python package is there but Pango is not
        raise PdfUnavailable(str(exc)) from exc
    return HTML(string=html, base_url=str(Path(current_app.static_folder).resolve())).write_pdf()
