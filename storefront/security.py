"""HTTP hardening: security headers and cookie flags on every response, the Host header
checked on every request, and the one guard of redirects to a path the request names.

The policy allows scripts and styles from the shop's own origin only, so a page
that needs behaviour ships it as a static file; no inline script will run.

The headers are added by :class:`SecurityHeaders`, a WSGI middleware around the
whole app: they reach every response (static files and error pages included), a
view can still set its own value for one of them, and it costs a few list
operations per response instead of a header lookup each.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, request
from flask_babel import lazy_gettext as _l

from .errors import render_error

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


DEFAULT_PORTS = {"http": 80, "https": 443}
# The only view that answers whatever address it is asked by (see refuse_untrusted_host).
PROBE_ENDPOINT = "health.healthz"
HOST_REFUSED = _l("This shop is not served under that name.")


def trusted_hosts(config: Mapping[str, Any]) -> Mapping[str, int]:
    """The host names the shop answers to, each with the port it answers on.

    ``STOREFRONT_PUBLIC_URL``'s host, in every mode; in demo mode also ``localhost`` and
    ``127.0.0.1`` on the demo's port; with ``TESTING``, ``localhost``, the name Flask's
    test client sends.
    """
    return _trusted_hosts(str(config.get("STOREFRONT_PUBLIC_URL") or ""),
                          config.get("STOREFRONT_MODE") == "demo",
                          config.get("STOREFRONT_PORT"), bool(config.get("TESTING")))


@lru_cache(maxsize=16)
def _trusted_hosts(public_url: str, demo: bool, demo_port: int | None,
                   testing: bool) -> Mapping[str, int]:
    parts = urlsplit(public_url)
    port = parts.port or DEFAULT_PORTS.get(parts.scheme, 80)
    hosts = {parts.hostname: port} if parts.hostname else {}
    if demo:
        hosts.update(dict.fromkeys(("localhost", "127.0.0.1"), demo_port or port))
    if testing:
        hosts.setdefault("localhost", 80)
    return MappingProxyType(hosts)


def split_host(host: str) -> tuple[str, int | None] | None:
    """``"Shop.example:8000"`` -> ``("shop.example", 8000)``; None if it is no host."""
    try:
        parts = urlsplit("//" + host)
        name, port = parts.hostname, parts.port
    except ValueError:  # a port that is not a number, or out of range
        return None
    if not name or parts.path or parts.query or parts.fragment or parts.username:
        return None
    return name, port


def is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def refuse_untrusted_host():
    """Answer 400 to a request whose ``Host`` is not one of :func:`trusted_hosts`.

    The host a request names is where Werkzeug points absolute URLs, the redirect that
    adds a trailing slash among them: trusting it lets anybody make the shop send a
    visitor (or a cache) to their site. A Host without a port is taken for the trusted
    port: the request did reach the shop, and a proxy in front may leave the port out.

    A load balancer's health check asks ``/healthz`` by the address of the machine it
    checks, which no setting can list ahead; that view's answer carries no URL, so it
    answers a probe by IP address.
    """
    trusted = trusted_hosts(current_app.config)
    named = split_host(request.host)
    if named is not None:
        name, port = named
        if name in trusted and (port is None or port == trusted[name]):
            return None
        if request.endpoint == PROBE_ENDPOINT and is_ip_address(name):
            return None
    return render_error(400, str(HOST_REFUSED))


def local_path(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None: the guard of every redirect to
    a ``next`` the request names (no open redirects).

    Only an absolute path is accepted: no scheme, no host, no ``//host`` or ``/\\host``
    shorthand that browsers would read as another site, no control character.
    """
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ord(char) < 32 or char in "\\\x7f" for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def init_app(app: Flask) -> None:
    # First of the app's before-request hooks, so nothing runs for a foreign host.
    app.before_request(refuse_untrusted_host)
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
