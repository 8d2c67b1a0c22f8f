"""Notification signatures: ``X-Signature = hex(HMAC(key, raw body))`` (CONTRACT §5.3).

The HMAC covers the exact bytes the gateway sent. Parsing the JSON and serialising it
again changes them (Python's ``json.dumps`` does not escape ``/`` the way PHP does), so
always verify ``request.get_data()`` before parsing anything.

:func:`gateway_json` reproduces the gateway's serialisation for tests and fixtures that
need to produce a body the way the gateway would.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from decimal import Decimal
from typing import Any

__all__ = ["ALGORITHMS", "gateway_json", "sign", "verify_signature"]

# Fixed-length digests only: the shake_* functions need a length HMAC cannot give them.
ALGORITHMS = frozenset(
    name for name in hashlib.algorithms_guaranteed if not name.startswith("shake_")
)
_HEX = re.compile(r"[0-9a-f]+")


def _algorithm(name: str) -> str | None:
    # PHP spells sha3 as "sha3-256"; hashlib as "sha3_256".
    normalized = name.strip().lower().replace("-", "_") if isinstance(name, str) else ""
    return normalized if normalized in ALGORITHMS else None


def sign(body: bytes, key: str, algorithm: str = "sha1") -> str:
    """The lowercase hex HMAC of ``body`` under ``key`` (UTF-8), as the gateway sends it.

    Raises ``ValueError`` for an empty key or an algorithm hashlib does not guarantee:
    signing with either would be a configuration mistake, not a bad request.
    """
    if not isinstance(body, bytes | bytearray | memoryview):
        raise TypeError(f"sign raw bytes, not {type(body).__name__}")
    digest = _algorithm(algorithm)
    if digest is None:
        raise ValueError(f"unsupported signature algorithm {algorithm!r}")
    if not key:
        raise ValueError("the signing key is empty")
    return hmac.new(key.encode("utf-8"), bytes(body), digest).hexdigest()


def verify_signature(body: bytes, signature: str | None, key: str, algorithm: str = "sha1") -> bool:
    """True only if ``signature`` is the HMAC of exactly ``body`` under ``key``.

    The header value is compared case-insensitively and without surrounding whitespace,
    in constant time. Never raises and never fails open: a missing, empty, non-hex or
    wrong-length signature, an empty key, an unknown algorithm or a body that is not bytes
    all give False.
    """
    digest = _algorithm(algorithm)
    if digest is None or not key or not isinstance(key, str):
        return False
    if not isinstance(body, bytes | bytearray | memoryview) or not isinstance(signature, str):
        return False
    candidate = signature.strip().lower()
    expected = sign(bytes(body), key, digest)
    if len(candidate) != len(expected) or not _HEX.fullmatch(candidate):
        return False
    return hmac.compare_digest(candidate, expected)


def _php_numbers(value: Any) -> Any:
    if isinstance(value, Decimal):
        # PHP prints a whole float without a fraction when it came from an integer column,
        # and the shortest round-trip digits otherwise: 110, 2790.67, 0.
        if value == value.to_integral_value():
            return int(value)
        return float(value)
    if isinstance(value, dict):
        return {key: _php_numbers(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_php_numbers(item) for item in value]
    return value


def gateway_json(obj: Any) -> bytes:
    """Serialise like the gateway (PHP ``json_encode(..., JSON_UNESCAPED_UNICODE)``).

    Compact separators, UTF-8 without ``\\u`` escapes, ``/`` escaped as ``\\/``, no
    trailing newline; ``Decimal`` money as an integer when whole, else the shortest float.
    Re-encoding the parsed sample notification with it gives back the original bytes.
    """
    text = json.dumps(_php_numbers(obj), ensure_ascii=False, separators=(",", ":"))
    return text.replace("/", "\\/").encode("utf-8")
