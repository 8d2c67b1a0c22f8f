"""HTTP hardening for every response: security headers and cookie flags.

The policy allows scripts and styles from the shop's own origin only, so a page
that needs behaviour ships it as a static file; no inline script will run.

The headers are added by :class:`SecurityHeaders`, a WSGI middleware around the
whole app: they reach every response (static files and error pages included), a
view can still set its own value for one of them, and it costs a few list
operations per response instead of a header lookup each.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Buyer status links carry an unguessable token: never send the path to
    # another site (the payment page included).
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

# Large enough for any form of this shop; the notification endpoint has its own, smaller cap.
MAX_CONTENT_LENGTH = 1024 * 1024


class SecurityHeaders:
    """WSGI middleware: add :data:`HEADERS` to every response that does not set them."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.added = [(name.lower(), (name, value)) for name, value in HEADERS.items()]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            present = {name.lower() for name, _ in headers}
            headers.extend(header for name, header in self.added if name not in present)
            return start_response(status, headers, exc_info)

        return self.app(environ, start)


def init_app(app: Flask) -> None:
    app.wsgi_app = SecurityHeaders(app.wsgi_app)  # type: ignore[method-assign]
    proxies = int(app.config.get("STOREFRONT_TRUSTED_PROXIES", 0))
    if proxies:
        # Behind a reverse proxy every request would otherwise come from the proxy's
        # address (one throttle bucket for everyone) and look like plain http.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    # Flask's defaults already hold these keys, so they are set, not defaulted.
    app.config["MAX_CONTENT_LENGTH"] = app.config.get("MAX_CONTENT_LENGTH") or MAX_CONTENT_LENGTH
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    app.config["REMEMBER_COOKIE_SECURE"] = bool(app.config.get("SESSION_COOKIE_SECURE"))
    if app.config.get("STOREFRONT_MODE") == "production" and not app.testing:
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
