"""Settings for the shop, read from the environment.

Two modes: ``production`` (the default) refuses to start without its secrets,
and ``demo`` fills them with the public Invoicebox demo shop's credentials and
points the gateway at the local sandbox. Tests pass their own mapping to
``create_app`` instead of relying on the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

MODES = ("demo", "production")
API_VERSIONS = ("v3", "l3")
SIGNATURE_ALGORITHMS = ("sha1", "sha256", "md5")

# The public demo shop's credentials, published in the Invoicebox docs. They are
# good for the sandbox and for the real API's demo account only.
DEMO_DEFAULTS: dict[str, str] = {
    "SECRET_KEY": "demo-only-secret-key-never-use-in-production",
    "INVOICEBOX_API_URL": "http://127.0.0.1:8001",
    "INVOICEBOX_TOKEN": "b37c4c689295904ed21eee5d9a48d42e",
    "INVOICEBOX_MERCHANT_ID": "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "INVOICEBOX_NOTIFICATION_KEY": "098f6bcd4621d373cade4e832627b4f6",
}

# Settings that must be given explicitly outside demo mode.
REQUIRED_IN_PRODUCTION = (
    "SECRET_KEY",
    "INVOICEBOX_TOKEN",
    "INVOICEBOX_MERCHANT_ID",
    "INVOICEBOX_NOTIFICATION_KEY",
)


class ConfigError(SystemExit):
    """A setting is missing or invalid.

    It is a ``SystemExit`` so that a server started with a bad configuration
    stops with one readable line instead of a traceback.
    """

    def __init__(self, message: str) -> None:
        super().__init__(f"storefront: configuration error: {message}")


def load_settings(environ: Mapping[str, str], instance_path: str) -> dict[str, Any]:
    """Build the Flask config mapping from environment variables."""
    mode = environ.get("STOREFRONT_MODE", "production").strip().lower() or "production"
    if mode not in MODES:
        raise ConfigError(f"STOREFRONT_MODE must be one of {', '.join(MODES)}, not {mode!r}")

    def get(name: str, default: str | None = None) -> str | None:
        value = environ.get(name, "").strip()
        if value:
            return value
        if mode == "demo" and name in DEMO_DEFAULTS:
            return DEMO_DEFAULTS[name]
        return default

    if mode == "production":
        for name in REQUIRED_IN_PRODUCTION:
            if not get(name):
                raise ConfigError(f"{name} is not set (required when STOREFRONT_MODE=production)")

    port = get("STOREFRONT_PORT", "8000")
    database_url = get("DATABASE_URL") or "sqlite:///" + str(Path(instance_path) / "storefront.db")
    settings: dict[str, Any] = {
        "STOREFRONT_MODE": mode,
        "SECRET_KEY": get("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "INVOICEBOX_API_URL": get("INVOICEBOX_API_URL", "https://api.invoicebox.ru"),
        "INVOICEBOX_API_VERSION": get("INVOICEBOX_API_VERSION", "v3"),
        "INVOICEBOX_TOKEN": get("INVOICEBOX_TOKEN"),
        "INVOICEBOX_MERCHANT_ID": get("INVOICEBOX_MERCHANT_ID"),
        "INVOICEBOX_NOTIFICATION_KEY": get("INVOICEBOX_NOTIFICATION_KEY"),
        "INVOICEBOX_SIGNATURE_ALGORITHM": get("INVOICEBOX_SIGNATURE_ALGORITHM", "sha1"),
        "INVOICEBOX_READ_TIMEOUT": _number(
            get("INVOICEBOX_READ_TIMEOUT", "12"), "INVOICEBOX_READ_TIMEOUT"
        ),
        "INVOICEBOX_WRITE_TIMEOUT": _number(
            get("INVOICEBOX_WRITE_TIMEOUT", "30"), "INVOICEBOX_WRITE_TIMEOUT"
        ),
        "STOREFRONT_PUBLIC_URL": get("STOREFRONT_PUBLIC_URL", f"http://127.0.0.1:{port}"),
        "STOREFRONT_ORDER_TTL_HOURS": _number(
            get("STOREFRONT_ORDER_TTL_HOURS", "24"), "STOREFRONT_ORDER_TTL_HOURS"
        ),
        "STOREFRONT_PAYMENT_LANGUAGE": get("STOREFRONT_PAYMENT_LANGUAGE", "ru"),
        "STOREFRONT_CATALOG_CACHE_SECONDS": _number(
            get("STOREFRONT_CATALOG_CACHE_SECONDS", "30"), "STOREFRONT_CATALOG_CACHE_SECONDS", 0
        ),
        # The hourly budget for notifications whose signature could not be verified
        # (storefront/payments/unverified.py): rows kept, and bytes of bodies kept whole.
        "STOREFRONT_UNVERIFIED_ROWS_PER_HOUR": int(_number(
            get("STOREFRONT_UNVERIFIED_ROWS_PER_HOUR", "100"),
            "STOREFRONT_UNVERIFIED_ROWS_PER_HOUR", 0)),
        "STOREFRONT_UNVERIFIED_BYTES_PER_HOUR": int(_number(
            get("STOREFRONT_UNVERIFIED_BYTES_PER_HOUR", "262144"),
            "STOREFRONT_UNVERIFIED_BYTES_PER_HOUR", 0)),
        "SESSION_COOKIE_SECURE": mode == "production",
        # How many reverse proxies in front of the shop set X-Forwarded-*; 0 trusts none.
        "STOREFRONT_TRUSTED_PROXIES": int(
            _number(get("STOREFRONT_TRUSTED_PROXIES", "0") or "0", "STOREFRONT_TRUSTED_PROXIES", 0)
        ),
    }
    validate(settings)
    return settings


def validate(settings: Mapping[str, Any]) -> None:
    """Check values whose mistakes would otherwise surface only at the first payment."""
    if settings.get("INVOICEBOX_API_VERSION") not in API_VERSIONS:
        raise ConfigError(f"INVOICEBOX_API_VERSION must be one of {', '.join(API_VERSIONS)}")
    if settings.get("INVOICEBOX_SIGNATURE_ALGORITHM") not in SIGNATURE_ALGORITHMS:
        raise ConfigError(
            f"INVOICEBOX_SIGNATURE_ALGORITHM must be one of {', '.join(SIGNATURE_ALGORITHMS)}"
        )
    if settings.get("STOREFRONT_PAYMENT_LANGUAGE") not in ("ru", "en"):
        raise ConfigError("STOREFRONT_PAYMENT_LANGUAGE must be ru or en")


def normalise_database_url(url: str) -> str:
    """Let ``postgresql://`` URLs use psycopg 3, the driver this project installs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _number(value: str | None, name: str, minimum: float | None = None) -> float:
    try:
        number = float(value or "")
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {value!r}") from None
    if minimum is None and number <= 0:
        raise ConfigError(f"{name} must be positive")
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name} must be at least {minimum:g}")
    return number


def from_environment(instance_path: str) -> dict[str, Any]:
    return load_settings(os.environ, instance_path)
