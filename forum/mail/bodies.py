"""A post's rendered HTML made fit for email: plain text for the text part, absolute links for the HTML part.

Posts are stored as Markdown and sanitised HTML. The Markdown shows mention markup (`@[Name](/users/12)`)
and link syntax as typed, so the text part is made from the HTML instead: a mention reads "@Name", a
link reads as its text (with its address after it when the text does not already say it). The HTML
part keeps the sanitised markup, with the site's relative links (profiles, ideas) made absolute, since
a mail reader has no page address to resolve them against.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin

from markupsafe import Markup, escape

# Elements that end a line of text (their content is a paragraph, a list item, a heading ...).
_BLOCKS = {"p", "div", "li", "ul", "ol", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table"}


class _Text(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base, self.parts, self.links = base, [], []

    def handle_starttag(self, tag, attrs):
        if tag in _BLOCKS or tag == "br":
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("* ")
        if tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.parts)))

    def handle_endtag(self, tag):
        if tag == "a" and self.links:
            href, start = self.links.pop()
            text = "".join(self.parts[start:]).strip()
            # A profile link (a mention) reads as its text alone; another link keeps its address.
            if href and "/users/" not in href and href not in text:
                self.parts.append(f" ({urljoin(self.base, href)})")
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        self.parts.append(data)


def plain_text(html: str, base: str) -> str:
    """The readable text of sanitised post HTML: mentions as "@Name", links as "text (address)"."""
    parser = _Text(base)
    parser.feed(html or "")
    parser.close()
    text = re.sub(r"[ \t]+\n", "\n", "".join(parser.parts))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


_HREF = re.compile(r'(<a\b[^>]*?\bhref=")(/[^"]*)(")', re.IGNORECASE)


def absolute_html(html: str, base: str) -> Markup:
    """Sanitised post HTML with its site-relative links (`/users/12`) made absolute under `base`."""
    # Safe: the input is the sanitiser's output; only the href values change, to escaped absolute URLs.
    return Markup(_HREF.sub(lambda m: m.group(1) + str(escape(urljoin(base, m.group(2)))) + m.group(3), html or ""))  # nosec B704
