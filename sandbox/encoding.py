"""Wire formats shared by the API, the notifier and the store.

The real gateway is a PHP application. Its JSON is ``json_encode($x, JSON_UNESCAPED_UNICODE)``:
compact, Cyrillic unescaped, ``/`` escaped as ``\\/``, and money that is whole comes out as an
integer (``110``) while the rest is the shortest float (``2790.67``). Datetimes are ATOM with
``+00:00``. The sandbox reproduces this byte for byte so that shops which re-serialise a
notification before checking its signature fail here as they would in production.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any


def to_plain(value: Any) -> Any:
    """Replace every Decimal in a JSON-like structure by an int (whole) or a float."""
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        return float(value)
    if isinstance(value, dict):
        return {key: to_plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(item) for item in value]
    return value


def php_dumps(value: Any) -> bytes:
    """Serialise like PHP ``json_encode(..., JSON_UNESCAPED_UNICODE)``, as UTF-8 bytes."""
    text = json.dumps(to_plain(value), ensure_ascii=False, separators=(",", ":"))
    # "/" only occurs inside JSON strings, so a blanket replace is exact. PHP also keeps the
    # two Unicode line terminators escaped unless told otherwise.
    text = text.replace("/", "\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text.encode("utf-8")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads(raw: bytes | str) -> Any:
    """Parse JSON keeping fractional numbers as Decimal, so money never passes through float."""
    return json.loads(raw, parse_float=Decimal, parse_constant=_reject_constant)


def to_decimal(value: Any) -> Decimal:
    """Exact Decimal of a parsed JSON number (int or Decimal); ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError(f"not a number: {value!r}")
    try:
        result = Decimal(value)
    except InvalidOperation as exc:  # pragma: no cover - ints and Decimals always convert
        raise ValueError(str(value)) from exc
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def format_dt(moment: datetime) -> str:
    """ATOM form the gateway emits: ``2020-12-22T00:00:00+00:00``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def parse_atom(text: str) -> datetime:
    """Parse an ATOM/RFC 3339 datetime that carries an offset. ValueError otherwise."""
    if not isinstance(text, str) or len(text) < 19:
        raise ValueError("not a datetime")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("a datetime must carry its UTC offset")
    return moment.astimezone(UTC)


def parse_filter_dt(text: str) -> datetime:
    """Datetimes in filters may omit the offset (``createdAt[_ge]=2021-01-27T00:00:00``): UTC."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def new_id() -> str:
    """A time-ordered UUID (version 7 layout), like the gateway's ``017f038f-c78b-...`` ids."""
    millis = int(time.time() * 1000) & ((1 << 48) - 1)
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis << 80) | rand
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    hexed = f"{value:032x}"
    return f"{hexed[:8]}-{hexed[8:12]}-{hexed[12:16]}-{hexed[16:20]}-{hexed[20:]}"
