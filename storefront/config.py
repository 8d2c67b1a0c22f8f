"""Settings for the shop, read from the environment.

Two modes: ``production`` (the default) refuses to start without its secrets,
and ``demo`` fills them with the public Invoicebox demo shop's credentials and
points the gateway at the local sandbox. Its session key is the one secret the
demo never takes from the docs: see :func:`demo_secret_key`. Tests pass their own
mapping to ``create_app`` instead of relying on the environment.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .invoicebox import API_VERSIONS

MODES = ("demo", "production")
SIGNATURE_ALGORITHMS = ("sha1", "sha256", "md5")
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")

# The public demo shop's credentials, published in the Invoicebox docs. They are
# good for the sandbox and for the real API's demo account only.
DEMO_DEFAULTS: dict[str, str] = {
    "INVOICEBOX_API_URL": "http://127.0.0.1:8001",
    "INVOICEBOX_TOKEN": "b37c4c689295904ed21eee5d9a48d42e",
    "INVOICEBOX_MERCHANT_ID": "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "INVOICEBOX_NOTIFICATION_KEY": "098f6bcd4621d373cade4e832627b4f6",
}

# Limits that are whole numbers, with their defaults.
LIMITS: dict[str, int] = {
    # Company lookups by INN at checkout (storefront/payments/companies.py): per buyer
    # session and per client address an hour, and shop-wide calls to Invoicebox per 30 s,
    # kept well below the account's 100 requests per 30 s that payments need (§1.5).
    "STOREFRONT_COMPANY_LOOKUPS_PER_SESSION": 10,
    "STOREFRONT_COMPANY_LOOKUPS_PER_ADDRESS": 30,
    "STOREFRONT_COMPANY_LOOKUPS_PER_30S": 20,
    # The hourly budget for notifications whose signature could not be verified
    # (storefront/payments/unverified.py): rows kept, and bytes of bodies kept whole.
    "STOREFRONT_UNVERIFIED_ROWS_PER_HOUR": 100,
    "STOREFRONT_UNVERIFIED_BYTES_PER_HOUR": 262144,
    # The account's request budget (§1.5) as every worker and runner counts it
    # (storefront/budget.py), and how much of it reconciliation must leave to payments.
    "INVOICEBOX_REQUESTS_PER_30S": 100,
    "INVOICEBOX_RECONCILE_RESERVE": 40,
    # Reconciliation (storefront/payments/reconcile.py): seconds an open payment or refund
    # is left to its notification before the runner asks, and how many it claims at once.
    "STOREFRONT_RECONCILE_GRACE_SECONDS": 60,
    "STOREFRONT_RECONCILE_BATCH": 20,
    # Messages one runner claims from the mail outbox per pass (storefront/mail/).
    "STOREFRONT_MAIL_BATCH": 20,
    # Guarantee (hold) payments (storefront/payments/holds.py): days a held order may wait
    # for its shipment before staff are warned; the reservation does not last for ever.
    "STOREFRONT_HOLD_SHIP_DAYS": 3,
}

# The seller's legal details, shown in every page's footer (a Russian shop must show
# them). Demo mode shows the demo roastery's, which are made up.
SELLER_SETTINGS = (
    "STOREFRONT_SELLER_NAME",
    "STOREFRONT_SELLER_INN",
    "STOREFRONT_SELLER_OGRN",
    "STOREFRONT_SELLER_ADDRESS",
    "STOREFRONT_SELLER_EMAIL",
)
DEMO_SELLER: dict[str, str] = {
    "STOREFRONT_SELLER_NAME": "ООО «Север Кофе» (demo)",
    "STOREFRONT_SELLER_INN": "7700000000",
    "STOREFRONT_SELLER_OGRN": "1027700000000",
    "STOREFRONT_SELLER_ADDRESS": "125009, г. Москва, ул. Примерная, д. 1",
    "STOREFRONT_SELLER_EMAIL": "shop@sever-coffee.example",
}

# Mail (storefront/mail/): the SMTP server the runner sends through, and the staff's
# address. Demo mode sends to the local catcher that ``make demo`` starts (aiosmtpd),
# which keeps each message as a file in ``instance/mail/``; nothing else has a default
# that sends anywhere: without ``SMTP_HOST`` mail waits in the outbox.
SMTP_SECURITY = ("starttls", "ssl", "none")
DEMO_MAIL: dict[str, str] = {
    "SMTP_HOST": "127.0.0.1",
    "SMTP_PORT": "8025",
    "SMTP_SECURITY": "none",
    "SMTP_SENDER": "Север Кофе <shop@sever-coffee.example>",
    "STOREFRONT_STAFF_EMAIL": "staff@example.com",
}
MAIL_FOLDER = "mail"

# Where demo mode keeps the session key it made (inside the git-ignored instance folder).
DEMO_SECRET_KEY_FILE = "secret_key"

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
        if mode == "demo" and name in DEMO_SELLER:
            return DEMO_SELLER[name]
        if mode == "demo" and name in DEMO_MAIL:
            return DEMO_MAIL[name]
        return default

    if mode == "production":
        for name in REQUIRED_IN_PRODUCTION:
            if not get(name):
                raise ConfigError(f"{name} is not set (required when STOREFRONT_MODE=production)")

    port = get("STOREFRONT_PORT", "8000")
    database_url = get("DATABASE_URL") or "sqlite:///" + str(Path(instance_path) / "storefront.db")
    settings: dict[str, Any] = {
        "STOREFRONT_MODE": mode,
        "SECRET_KEY": get("SECRET_KEY") or (demo_secret_key(instance_path)
                                            if mode == "demo" else None),
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
        # Where the demo listens; in demo mode localhost and 127.0.0.1 are served there too.
        "STOREFRONT_PORT": int(_number(port, "STOREFRONT_PORT")),
        "STOREFRONT_ORDER_TTL_HOURS": _number(
            get("STOREFRONT_ORDER_TTL_HOURS", "24"), "STOREFRONT_ORDER_TTL_HOURS"
        ),
        "STOREFRONT_TIMEZONE": get("STOREFRONT_TIMEZONE", "Europe/Moscow"),
        **{name: get(name, "") for name in SELLER_SETTINGS},
        "STOREFRONT_CATALOG_CACHE_SECONDS": _number(
            get("STOREFRONT_CATALOG_CACHE_SECONDS", "30"), "STOREFRONT_CATALOG_CACHE_SECONDS", 0
        ),
        **{
            name: int(_number(get(name, str(default)), name, 0))
            for name, default in LIMITS.items()
        },
        **mail_settings(get, instance_path),
        # Shipment control (CONTRACT §5.4): the notification takes the stock before it is
        # answered, and answers shipping_unavailable when it cannot.
        "STOREFRONT_SHIPMENT_CONTROL": _switch(
            get("STOREFRONT_SHIPMENT_CONTROL", "off"), "STOREFRONT_SHIPMENT_CONTROL"),
        # Services are shipped by the reconcile runner right after payment (the shipment that
        # makes Invoicebox issue the full settlement receipt), so nobody has to press Ship.
        "STOREFRONT_AUTO_SHIP_SERVICES": _switch(get("STOREFRONT_AUTO_SHIP_SERVICES", "off"),
                                                 "STOREFRONT_AUTO_SHIP_SERVICES"),
        "SESSION_COOKIE_SECURE": mode == "production",
        # How many reverse proxies in front of the shop set X-Forwarded-*; 0 trusts none.
        "STOREFRONT_TRUSTED_PROXIES": int(
            _number(get("STOREFRONT_TRUSTED_PROXIES", "0") or "0", "STOREFRONT_TRUSTED_PROXIES", 0)
        ),
    }
    validate(settings)
    return settings


def mail_settings(get: Any, instance_path: str) -> dict[str, Any]:
    """``SMTP_*`` and the staff's address (see :data:`DEMO_MAIL`)."""
    return {
        "SMTP_HOST": get("SMTP_HOST", ""),
        "SMTP_PORT": int(_number(get("SMTP_PORT", "587"), "SMTP_PORT")),
        "SMTP_SECURITY": (get("SMTP_SECURITY", "starttls") or "").lower(),
        "SMTP_USER": get("SMTP_USER", ""),
        "SMTP_PASSWORD": get("SMTP_PASSWORD", ""),
        "SMTP_SENDER": get("SMTP_SENDER") or get("STOREFRONT_SELLER_EMAIL", ""),
        "SMTP_TIMEOUT": _number(get("SMTP_TIMEOUT", "10"), "SMTP_TIMEOUT"),
        "STOREFRONT_STAFF_EMAIL": get("STOREFRONT_STAFF_EMAIL", ""),
        # Where the demo's catcher keeps the messages and /staff/mail reads them.
        "STOREFRONT_MAIL_DIR": get("STOREFRONT_MAIL_DIR")
        or str(Path(instance_path) / MAIL_FOLDER),
    }


def validate(settings: Mapping[str, Any]) -> None:
    """Check values whose mistakes would otherwise surface only at the first payment."""
    if settings.get("INVOICEBOX_API_VERSION") not in API_VERSIONS:
        raise ConfigError(f"INVOICEBOX_API_VERSION must be one of {', '.join(API_VERSIONS)}")
    if settings.get("INVOICEBOX_SIGNATURE_ALGORITHM") not in SIGNATURE_ALGORITHMS:
        raise ConfigError(
            f"INVOICEBOX_SIGNATURE_ALGORITHM must be one of {', '.join(SIGNATURE_ALGORITHMS)}"
        )
    if settings.get("SMTP_SECURITY", "starttls") not in SMTP_SECURITY:
        raise ConfigError(f"SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY)}")
    if settings.get("SMTP_HOST") and not settings.get("SMTP_SENDER"):
        raise ConfigError("SMTP_SENDER (or STOREFRONT_SELLER_EMAIL) must be set with SMTP_HOST")
    zone = settings.get("STOREFRONT_TIMEZONE") or "Europe/Moscow"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"STOREFRONT_TIMEZONE is not a known time zone: {zone!r}") from None
    public = urlsplit(str(settings.get("STOREFRONT_PUBLIC_URL") or ""))
    if public.scheme not in ("http", "https") or not public.hostname:
        # The shop answers only requests for this host (security.trusted_hosts).
        raise ConfigError("STOREFRONT_PUBLIC_URL must be an http(s) URL with a host name")


def demo_secret_key(instance_path: str) -> str:
    """Demo mode's session key when ``SECRET_KEY`` is not set: random, made on first run.

    A key written in the source would let anybody sign a cookie that every demo takes for
    its staff member's. The key is kept in ``instance/secret_key`` (readable by its owner
    only), so a restart keeps the sessions. Several processes may start together (the
    ``flask`` commands, gunicorn's workers): each writes a key to a file of its own and
    links it into place, which only the first one does; everybody then reads that one.
    """
    folder = Path(instance_path)
    path = folder / DEMO_SECRET_KEY_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        handle, draft = tempfile.mkstemp(dir=folder, prefix=".secret_key-")  # mode 0600
        try:
            with os.fdopen(handle, "w", encoding="ascii") as file:
                file.write(secrets.token_urlsafe(48) + "\n")
            try:
                os.link(draft, path)
            except FileExistsError:
                pass  # another process was first: its key is the one
        finally:
            os.unlink(draft)
    key = path.read_text(encoding="ascii").strip()
    if not key:
        raise ConfigError(f"{path} is empty: delete it and a new key is made")
    return key


def normalise_database_url(url: str) -> str:
    """Let ``postgresql://`` URLs use psycopg 3, the driver this project installs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _switch(value: str | None, name: str) -> bool:
    """``on`` / ``off`` (also ``1``/``0``, ``true``/``false``, ``yes``/``no``)."""
    word = (value or "").strip().lower()
    if word in ("on", "1", "true", "yes"):
        return True
    if word in ("off", "0", "false", "no"):
        return False
    raise ConfigError(f"{name} must be on or off, not {value!r}")


def _number(value: str | None, name: str, minimum: float | None = None) -> float:
    # float() would also read "1e3", "inf", "nan" and other scripts' digits.
    if not _DECIMAL.fullmatch(value or ""):
        raise ConfigError(f"{name} must be a number, not {value!r}")
    number = float(value or "")
    if minimum is None and number <= 0:
        raise ConfigError(f"{name} must be positive")
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name} must be at least {minimum:g}")
    return number


def from_environment(instance_path: str) -> dict[str, Any]:
    return load_settings(os.environ, instance_path)
