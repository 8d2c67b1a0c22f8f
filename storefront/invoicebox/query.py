"""Query strings for the list endpoints (``/filter/api/...``), CONTRACT §1.6.

Filters are a mapping from field name to value:

* ``{"status": "completed"}`` gives ``status=completed``;
* a list is an IN filter: ``{"status": ["created", "expired"]}`` gives
  ``status[]=created&status[]=expired``;
* a dict holds operators: ``{"amount": {"_ge": 100, "_lt": 500}}`` gives
  ``amount[_ge]=100&amount[_lt]=500``; the key may also carry one:
  ``{"createdAt[_ge]": when}``;
* datetimes are sent as ATOM (``2021-01-27T00:00:00+00:00``), ``None`` values are skipped.

Sorting is ``order_by=["-createdAt", "id"]`` or ``[("createdAt", "desc")]`` and becomes
``_order[createdAt]=desc&_order[id]=asc`` (parameter order is the sort priority). Paging
uses the underscore spellings ``_page`` / ``_pageSize``, 1-based (§1.6, Q3).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from .errors import InvalidRequest
from .money import quantity_to_json

__all__ = ["OPERATORS", "build_query"]

OPERATORS = frozenset({"_eq", "_ne", "_gt", "_ge", "_lt", "_le", "_start"})
_DIRECTIONS = frozenset({"asc", "desc"})


def _render(value: object, name: str) -> str:
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        # Aware datetimes keep their offset; a naive one is sent as written, like the
        # docs' own examples (createdAt[_ge]=2021-01-27T00:00:00), and read as UTC.
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(quantity_to_json(value))
    if isinstance(value, str | int):
        return str(value)
    raise InvalidRequest(f"filter {name}: cannot send a {type(value).__name__}", field=name)


def _check_key(key: str) -> None:
    if not key or "=" in key or "&" in key:
        raise InvalidRequest(f"bad filter name {key!r}", code="wrong_filter_format", field=key)
    if "[" in key:
        operator = key[key.rindex("[") + 1 : -1] if key.endswith("]") else ""
        if operator.startswith("_") and operator not in OPERATORS:
            raise InvalidRequest(
                f"unknown filter operator in {key!r}", code="wrong_filter_format", field=key
            )


def build_query(
    filters: Mapping[str, object] | None = None,
    *,
    order_by: Iterable[str | tuple[str, str]] | None = None,
    page: int | None = None,
    page_size: int | None = None,
) -> list[tuple[str, str]]:
    """Turn filters, sorting and paging into ordered query parameters.

    Raises :class:`InvalidRequest` (code ``wrong_filter_format``) for an unknown operator,
    a sort direction other than asc/desc, a page or page size below 1, or a value that has
    no text form. ``None`` values are skipped so callers can pass optional filters as is.
    """
    params: list[tuple[str, str]] = []
    for key, value in (filters or {}).items():
        _check_key(key)
        if value is None:
            continue
        if isinstance(value, Mapping):
            for operator, operand in value.items():
                if operator not in OPERATORS:
                    raise InvalidRequest(
                        f"unknown filter operator {operator!r} for {key}",
                        code="wrong_filter_format",
                        field=key,
                    )
                if operand is not None:
                    params.append((f"{key}[{operator}]", _render(operand, key)))
        elif isinstance(value, list | tuple | set | frozenset):
            items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
            params.extend((f"{key}[]", _render(item, key)) for item in items)
        else:
            params.append((key, _render(value, key)))
    for entry in order_by or ():
        if isinstance(entry, str):
            name, direction = (entry[1:], "desc") if entry.startswith("-") else (entry, "asc")
        else:
            name, direction = entry
        if not name or direction not in _DIRECTIONS:
            raise InvalidRequest(
                f"bad sort {entry!r}: use 'field', '-field' or (field, 'asc'|'desc')",
                code="wrong_filter_format",
                field="_order",
            )
        params.append((f"_order[{name}]", direction))
    for name, number in (("_page", page), ("_pageSize", page_size)):
        if number is None:
            continue
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise InvalidRequest(
                f"{name} must be an integer >= 1, got {number!r}",
                code="wrong_filter_format",
                field=name,
            )
        params.append((name, str(number)))
    return params
