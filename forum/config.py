"""Configuration: every setting of SPEC section 3, read once from the environment."""

import os
from pathlib import Path

from forum.limits import LANGUAGES

BASE_DIR = Path(__file__).resolve().parent.parent


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'instance' / 'forum.db'}"
    # psycopg 3 is the installed driver; accept the plain postgresql:// form operators write.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    """Defaults for development; production overrides them through the environment."""

    FORUM_ENV = os.environ.get("FORUM_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SEARCH_INDEX_DIR = os.environ.get("SEARCH_INDEX_DIR") or str(BASE_DIR / "search_index")
    # "whoosh" (embedded, one host) or "postgres" (full-text search in the PostgreSQL database).
    SEARCH_BACKEND = (os.environ.get("SEARCH_BACKEND") or "whoosh").strip().lower()
    # True: index inline after each commit (tests); False: a background indexer per process.
    SEARCH_SYNC = _flag("SEARCH_SYNC", False)
    # Seconds the indexer waits for another process's index lock, and between outbox polls.
    SEARCH_WRITER_TIMEOUT = float(os.environ.get("SEARCH_WRITER_TIMEOUT") or 30)
    SEARCH_POLL_SECONDS = float(os.environ.get("SEARCH_POLL_SECONDS") or 10)
    # Under a burst of posts the indexer drains at most once per this many seconds, start to start, so the
    # burst is one Whoosh commit a period. A post saved just after a drain read the outbox is searchable
    # within the period plus the next drain: SPEC's "within one second" leaves a quarter for that drain.
    SEARCH_DRAIN_INTERVAL = float(os.environ.get("SEARCH_DRAIN_INTERVAL") or 0.75)
    SOCKETIO_MESSAGE_QUEUE = os.environ.get("SOCKETIO_MESSAGE_QUEUE") or None
    # "gevent" under gunicorn's gevent worker, "threading" elsewhere (dev server, tests).
    SOCKETIO_ASYNC_MODE = os.environ.get("SOCKETIO_ASYNC_MODE") or None
    # Same-origin only by default; a comma-separated list adds trusted origins.
    SOCKETIO_CORS_ALLOWED_ORIGINS = [
        o.strip() for o in (os.environ.get("SOCKETIO_CORS_ALLOWED_ORIGINS") or "").split(",") if o.strip()
    ]
    RATELIMIT_ENABLED = _flag("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Redis (the shared limit storage) down: count in this process's memory meanwhile, rather than refuse
    # every limited request with an error (bench/fault.py); Flask-Limiter returns to Redis once it answers.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    FOLLOWUP_RESPONSE_DAYS = int(os.environ.get("FOLLOWUP_RESPONSE_DAYS") or 7)
    FOLLOWUP_ESCALATE_DAYS = int(os.environ.get("FOLLOWUP_ESCALATE_DAYS") or 7)
    FOLLOWUP_WEEKEND = os.environ.get("FOLLOWUP_WEEKEND") or "fri,sat"
    # The decision clock: working days after an idea's first answer before it is flagged "stalled" if it is
    # still open or under review.
    FOLLOWUP_DECISION_DAYS = int(os.environ.get("FOLLOWUP_DECISION_DAYS") or 20)
    # Seconds between in-app follow-up scans; 0 turns the scheduler off.
    FOLLOWUP_SCAN_INTERVAL = int(os.environ.get("FOLLOWUP_SCAN_INTERVAL") or 900)
    # Working days, deadlines and holidays are local dates in this zone.
    FOLLOWUP_TIMEZONE = os.environ.get("FOLLOWUP_TIMEZONE") or "Asia/Dhaka"
    # "responsible": only a senior of the responsible office (or above, or of the office a flag was
    # reassigned to) stops the clock; "any": any senior's reply does.
    FOLLOWUP_ANSWER_SCOPE = os.environ.get("FOLLOWUP_ANSWER_SCOPE") or "responsible"
    # Outgoing mail. No MAIL_SERVER: each email is written to the log instead of sent.
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT") or 25)
    MAIL_USE_TLS = _flag("MAIL_USE_TLS", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_FROM = os.environ.get("MAIL_FROM") or "PSI Forum <no-reply@psi-forum.invalid>"
    # Seconds an SMTP conversation may take before it counts as a failed attempt.
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT") or 30)
    # True: deliver inline right after the commit (tests); False: a background sender per process.
    MAIL_SYNC = _flag("MAIL_SYNC", False)
    # Seconds an immediate email about a post (reply, mention, official response) waits before it is sent:
    # later ones on the same idea join it in one email, and it is dropped if read on the site meanwhile.
    MAIL_NOTIFY_DELAY_SECONDS = float(os.environ.get("MAIL_NOTIFY_DELAY_SECONDS") or 120)
    # Seconds between the sender's polls of the outbox (it is also woken after each commit that wrote one).
    MAIL_POLL_SECONDS = float(os.environ.get("MAIL_POLL_SECONDS") or 30)
    # Seconds before the first retry of a failed send; each further failure doubles it (at most an hour).
    MAIL_RETRY_SECONDS = float(os.environ.get("MAIL_RETRY_SECONDS") or 60)
    # Seconds between ticks of the digest schedule (0: off); the weekly digest goes out on this local day.
    MAIL_DIGEST_INTERVAL = int(os.environ.get("MAIL_DIGEST_INTERVAL") or 3600)
    MAIL_DIGEST_WEEKDAY = os.environ.get("MAIL_DIGEST_WEEKDAY") or "sun"
    # The address links in emails point to (emails are often written outside any request).
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL") or "http://localhost:5000"
    # Seconds the staff report is kept per process (0: computed on every view).
    FOLLOWUP_REPORT_CACHE_SECONDS = int(os.environ.get("FOLLOWUP_REPORT_CACHE_SECONDS") or 60)
    # The idea pages' caches in each process (forum/ideas/cache.py): rendered threads and panels, and the
    # page frames (one per idea and kind of viewer; False renders every page in full). Entries live at most
    # THREAD_CACHE_TTL seconds; every change bumps a version in their keys, so the time-to-live only bounds
    # memory, never staleness.
    THREAD_CACHE_SIZE = int(os.environ.get("THREAD_CACHE_SIZE") or 256)
    THREAD_CACHE_TTL = float(os.environ.get("THREAD_CACHE_TTL") or 60)
    PAGE_FRAME_CACHE = _flag("PAGE_FRAME_CACHE", True)
    PAGE_FRAME_CACHE_SIZE = int(os.environ.get("PAGE_FRAME_CACHE_SIZE") or 1024)
    # Proxies in front of the app whose X-Forwarded-* headers are trusted (0: none).
    PROXY_FIX_X_FOR = int(os.environ.get("PROXY_FIX_X_FOR") or 0)
    # A request over 1 MB is refused with 413 (SPEC section 3).
    MAX_CONTENT_LENGTH = 1024 * 1024
    IDEAS_PER_PAGE = 20
    BABEL_DEFAULT_LOCALE = "en"
    LANGUAGES = LANGUAGES  # forum/limits.py
    WTF_CSRF_TIME_LIMIT = None
    # WTForms ships no Bangla messages, and its i18n lookup re-reads catalogs on every form.
    WTF_I18N_ENABLED = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Production (FORUM_ENV=production) forces Secure cookies and HSTS; see forum.security.configure_production.
    SESSION_COOKIE_SECURE = _flag("SESSION_COOKIE_SECURE", False)
    # A browser session ends after this long without a request, and this long after signing in, whatever happens.
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES") or 120)
    SESSION_MAX_HOURS = int(os.environ.get("SESSION_MAX_HOURS") or 12)
    # API tokens expire this many days after they were issued.
    API_TOKEN_DAYS = float(os.environ.get("API_TOKEN_DAYS") or 90)
    # How long an emailed "choose a new password" link works.
    PASSWORD_RESET_HOURS = float(os.environ.get("PASSWORD_RESET_HOURS") or 2)
    # Failed sign-ins per account (whatever the IP) and password changes per user, in Flask-Limiter's notation.
    LOGIN_FAILURES_PER_ACCOUNT = os.environ.get("LOGIN_FAILURES_PER_ACCOUNT") or "10 per 15 minutes"
    PASSWORD_CHANGES_PER_USER = os.environ.get("PASSWORD_CHANGES_PER_USER") or "5 per hour"
    # One JSON line per request on the `forum.requests` logger (stderr by default).
    REQUEST_LOG = _flag("REQUEST_LOG", True)
    TESTING = False
