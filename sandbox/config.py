"""Sandbox settings: merchants and behaviour switches.

Settings come from three layers, later ones winning:

1. built-in defaults (the public Invoicebox demo shop, CONTRACT "Suggested sandbox configuration");
2. an optional JSON file (``--config PATH``) with further merchants and switches;
3. environment variables ``SANDBOX_NOTIFY_MODE``, ``SANDBOX_REFUND_DELAY``,
   ``SANDBOX_SHIPMENT_DELAY`` and ``SANDBOX_PUBLIC_URL``.

A merchant entry in the JSON file whose ``id`` equals an existing merchant's id updates that
merchant (e.g. to give the demo shop a ``notification_url``); other entries are added.
Unknown keys are rejected so that a typo in a test's config fails loudly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

DEMO_MERCHANT_ID = "ffffffff-ffff-ffff-ffff-ffffffffffff"
DEMO_TOKEN = "b37c4c689295904ed21eee5d9a48d42e"
DEMO_NOTIFICATION_KEY = "098f6bcd4621d373cade4e832627b4f6"

# Delays before the 2nd..11th delivery attempt (CONTRACT §5.5): 10 retries within a day.
DAY_SCHEDULE = (60, 300, 900, 1800, 3600, 7200, 10800, 14400, 21600, 25200)
# The same shape compressed into under a minute, for tests and demos.
FAST_SCHEDULE = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)

SIGNATURE_ALGORITHMS = ("sha1", "sha256", "md5")
ROUND_POLICIES = ("strict", "none", "floor", "ceil", "halfUp", "halfDown")
NOTIFY_EVENTS = ("completed", "hold", "canceled", "expired")


class ConfigError(ValueError):
    """The configuration file or environment holds an invalid value."""


@dataclass(frozen=True)
class Merchant:
    """One shop known to the sandbox. Merchants sharing a token belong to one account."""

    id: str
    token: str
    notification_key: str
    notification_url: str | None = None
    signature_algorithm: str = "sha1"
    shipment_control: bool = False
    name: str = "Demo shop"
    # The "URL in the shop settings" used when an order carries no success/fail/return URL.
    return_url: str | None = None


@dataclass(frozen=True)
class RateLimit:
    account: str = "100/30"
    ip: str = "500/30"
    enabled: bool = True

    @staticmethod
    def parse(spec: str) -> tuple[int, float]:
        """Turn ``"100/30"`` into ``(100, 30.0)``: requests per window of seconds."""
        try:
            count, window = spec.split("/")
            parsed = int(count), float(window)
        except ValueError as exc:
            raise ConfigError(f"rate limit must look like '100/30', got {spec!r}") from exc
        if parsed[0] < 1 or parsed[1] <= 0:
            raise ConfigError(f"rate limit must be positive, got {spec!r}")
        return parsed


@dataclass(frozen=True)
class SandboxConfig:
    merchants: tuple[Merchant, ...] = (
        Merchant(id=DEMO_MERCHANT_ID, token=DEMO_TOKEN, notification_key=DEMO_NOTIFICATION_KEY),
    )
    api_prefixes: tuple[str, ...] = ("v3", "l3")
    payment_page_base: str | None = None
    enforce_unique_order_number: bool = False
    round_policy_default: str = "strict"
    strict_arithmetic: bool = False
    rate_limit: RateLimit = field(default_factory=RateLimit)
    notify_on: tuple[str, ...] = ("completed", "hold")
    retry_schedule: tuple[float, ...] = DAY_SCHEDULE
    notification_timeout_s: float = 20.0
    refund_complete_delay_s: float = 5.0
    # each step of a shipment (draft -> pending -> completed) takes this long (CONTRACT §4.3)
    shipment_step_delay_s: float = 2.0
    sweep_interval_s: float = 1.0

    def merchant(self, merchant_id: str) -> Merchant | None:
        return next((m for m in self.merchants if m.id == merchant_id), None)

    def merchants_for_token(self, token: str) -> tuple[Merchant, ...]:
        return tuple(m for m in self.merchants if m.token == token)


def _schedule(value: Any) -> tuple[float, ...]:
    if value == "day":
        return DAY_SCHEDULE
    if value == "fast":
        return FAST_SCHEDULE
    if isinstance(value, list) and all(isinstance(v, int | float) and v >= 0 for v in value):
        return tuple(float(v) for v in value)
    raise ConfigError(f"retry_schedule must be 'day', 'fast' or a list of seconds, got {value!r}")


def _merchants(base: tuple[Merchant, ...], entries: Any) -> tuple[Merchant, ...]:
    if not isinstance(entries, list):
        raise ConfigError("merchants must be a list of objects")
    known = {f.name for f in fields(Merchant)}
    result = list(base)
    for entry in entries:
        if not isinstance(entry, dict) or "id" not in entry:
            raise ConfigError(f"each merchant needs an 'id': {entry!r}")
        unknown = set(entry) - known
        if unknown:
            raise ConfigError(f"unknown merchant settings: {sorted(unknown)}")
        if entry.get("signature_algorithm", "sha1") not in SIGNATURE_ALGORITHMS:
            raise ConfigError(f"signature_algorithm must be one of {SIGNATURE_ALGORITHMS}")
        index = next((i for i, m in enumerate(result) if m.id == entry["id"]), None)
        if index is None:
            missing = {"token", "notification_key"} - set(entry)
            if missing:
                raise ConfigError(f"new merchant {entry['id']} needs {sorted(missing)}")
            result.append(Merchant(**entry))
        else:
            result[index] = replace(result[index], **entry)
    return tuple(result)


def build_config(data: Mapping[str, Any] | None = None,
                 env: Mapping[str, str] | None = None) -> SandboxConfig:
    """Build a config from a parsed JSON mapping and environment overrides."""
    data = dict(data or {})
    env = env or {}
    config = SandboxConfig()
    known = {f.name for f in fields(SandboxConfig)}
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"unknown settings: {sorted(unknown)}")
    changes: dict[str, Any] = {}
    if "merchants" in data:
        changes["merchants"] = _merchants(config.merchants, data.pop("merchants"))
    if "rate_limit" in data:
        changes["rate_limit"] = replace(config.rate_limit, **data.pop("rate_limit"))
    if "retry_schedule" in data:
        changes["retry_schedule"] = _schedule(data.pop("retry_schedule"))
    for key in ("api_prefixes", "notify_on"):
        if key in data:
            changes[key] = tuple(data.pop(key))
    changes.update(data)

    if env.get("SANDBOX_NOTIFY_MODE"):
        changes["retry_schedule"] = _schedule(env["SANDBOX_NOTIFY_MODE"])
    if env.get("SANDBOX_REFUND_DELAY"):
        try:
            changes["refund_complete_delay_s"] = float(env["SANDBOX_REFUND_DELAY"])
        except ValueError as exc:
            raise ConfigError("SANDBOX_REFUND_DELAY must be a number of seconds") from exc
    if env.get("SANDBOX_SHIPMENT_DELAY"):
        try:
            changes["shipment_step_delay_s"] = float(env["SANDBOX_SHIPMENT_DELAY"])
        except ValueError as exc:
            raise ConfigError("SANDBOX_SHIPMENT_DELAY must be a number of seconds") from exc
    if env.get("SANDBOX_PUBLIC_URL"):
        changes["payment_page_base"] = env["SANDBOX_PUBLIC_URL"].rstrip("/")

    config = replace(config, **changes)
    _check(config)
    return config


def _check(config: SandboxConfig) -> None:
    if config.round_policy_default not in ROUND_POLICIES:
        raise ConfigError(f"round_policy_default must be one of {ROUND_POLICIES}")
    if not set(config.notify_on) <= set(NOTIFY_EVENTS):
        raise ConfigError(f"notify_on may only contain {NOTIFY_EVENTS}")
    if not set(config.api_prefixes) <= {"v3", "l3"}:
        raise ConfigError("api_prefixes may only contain 'v3' and 'l3'")
    ids = [m.id for m in config.merchants]
    if len(ids) != len(set(ids)):
        raise ConfigError("merchant ids must be unique")
    RateLimit.parse(config.rate_limit.account)
    RateLimit.parse(config.rate_limit.ip)


def load_config(path: Path | None, env: Mapping[str, str]) -> SandboxConfig:
    """Read the optional JSON file at ``path`` and apply environment overrides."""
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"cannot read config {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError("the config file must hold a JSON object")
    return build_config(data, env)
