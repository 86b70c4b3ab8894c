"""Jinja set-up: the page language, and cheaper template _() and url_for() (a page calls each dozens of times)."""

from collections.abc import Callable
from typing import Any

from flask import Flask, g, has_request_context, request, session
from flask_babel import get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup

from forum.auth import current_viewer
from forum.limits import LANGUAGES


def install(app: Flask) -> None:
    """Replace the template globals _, gettext, ngettext and url_for with the per-request versions below."""
    _install_gettext(app)
    _install_page_context(app)
    _install_per_language(app)
    _install_url_for(app)
    app.jinja_env.globals["hole"] = _hole


def _hole(name: str, value: Any) -> Any:
    """Templates' hole(name, value): a per-viewer value in a page whose frame is cached for many viewers.

    Rendered normally, it is the value itself. The idea page renders its frame once for all viewers of the
    same kind (forum/ideas/cache.py page), with a `hole` that leaves a marker instead, and puts each viewer's
    own value (escaped as Jinja would) in its place per request. Anything a page shows that belongs to the
    viewer (name, id, CSRF token, counts) goes through hole().
    """
    return value


def select_locale() -> str:
    """The page language: ?lang=, then the session's choice, the user's profile, the browser."""
    if "lang" in request.args and request.args["lang"] in LANGUAGES:
        return request.args["lang"]
    if session.get("lang") in LANGUAGES:
        return session["lang"]
    if current_user and current_user.is_authenticated and current_user.locale:
        return current_user.locale
    return request.accept_languages.best_match(LANGUAGES) or "en"


def _request_translations():
    """Flask-Babel's translations for the request's locale, looked up once per request rather than per string.

    Flask-Babel resolves the catalog again for every string a template translates (a page has dozens).
    The memo lives in `g` beside the locale object it was made for: get_locale() is cached per request by
    Flask-Babel itself, and flask_babel.refresh() or force_locale() give a new locale object, so a changed
    locale never reads a stale catalog.
    """
    locale = get_locale()
    memo = g.get("forum_translations")
    if memo is not None and memo[0] is locale:
        return memo[1]
    translations = get_translations()
    if locale is not None:
        g.forum_translations = (locale, translations)
    return translations


def _install_gettext(app: Flask) -> None:
    """Templates' _(), gettext() and ngettext(): Jinja's newstyle i18n semantics in one call, per-request catalog.

    Jinja's i18n extension routes each _() through three wrappers and Flask-Babel then resolves the catalog
    again; a page translates dozens of strings. Same output: translate, Markup when autoescaping, then
    %-format with the keyword arguments (num defaults to n for ngettext).
    """
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _request_translations().ugettext(s),
        ngettext=lambda s, p, n: _request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _request_translations().unpgettext(c, s, p, n),
    )

    gettext, ngettext = _template_callables(_request_translations)
    app.jinja_env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext)


def _template_callables(catalog: Callable[[], Any]) -> tuple[Callable, Callable]:
    """Templates' gettext and ngettext over the catalog `catalog()` returns."""

    @pass_eval_context
    def gettext(eval_ctx, string: str, /, **variables: Any) -> str:
        rv = catalog().ugettext(string)
        if eval_ctx.autoescape:
            # Safe: our translation catalogue; variables are escaped by %.
            rv = Markup(rv)  # nosec B704
        # Formatting with nothing to format changes nothing, and Markup's % costs more than the lookup.
        return rv % variables if variables or "%" in rv else rv

    @pass_eval_context
    def ngettext(eval_ctx, singular: str, plural: str, num: int, /, **variables: Any) -> str:
        variables.setdefault("num", num)
        rv = catalog().ungettext(singular, plural, num)
        if eval_ctx.autoescape:
            # Safe: our translation catalogue; variables are escaped by %.
            rv = Markup(rv)  # nosec B704
        return rv % variables

    return gettext, ngettext


def _install_page_context(app: Flask) -> None:
    """What a page's templates read dozens of times, looked up once per rendering.

    `viewer` is current_user's own object (forum/auth.py current_viewer). `_`, `gettext` and `ngettext`
    are bound to the catalog of the locale in force when the rendering starts (Flask-Babel's
    get_translations(), which caches catalogs per locale), so a string costs a dict lookup rather than a
    locale resolution; they shadow the globals above for the page and its includes (macros imported
    without context keep the globals, which give the same text).
    """

    @app.context_processor
    def page_context() -> dict:
        if not has_request_context():
            return {}
        translations = get_translations()
        gettext, ngettext = _template_callables(lambda: translations)
        return {"viewer": current_viewer(), "_": gettext, "gettext": gettext, "ngettext": ngettext}


def _install_per_language(app: Flask) -> None:
    """Templates' per_language(name): a macro of _ui_strings.html, rendered once per language and process.

    Those macros hold nothing but translated strings (the scripts' JSON), the same on every page of a
    language: two dozen lookups and a JSON encoding per page for nothing. While templates reload (debug),
    they are rendered every time so that edits show.
    """
    rendered: dict[tuple[str, str], Markup] = {}

    def per_language(name: str) -> Markup:
        key = (str(get_locale()), name)
        html = rendered.get(key)
        if html is None:
            macro = getattr(app.jinja_env.get_template("_ui_strings.html").module, name)
            # Safe: an autoescaped macro's output.
            html = Markup(macro())  # nosec B704
            if not app.jinja_env.auto_reload:
                rendered[key] = html
        return html

    app.jinja_env.globals["per_language"] = per_language


def _install_url_for(app: Flask) -> None:
    """Templates' url_for(), remembering the URLs of the few shapes every page repeats.

    A page builds a dozen or more URLs (the nav bar's, the static files', the idea's actions, a tag
    link per idea row); werkzeug builds each one anew. Calls whose values are all ints or short strings
    are kept per script root in a bounded dict, so a URL is usually built once per process;
    anything else (long values, _external/_anchor, blueprint-relative names) is built as usual. There
    are no url_defaults functions in this app; if one is ever added, nothing is cached.
    """
    build = app.url_for
    cache: dict[tuple, str] = {}

    def url_for(endpoint: str, /, **values: Any) -> str:
        if (
            not has_request_context()
            or endpoint[:1] == "."
            or any(app.url_default_functions.values())
            or app.url_map.host_matching  # then (and with subdomains) a URL depends on the host too
            or app.subdomain_matching
        ):
            return build(endpoint, **values)
        for name, value in values.items():
            kind = type(value)
            if name[:1] == "_" or not (kind is int or (kind is str and len(value) <= 100)):
                return build(endpoint, **values)
        key = (request.script_root, endpoint, *values.items())
        url = cache.get(key)
        if url is None:
            url = build(endpoint, **values)
            if len(cache) >= 4096:  # bounded: ids are many
                cache.clear()
            cache[key] = url
        return url

    app.jinja_env.globals["url_for"] = url_for
