"""A bounded in-process cache of the rendered parts of an idea page that every viewer shares.

The thread fragment (the contents of `<ol id="comments">`) is the costly part of the idea page: one
query for the comments and their authors, then a Jinja include per comment. It is the same for every
viewer except the Edit/Delete controls, so it is cached without them and the controls are spliced in
per request (with the viewer's own CSRF token) at markers the template leaves. The idea's head (its
reference, category, author, tags and body: four lazy loads) is cached beside it.

The key is (idea id, idea version, locale, script root). Every service change to an idea or its
comments bumps `Idea.version` in the same transaction, and each request reads the version from the
database, so an entry made by one process is never served once the thread has changed, in any
process: a changed thread is simply a new key, and old keys age out of the LRU. A short TTL bounds
what the version does not cover: an author renaming themselves, and two concurrent writers on
PostgreSQL both writing the same `version + 1` from Python.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app, g, request
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from forum.ideas import versions
from forum.localtime import bangla_digits, viewer_zone
from forum.models import Idea, User


class LRUCache:
    """A thread-safe (and gevent-safe, once patched) LRU with a time-to-live per entry."""

    def __init__(self, maxsize: int, ttl: float):
        """At most maxsize entries (least recently used out first), each for at most ttl seconds; the app's sizes
        and time-to-live are THREAD_CACHE_SIZE, PAGE_FRAME_CACHE_SIZE and THREAD_CACHE_TTL (config.py)."""
        self.maxsize, self.ttl = maxsize, ttl
        self._data: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> Any | None:
        """The value for `key`, or None when absent or expired."""
        now = time.monotonic()
        with self._lock:
            entry = self._data.get(key)
            if entry is None or entry[0] <= now:
                if entry is not None:
                    del self._data[key]
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return entry[1]

    def set(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._data[key] = (time.monotonic() + self.ttl, value)
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


# Where the template leaves room for a comment's per-viewer controls. The nonce keeps the marker
# unguessable, although user HTML cannot carry comments anyway (nh3 strips them).
_MARK = f"viewer-{secrets.token_hex(6)}"
_MARK_RE = re.compile(rf"<!--{_MARK}:(\d+):(\d+)-->")


@dataclass(frozen=True)
class ThreadFragment:
    """A rendered thread: `plain` for viewers with no controls, `parts` to splice controls into."""

    plain: str
    # text, comment id, author id, text, comment id, author id, ..., text
    parts: tuple[str | int, ...]
    authors: frozenset[int]
    # Per comment id: the author's controls and an admin's, each split around the CSRF token.
    own_controls: dict[int, tuple[str, str]]
    admin_controls: dict[int, tuple[str, str]]

    def for_viewer(self, user: User) -> Markup:
        """The thread as `user` sees it: Edit on their own comments, Delete on theirs (on all for admins)."""
        user_id, admin = user.id, user.is_admin
        if not admin and user_id not in self.authors:
            # Safe: output of an autoescaped template.
            return Markup(self.plain)  # nosec B704
        token = generate_csrf()
        out: list[str] = []
        parts = self.parts
        for i in range(0, len(parts) - 1, 3):
            out.append(parts[i])
            comment_id = parts[i + 1]
            if parts[i + 2] == user_id:
                out.extend((self.own_controls[comment_id][0], token, self.own_controls[comment_id][1]))
            elif admin:
                out.extend((self.admin_controls[comment_id][0], token, self.admin_controls[comment_id][1]))
        out.append(parts[-1])
        # Safe: autoescaped template output and our CSRF token.
        return Markup("".join(out))  # nosec B704


# Stands where the viewer's CSRF token goes while the controls are rendered once per comment.
_TOKEN = f"csrf-{secrets.token_hex(8)}"


def _controls(comment_ids: list[int]) -> tuple[dict[int, tuple[str, str]], dict[int, tuple[str, str]]]:
    """Edit and Delete markup for each comment (the macro beside _comment.html), split where the token goes."""
    macro = current_app.jinja_env.get_template("ideas/_comment_controls.html").module.controls
    own, admin = {}, {}
    for comment_id in comment_ids:
        own[comment_id] = tuple(str(macro(comment_id, True, _TOKEN)).split(_TOKEN))
        admin[comment_id] = tuple(str(macro(comment_id, False, _TOKEN)).split(_TOKEN))
    return own, admin


def _app_cache(name: str, size: int) -> LRUCache:
    """The app's LRU cache `name`, made on first use with `size` entries and THREAD_CACHE_TTL.

    One cache per app: tests build many apps whose fresh databases reuse ids and versions.
    """
    cache = current_app.extensions.get(name)
    if cache is None:
        ttl = current_app.config["THREAD_CACHE_TTL"]
        cache = current_app.extensions.setdefault(name, LRUCache(size, ttl))
    return cache


def _cache() -> LRUCache:
    return _app_cache("thread_cache", current_app.config["THREAD_CACHE_SIZE"])


@dataclass(frozen=True)
class RenderedIdea:
    """The viewer-independent parts of an idea page: the idea's head and its thread."""

    head: Markup
    thread: ThreadFragment


def _reader() -> tuple[str, str, bool]:
    """What the cached HTML is written for: the language, the time zone and the digits of the reader.

    Worked out once per request (a page reads several caches), beside the locale object it was made for:
    flask_babel.refresh() or force_locale() give a new one, so a changed language is never missed.
    """
    locale = get_locale()
    memo = g.get("forum_reader")
    if memo is not None and memo[0] is locale:
        return memo[1]
    reader = (str(locale), viewer_zone().key, bangla_digits())
    g.forum_reader = (locale, reader)
    return reader


def _cached(key: Hashable, make: Callable[[], Any]) -> Any:
    """The cached value for `key`, made (and kept) on a miss."""
    cache = _cache()
    value = cache.get(key)
    if value is None:
        value = make()
        cache.set(key, value)
    return value


def rendered(idea: Idea) -> RenderedIdea:
    """The idea's shared HTML, from the cache when the idea has not changed since it was rendered."""
    key = (idea.id, idea.version, *_reader(), request.script_root)
    return _cached(key, lambda: RenderedIdea(head=_render_head(idea), thread=_render_thread(idea)))


@dataclass(frozen=True)
class WaitingPanel:
    """The follow-up panel as every viewer sees it, and the flag staff get a link to."""

    html: Markup
    flag_id: int | None


def waiting_panel(idea: Idea, depends_on: Hashable, state: Callable[[], dict | None]) -> WaitingPanel:
    """The idea page's follow-up panel, rendered only when what it shows may have changed.

    `depends_on` is what the panel reads besides the idea: its flag's state (the scan and staff change it
    in other processes) and the directory's version (offices, people, holidays), both read from the
    database on every view. `state` (forum/followup/waiting.py waiting_on) runs only on a miss.
    """

    def render() -> WaitingPanel:
        waiting = state()
        template = current_app.jinja_env.get_template("ideas/_waiting.html")
        flag = waiting["flag"] if waiting else None
        # Safe: an autoescaped template.
        html = Markup(template.render(idea=idea, waiting=waiting))  # nosec B704
        return WaitingPanel(html=html, flag_id=flag.id if flag is not None else None)

    return _cached(("waiting", idea.id, idea.version, depends_on, *_reader(), request.script_root), render)


@dataclass(frozen=True)
class LifecyclePanel:
    """The lifecycle panel as every viewer sees it, cut where an adoption's update form may go."""

    # (html, adoption id) ..., (html, None): the form for that adoption goes after its html.
    parts: tuple[tuple[Markup, int | None], ...]
    # (adoption id, office id) of each adoption: who may update which is decided per viewer.
    adoptions: tuple[tuple[int, int], ...]
    # The whole section (ideas/_lifecycle.html) for a viewer who may use none of its forms: most viewers.
    plain: Markup = Markup()


def _adoption_slot(adoption_id: int) -> Markup:
    # Safe: our marker around an int.
    return Markup(f"<!--{_MARK}:adoption:{int(adoption_id)}-->")  # nosec B704


_SLOT_RE = re.compile(rf"<!--{_MARK}:adoption:(\d+)-->")


def lifecycle_section(
    shared: LifecyclePanel,
    status_form: Any = None,
    adopt_form: Any = None,
    adoption_form: Any = None,
    editable_adoptions: frozenset[int] = frozenset(),
) -> dict:
    """What templates/ideas/_lifecycle.html reads: the shared panel and the forms this viewer may use (None: none)."""
    return {
        "shared": shared,
        "status_form": status_form,
        "adopt_form": adopt_form,
        "adoption_form": adoption_form,
        "editable_adoptions": editable_adoptions,
    }


def lifecycle_panel(idea: Idea, directory: int, state: Callable[[], dict]) -> LifecyclePanel:
    """The idea page's lifecycle panel, rendered only when the idea or the directory has changed.

    Every move and adoption bumps the idea's version; office and people's names are in the directory's.
    `state` (forum/lifecycle/views.py shared_state) runs only on a miss.
    """

    def render() -> LifecyclePanel:
        shared = state()
        template = current_app.jinja_env.get_template("ideas/_lifecycle_shared.html")
        html = template.render(idea=idea, lifecycle=shared, adoption_form_slot=_adoption_slot)
        pieces = _SLOT_RE.split(html)
        # Safe: pieces of an autoescaped template's output.
        parts = [(Markup(pieces[i]), int(pieces[i + 1])) for i in range(0, len(pieces) - 1, 2)]  # nosec B704
        parts.append((Markup(pieces[-1]), None))  # nosec B704
        adoptions = tuple((a.id, a.office_id) for a in shared["adoptions"])
        panel = LifecyclePanel(parts=tuple(parts), adoptions=adoptions)
        # The section for a viewer with no forms, rendered once from the same template as a viewer's.
        section = current_app.jinja_env.get_template("ideas/_lifecycle.html")
        # Safe: an autoescaped template.
        plain = Markup(section.render(idea=idea, lifecycle=lifecycle_section(panel)))  # nosec B704
        return dataclasses.replace(panel, plain=plain)

    return _cached(("lifecycle", idea.id, idea.version, directory, *_reader(), request.script_root), render)


# Where a viewer's own value goes in a cached page frame (templates' hole(name, value), forum/templating.py).
_HOLE_RE = re.compile(rf"<!--{_MARK}:hole:(\w+)-->")


def _hole_marker(name: str, value: Any = None) -> Markup:
    """hole() while a frame is rendered: a marker in place of the value, whoever is rendering."""
    # Safe: our marker around a template's hole name (a word).
    return Markup(f"<!--{_MARK}:hole:{name}-->")  # nosec B704


@dataclass(frozen=True)
class PageFrame:
    """A page rendered for every viewer of one kind, with holes where each viewer's own values go."""

    # text, hole name, text, hole name, ..., text
    parts: tuple[str, ...]

    def fill(self, values: Mapping[str, Any]) -> str:
        """The page with `values` in its holes, escaped as Jinja's autoescape would (markup stays markup)."""
        out = list(self.parts)
        for i in range(1, len(out), 2):
            out[i] = escape(values[out[i]])
        return "".join(out)


def _frames() -> LRUCache:
    # Its own LRU: a page has a frame per kind of viewer, and they must not push the threads out.
    return _app_cache("page_frames", current_app.config["PAGE_FRAME_CACHE_SIZE"])


def page(
    key: Hashable,
    render: Callable[[Callable[[str, Any], Markup]], str],
    values: Mapping[str, Any],
    private: Iterable[str],
) -> str:
    """A whole page from its cached frame, with this viewer's `values` in its holes.

    `key` must hold everything the frame's markup depends on apart from the reader (language, zone, digits)
    and the script root, which are added here: the idea's version and what decides the page's structure for
    this viewer (role, author or not, endorsed, following...). `render(hole)` renders the page's template with
    `hole` as the templates' hole(); it runs only on a miss. A frame in which one of the `private` strings
    (the viewer's CSRF token, email) appears outside a hole is used for this request but never kept: some
    template printed a viewer's value without hole().
    """
    cache = _frames()
    full_key = ("page", *_reader(), request.script_root, key)
    frame = cache.get(full_key)
    if frame is None:
        frame = PageFrame(parts=tuple(_HOLE_RE.split(render(_hole_marker))))
        texts = frame.parts[0::2]
        if not any(secret and secret in text for secret in private for text in texts):
            cache.set(full_key, frame)
    return frame.fill(values)


def rendered_list(filters: Hashable, render: Callable[[], dict[str, Any]]) -> Markup:
    """The idea list's content for these filters (and page), rendered only when the list has changed.

    `render` returns the template's context; it runs (queries and all) only on a miss. The key holds the
    list's version (forum/ideas/versions.py, bumped after every change a row shows), so a change made by
    any process is seen at once; and the reader's language, time zone and digits, which the rows are written in.
    """

    def listing() -> Markup:
        template = current_app.jinja_env.get_template("ideas/_listing.html")
        # Safe: an autoescaped template.
        return Markup(template.render(render()))  # nosec B704

    return _cached(("list", versions.version(), *_reader(), request.script_root, filters), listing)


# The renderers work without the request's template context: no current_user, no CSRF token can leak in.


def _render_head(idea: Idea) -> Markup:
    template = current_app.jinja_env.get_template("ideas/show.html")
    blocks = template.blocks["idea_head"](template.new_context({"idea": idea}))
    # Safe: an autoescaped template block.
    return Markup("".join(blocks))  # nosec B704


def _render_thread(idea: Idea) -> ThreadFragment:
    from forum.ideas import service as ideas

    template = current_app.jinja_env.get_template("ideas/_comment.html")
    html = "".join(template.render(node=node, viewer_mark=_MARK) for node in ideas.nest(ideas.thread(idea)))
    pieces = _MARK_RE.split(html)
    parts: list[str | int] = [p if i % 3 == 0 else int(p) for i, p in enumerate(pieces)]
    own, admin = _controls(parts[1::3])
    return ThreadFragment(
        plain="".join(pieces[0::3]),
        parts=tuple(parts),
        authors=frozenset(parts[2::3]),
        own_controls=own,
        admin_controls=admin,
    )
