"""Markdown to safe HTML: rendered once on write, sanitised after rendering."""

from html import escape

import nh3
from markdown_it import MarkdownIt

# Raw HTML in the source is escaped by the parser; nh3 then cleans what Markdown made.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)


def _is_local(src: str) -> bool:
    return src.startswith("/") and not src.startswith("//") and "\\" not in src


def _image(self, tokens, idx, options, env) -> str:
    """An image from this site stays an image; one from elsewhere becomes a link to it.

    The content security policy loads images from this site only: a remote image
    would be broken, and fetching it would tell its host who read the post and when.
    """
    token = tokens[idx]
    src = str(token.attrs.get("src") or "")
    if _is_local(src):
        return self.image(tokens, idx, options, env)
    alt = self.renderInlineAsText(token.children or [], options, env) or src
    return f'<a href="{escape(src)}">{escape(alt)}</a>'


_markdown.add_render_rule("image", _image)

_ALLOWED_TAGS = {
    "a",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}}


def render_markdown(source: str) -> str:
    """Render user Markdown to HTML with no script, event handler or javascript: URL."""
    html = _markdown.render(source)
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )


# Tokens whose text a reader sees; the rest (markers, tags, URLs) is Markdown syntax.
_TEXT_TOKENS = {"text", "code_inline"}
_BLOCK_TEXT_TOKENS = {"code_block", "fence"}


def markdown_text(source: str) -> str:
    """The words a reader sees in rendered Markdown, as one line of plain text (for snippets and previews).

    Walks the parser's tokens rather than stripping tags from HTML, so no `**`, `##` or list marker survives
    and nothing needs unescaping; an image keeps its alt text.
    """
    parts: list[str] = []
    for token in _markdown.parse(source or ""):
        if token.type in _BLOCK_TEXT_TOKENS:
            parts.append(token.content)
        for child in token.children or ():
            if child.type in _TEXT_TOKENS:
                parts.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                parts.append(" ")
        if token.type.endswith("_close") and token.block:
            parts.append(" ")
    return " ".join("".join(parts).split())
