"""Filters, sorting and paging of list endpoints (CONTRACT §1.6).

Query forms understood::

    field=v  field[]=a&field[]=b  field[_eq|_ne|_gt|_ge|_lt|_le|_start]=v  (also without "_")
    customer[vatNumber][eq]=v                      nested fields
    _order[field]=asc|desc                         repeatable; parameter order = priority
    _page / _pageSize, or page / pageSize          underscore form wins; pages are 1-based

Anything malformed (an unknown field, an operator that does not fit the field's type, a value
that does not parse, ``_order=createdAt:desc``, a page below 1) is a 422 ``wrong_filter_format``.
Without ``_order`` the newest objects come first, as in the gateway's samples.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from werkzeug.datastructures import MultiDict

from ..encoding import parse_atom, parse_filter_dt, to_decimal
from ..errors import ApiError, field

DEFAULT_PAGE_SIZE = 30
CUSTOMER_FIELDS = {f"customer.{name}": "str" for name in (
    "type", "name", "phone", "email", "vatNumber", "taxRegistrationReasonCode",
    "registrationAddress")}
ORDER_FIELDS = {
    "id": "str", "merchantOrderId": "str", "merchantOrderIdVisible": "str", "status": "str",
    "createdAt": "dt", "paidAt": "dt", "expirationDate": "dt", "merchantId": "str",
    "amount": "num", "vatAmount": "num", "currencyId": "str", "languageId": "str",
    "orderContainerId": "str", "description": "str", "parentId": "str", **CUSTOMER_FIELDS,
}
REFUND_FIELDS = {
    "id": "str", "parentId": "str", "status": "str", "merchantId": "str",
    "merchantOrderId": "str", "amount": "num", "vatAmount": "num", "currencyId": "str",
    "createdAt": "dt",
}
SHIPMENT_FIELDS = {
    "id": "int", "orderId": "str", "merchantId": "str", "status": "str",
    "documentNumber": "str", "createdAt": "dt", "amount": "num",
}
COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "ge": operator.ge,
    "lt": operator.lt, "le": operator.le, "start": lambda value, prefix: value.startswith(prefix),
}
ORDERED_TYPES = ("num", "dt", "int")
KEY = re.compile(r"^([A-Za-z_]\w*)((?:\[[^\[\]]*\])*)$")
PAGING = ("_page", "_pageSize", "page", "pageSize")


@dataclass
class Query:
    filters: list[tuple[str, str, list[Any]]]
    order: list[tuple[str, bool]]
    page: int
    page_size: int


def _bad(name: str, message: str) -> ApiError:
    return ApiError(422, "wrong_filter_format", "Wrong filter format", [field(name, message)])


def _convert(kind: str, raw: str, name: str) -> Any:
    try:
        if kind == "num":
            return to_decimal(Decimal(raw))
        if kind == "dt":
            return parse_filter_dt(raw)
        if kind == "int":
            return int(raw)
    except (ValueError, ArithmeticError) as exc:
        raise _bad(name, f"cannot read {raw!r} as {kind}") from exc
    return raw


def _page_number(args: MultiDict, names: tuple[str, str], default: int) -> int:
    for name in names:
        if name in args:
            raw = args[name]
            if not raw.isdigit() or int(raw) < 1:
                raise _bad(name, "must be an integer of at least 1")
            return int(raw)
    return default


def parse(args: MultiDict, fields: dict[str, str]) -> Query:
    """Read filters, sort order and paging from query ``args`` for a resource's ``fields``."""
    filters: list[tuple[str, str, list[Any]]] = []
    order: list[tuple[str, bool]] = []
    for key in args:
        if key in PAGING:
            continue
        match = KEY.match(key)
        if not match:
            raise _bad(key, "malformed parameter name")
        name, segments = match.group(1), re.findall(r"\[([^\[\]]*)\]", match.group(2))
        if name == "_order":
            path = ".".join(segments)
            if not segments or path not in fields:
                raise _bad(key, "use _order[<field>]=asc|desc with a known field")
            direction = args[key].lower()
            if direction not in ("asc", "desc"):
                raise _bad(key, "sort direction must be asc or desc")
            order.append((path, direction == "desc"))
            continue
        op = "eq"
        if segments and segments[-1] == "":
            op, segments = "in", segments[:-1]
        elif segments and segments[-1].lstrip("_") in COMPARE:
            op, segments = segments[-1].lstrip("_"), segments[:-1]
        path = ".".join([name, *segments])
        kind = fields.get(path)
        if kind is None:
            raise _bad(key, f"unknown filter field {path!r}")
        if op in ("gt", "ge", "lt", "le") and kind not in ORDERED_TYPES:
            raise _bad(key, f"{op} needs a number or datetime field")
        if op == "start" and kind != "str":
            raise _bad(key, "start needs a string field")
        raw_values = args.getlist(key)
        if path == "status":  # both spellings are in use (CONTRACT Q16)
            raw_values = ["canceled" if v == "cancelled" else v for v in raw_values]
        values = [_convert(kind, raw, key) for raw in raw_values]
        filters.append((path, op, values))
    page = _page_number(args, ("_page", "page"), 1)
    page_size = _page_number(args, ("_pageSize", "pageSize"), DEFAULT_PAGE_SIZE)
    return Query(filters, order, page, page_size)


def _value(doc: dict[str, Any], path: str, kind: str) -> Any:
    value: Any = doc
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return None
    if kind == "num":
        return to_decimal(value)
    if kind == "dt":
        return parse_atom(value)
    return value


def _matches(doc: dict[str, Any], query: Query, fields: dict[str, str]) -> bool:
    for path, op, values in query.filters:
        value = _value(doc, path, fields[path])
        if op == "in":
            if value not in values:
                return False
        elif op == "ne":
            if any(value == v for v in values):
                return False
        elif value is None or not all(COMPARE[op](value, v) for v in values):
            return False
    return True


def apply(docs: Iterable[dict[str, Any]], query: Query,
          fields: dict[str, str]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Filter, sort and page ``docs`` (given oldest first). Returns (page, metaData)."""
    selected = [doc for doc in docs if _matches(doc, query, fields)]
    if query.order:
        for path, descending in reversed(query.order):  # stable sorts, lowest priority first
            kind = fields[path]
            selected.sort(key=lambda d, p=path, k=kind: (_value(d, p, k) is None,
                                                         _value(d, p, k)),
                          reverse=descending)
    else:
        selected.reverse()
    start = (query.page - 1) * query.page_size
    meta = {"totalCount": len(selected), "pageSize": query.page_size, "page": query.page}
    return selected[start:start + query.page_size], meta
