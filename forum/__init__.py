"""PSI Forum: an innovation forum for civil servants."""

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask import Flask, g
from flask_babel import get_locale
from flask_login import current_user

from forum import assets, labels, limits, localtime, templating
from forum.config import Config
from forum.extensions import babel, csrf, db, limiter, login_manager, migrate, socketio
from forum.live.queue import queue_options
from forum.security import headers, inputs, requestlog, secret, sessions


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application; `config` overrides settings (tests pass a temp database)."""
    app = Flask(__name__, template_folder="../templates", static_folder="../static", instance_relative_config=True)
    app.config.from_object(Config)
    if config:
        app.config.from_mapping(config)
    secret.configure_secret_key(app)
    _configure_production(app)
    inputs.init_inputs(app)
    if app.config["PROXY_FIX_X_FOR"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_FIX_X_FOR"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    _configure_sqlite(app)

    db.init_app(app)
    from forum.models import render_migration_item

    migrate.init_app(
        app, db, directory=str(app.root_path + "/../migrations"), render_item=render_migration_item, compare_type=True
    )
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=templating.select_locale, default_translation_directories="../translations")
    templating.install(app)
    assets.install(app)
    labels.install(app)
    app.jinja_env.globals["limits"] = limits  # hand-written inputs read their maxlength from forum/limits.py
    localtime.install(app)
    sessions.init_sessions(app)
    requestlog.init_request_log(app)

    from forum import cli, effects, errors
    from forum.accounts import views as accounts
    from forum.admin import views as admin
    from forum.api import auth as _api_auth  # noqa: F401  (registers routes on api_bp)
    from forum.api import bp as api_bp
    from forum.api import errors as _api_errors  # noqa: F401
    from forum.api import followup as _api_followup  # noqa: F401
    from forum.api import ideas as _api_ideas  # noqa: F401
    from forum.api import impact as _api_impact  # noqa: F401
    from forum.api import lifecycle as _api_lifecycle  # noqa: F401
    from forum.api import mail as _api_mail  # noqa: F401
    from forum.api import saved_searches as _api_saved_searches  # noqa: F401
    from forum.api import search as _api_search  # noqa: F401
    from forum.api import similar as _api_similar  # noqa: F401
    from forum.api import users as _api_users  # noqa: F401
    from forum.followup import views as followup
    from forum.health import views as health
    from forum.ideas import views as ideas
    from forum.impact import views as impact
    from forum.lifecycle import views as lifecycle
    from forum.live import events as _live_events  # noqa: F401  (before socketio.init_app)
    from forum.mail import sender as mail_sender
    from forum.mail import views as mail
    from forum.mentions import views as mentions
    from forum.notifications import views as notifications
    from forum.search import views as search

    effects.init_effects()
    from forum.search import outbox as search_outbox
    from forum.search import saved as search_saved
    from forum.search import worker as search_worker

    search_outbox.install()  # search work (documents or outbox rows) written in the committing transaction
    search_saved.install()  # new posts matched against saved searches after their commit
    search_worker.init_app(app)  # the first request starts the indexer, which first heals what a crash left
    mail_sender.init_app(app)  # the first request starts the sender, which first sends what an outage left
    errors.register_error_pages(app)
    blueprints = (accounts.bp, admin.bp, ideas.bp, notifications.bp, search.bp, followup.bp, api_bp, cli.bp)
    blueprints += (mail.bp, mentions.bp)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    app.register_blueprint(health.bp)
    app.register_blueprint(lifecycle.bp)
    app.register_blueprint(impact.bp)
    # The API authenticates with bearer tokens, never the cookie, so CSRF does not apply.
    csrf.exempt(api_bp)

    @app.context_processor
    def inject_globals() -> dict:
        from forum.notifications.service import unread_count

        # A view that already counted them (the idea page, in its one query) leaves the count in `g`.
        unread = g.get("unread_notifications")
        if unread is None:
            unread = unread_count(current_user) if current_user.is_authenticated else 0
        return {"unread_notifications": unread, "url_rules": app.view_functions, "get_locale": get_locale}

    # One SocketIO object serves every app made in this process (tests make many), and it keeps the
    # previous app's queue manager in its options: drop it, so each app gets the queue its config names.
    socketio.server_options.pop("client_manager", None)
    socketio.init_app(
        app,
        **queue_options(app.config["SOCKETIO_MESSAGE_QUEUE"]),
        async_mode=app.config["SOCKETIO_ASYNC_MODE"] or _default_async_mode(),
        cors_allowed_origins=app.config["SOCKETIO_CORS_ALLOWED_ORIGINS"] or None,
    )
    # Around Socket.IO's middleware too: its polling answers never pass through after_request.
    app.wsgi_app = headers.SecurityHeaders(app.wsgi_app, hsts=app.config["FORUM_ENV"] == "production")
    # The follow-up scan every FOLLOWUP_SCAN_INTERVAL seconds (0 = off; off in tests and CLI commands).
    from forum.followup.scheduler import start_scheduler

    start_scheduler(app)
    from forum.mail.scheduler import start_digest_schedule

    start_digest_schedule(app)
    return app


def _configure_production(app: Flask) -> None:
    """Production serves over TLS only: cookies never travel in clear (HSTS is added with the headers)."""
    if app.config["FORUM_ENV"] == "production":
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True


def _configure_sqlite(app: Flask) -> None:
    """SQLite: WAL, a busy timeout, and BEGIN IMMEDIATE for every transaction.

    Deferred transactions that read then write fail with "database is locked"
    under concurrency; taking the write lock at BEGIN avoids it (PITFALLS.md).
    """
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if not uri.startswith("sqlite"):
        return
    if uri.startswith("sqlite:///") and uri != "sqlite:///:memory:":
        from pathlib import Path

        Path(uri[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options.setdefault("connect_args", {}).update({"timeout": 30, "isolation_level": None, "check_same_thread": False})
    # Under a burst of posts (gevent: many requests at once) the default pool of 5 (+10 overflow, closed on
    # return) opened and closed a connection per request, with its PRAGMAs: 17% of the server's CPU in
    # bench/live.py's posting phase. An open SQLite connection is only a file handle: keep enough.
    if uri != "sqlite:///:memory:" and "poolclass" not in options:  # (in memory: one connection per thread)
        options.setdefault("pool_size", 20)
        options.setdefault("max_overflow", 40)
        # The most recently returned connection first: SQLite drops a connection's page cache whenever another
        # connection has written since its last transaction, so cycling through the pool (FIFO) read every
        # request's pages afresh.
        options.setdefault("pool_use_lifo", True)
    # A local file cannot drop a connection the way a database server can: no SELECT 1 before each use.
    options["pool_pre_ping"] = False
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options

    if getattr(_configure_sqlite, "hooked", False):
        return

    @sa.event.listens_for(sa.engine.Engine, "connect")
    def _on_connect(dbapi_connection, connection_record):
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    @sa.event.listens_for(sa.engine.Engine, "begin")
    def _on_begin(connection):
        if connection.dialect.name == "sqlite":
            # Straight to the driver: SQLAlchemy's statement machinery costs more than the BEGIN itself,
            # on every request that touches the database.
            connection.connection.driver_connection.execute("BEGIN IMMEDIATE")

    _configure_sqlite.hooked = True


def _default_async_mode() -> str:
    """gevent when gunicorn's gevent worker has patched the process, else threading."""
    try:
        from gevent import monkey

        if monkey.is_module_patched("socket"):
            return "gevent"
    except ImportError:
        pass
    return "threading"
