"""The session cookie: Flask's signed cookie, with its signer built once per key set.

Flask builds a new signing serializer for every request, even one without a cookie,
which is a measurable part of serving a small page. This interface keeps the one it
built for as long as ``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS`` stay the same; the
cookie format, signing and key rotation are exactly Flask's.
"""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class SessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._cached: tuple[tuple[object, ...], URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = self._cached
        if cached is None or cached[0] != keys:
            cached = self._cached = (keys, super().get_signing_serializer(app))
        return cached[1]
