"""Security headers on every response, the Socket.IO transport's included.

They are added by a WSGI middleware around the whole app (Flask-SocketIO's
included), because Socket.IO's polling answers never pass through Flask's
after_request hooks.
"""

import re
from collections.abc import Callable, Iterable

# A Host header we are willing to repeat inside the policy; anything else falls back to 'self' alone.
_HOST_RE = re.compile(r"^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$")

_POLICY = (
    "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; font-src 'self'; "
    "connect-src {connect}; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def content_security_policy(host: str | None) -> str:
    """The policy: everything from this site only; sockets only to this host over ws/wss."""
    connect = "'self'"
    if host and _HOST_RE.match(host):
        # 'self' covers ws/wss of the same origin in CSP 3 browsers; older ones need the host spelled out.
        connect += f" ws://{host} wss://{host}"
    return _POLICY.format(connect=connect)


class SecurityHeaders:
    """WSGI middleware adding the security headers a response does not already set."""

    def __init__(self, wsgi_app: Callable, *, hsts: bool) -> None:
        self.wsgi_app = wsgi_app
        self.static = [
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "same-origin"),
            ("X-Frame-Options", "DENY"),
            ("Cross-Origin-Opener-Policy", "same-origin"),
            ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
        ]
        if hsts:
            self.static.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        csp = content_security_policy(environ.get("HTTP_HOST"))

        def start(status: str, headers: list[tuple[str, str]], exc_info=None):
            present = {name.lower() for name, _ in headers}
            for name, value in [("Content-Security-Policy", csp), *self.static]:
                if name.lower() not in present:
                    headers.append((name, value))
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)
