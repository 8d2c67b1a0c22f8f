"""Reading and writing the gateway's scalar formats: ATOM datetimes, dates, lenient fields.

The readers never raise: a malformed value becomes ``None`` (the caller keeps the raw dict),
because one odd field must not make a whole order unreadable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

__all__ = ["format_datetime", "parse_date", "parse_datetime"]

_T = TypeVar("_T")


def parse_datetime(value: object) -> datetime | None:
    """ATOM / RFC 3339 (``2022-02-16T17:23:48+00:00``) to an aware datetime; else None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def format_datetime(value: datetime) -> str:
    """An aware datetime as ATOM with its offset, e.g. ``2020-12-22T00:00:00+00:00``.

    Raises ``ValueError`` for a naive datetime: the gateway would read it in an unknown
    zone, and an order expiring three hours early is a real bug.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware (e.g. datetime.now(UTC))")
    return value.isoformat(timespec="seconds")


def parse_date(value: object) -> date | None:
    """``YYYY-MM-DD`` (a longer datetime string is cut to its date); else None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def read_str(value: object) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    return str(value)


def read_bool(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def read_dict(value: object) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def read_items(value: object, parse: Callable[[Mapping[str, Any]], _T]) -> list[_T]:
    """Parse each object of a JSON list; anything that is not a list gives ``[]``."""
    if not isinstance(value, list):
        return []
    return [parse(item) for item in value if isinstance(item, Mapping)]
