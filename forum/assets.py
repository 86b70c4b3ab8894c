"""Static files that a browser keeps for a year: each URL carries its file's content hash.

`asset(filename)` in templates gives `/static/<filename>?v=<hash>`; a changed file gets a new URL, so
the old one may be cached forever (`immutable`), and a repeat visit requests no static file at all.
Vendored files (static/vendor/, referenced from CSS by relative URLs) get the same headers: a new
upstream version comes in under a new file name. Responses compress with gzip or Brotli (Flask-Compress).
"""

import hashlib
from pathlib import Path

from flask import Flask, has_request_context, request, url_for
from flask.sessions import SessionInterface

from forum.extensions import compress

IMMUTABLE = "public, max-age=31536000, immutable"
_TEXT = {"text/css", "text/javascript", "application/javascript", "image/svg+xml", "application/json"}


def install(app: Flask) -> None:
    """Register `asset()` for templates and the year-long cache headers for fingerprinted static files."""
    hashes: dict[str, str] = {}
    folder = Path(app.static_folder)

    def fingerprint(filename: str) -> str:
        digest = hashes.get(filename)
        if digest is None:
            digest = hashes[filename] = hashlib.sha256((folder / filename).read_bytes()).hexdigest()[:12]
        return digest

    urls: dict[tuple[str, str], str] = {}

    def asset(filename: str) -> str:
        # A page links a dozen assets; each URL depends only on the file and the script root, so it is
        # built once per process (bounded: script roots come from the deployment, but never trust a header).
        if not has_request_context():
            return url_for("static", filename=filename, v=fingerprint(filename))
        key = (request.script_root, filename)
        url = urls.get(key)
        if url is None:
            if len(urls) >= 1024:
                urls.clear()
            url = urls[key] = url_for("static", filename=filename, v=fingerprint(filename))
        return url

    app.jinja_env.globals["asset"] = asset
    compress.init_app(app)
    app.session_interface = _static_skips_session(app.session_interface)

    @app.after_request
    def static_cache(response):
        if request.endpoint == "static" and response.status_code == 200:
            filename = request.view_args.get("filename", "") if request.view_args else ""
            if request.args.get("v") or filename.startswith("vendor/"):
                response.headers["Cache-Control"] = IMMUTABLE
                response.headers.pop("Expires", None)
            if response.mimetype in _TEXT:
                # Read the (small) file so Flask-Compress compresses it whole, with gzip too: it leaves
                # passthrough responses alone and streams with br/deflate only, which Chromium over plain
                # HTTP does not ask for. This hook runs before Flask-Compress's (registered earlier).
                response.direct_passthrough = False
                response.set_data(response.get_data())
            # The file is the same for everyone: no per-cookie variants in shared caches.
            vary = [v.strip() for v in response.headers.get("Vary", "").split(",") if v.strip()]
            vary = [v for v in vary if v.lower() != "cookie"]
            if vary:
                response.headers["Vary"] = ", ".join(vary)
            else:
                response.headers.pop("Vary", None)
        return response


def _static_skips_session(interface: SessionInterface) -> SessionInterface:
    """The same session interface, except that a static file never saves the session (nor adds Vary: Cookie)."""

    class StaticSkipsSession(type(interface)):
        def save_session(self, app: Flask, session, response) -> None:  # noqa: ANN001
            if request.endpoint == "static":
                return
            super().save_session(app, session, response)

    wrapped = StaticSkipsSession.__new__(StaticSkipsSession)
    wrapped.__dict__.update(interface.__dict__)
    return wrapped
