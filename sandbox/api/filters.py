"""Filters, sorting and paging of list endpoints (CONTRACT §1.6).

The query is first read as PHP reads it (:mod:`.phpquery`), then each parameter becomes
conditions, all of which an object must meet::

    field=v                                 equality; given twice, the last value counts
    field[]=a&field[]=b, field[0]=a&...     IN list (the docs' form, http_build_query's form)
    field[_eq|_ne|_gt|_ge|_lt|_le|_start]=v operators (also without "_")
    field[_eq][]=a, field[_ne][]=a, field[_start][]=a   IN, NOT IN, any of the prefixes
    customer[vatNumber][eq]=v               nested fields, with all of the above
    _order[field]=asc|desc                  repeatable; parameter order = priority
    _page / _pageSize, or page / pageSize   underscore form wins; pages are 1-based

What PHP would hand over in a form the API cannot use (an unknown field or operator, an
operator that does not fit the field's type, a list where one value is needed, a value that
does not parse, ``_order=createdAt:desc``, a page below 1) is a 422 ``wrong_filter_format``.
Without ``_order`` the newest objects come first, as in the gateway's samples.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from werkzeug.datastructures import MultiDict

from ..encoding import parse_atom, parse_filter_dt, to_decimal
from ..errors import ApiError, field
from . import phpquery
from .phpquery import PhpValue

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
LIST_OPERATORS = ("eq", "ne", "start")  # the operators a list of values makes sense for
PAGING = ("_page", "_pageSize", "page", "pageSize")

Condition = tuple[str, str, list[Any]]  # (field path, operator, values)


@dataclass
class Query:
    filters: list[Condition]
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


def _values(path: str, kind: str, raw: list[str], label: str) -> list[Any]:
    if path == "status":  # both spellings are in use (CONTRACT Q16)
        raw = ["canceled" if v == "cancelled" else v for v in raw]
    return [_convert(kind, value, label) for value in raw]


def _operator(path: str, kind: str, key: str, value: PhpValue, label: str) -> Condition:
    op = key.lstrip("_")
    if op not in COMPARE:
        raise _bad(label, f"unknown operator or field {key!r}")
    if op in ("gt", "ge", "lt", "le") and kind not in ORDERED_TYPES:
        raise _bad(label, f"{op} needs a number or datetime field")
    if op == "start" and kind != "str":
        raise _bad(label, "start needs a string field")
    if isinstance(value, str):
        return path, op, _values(path, kind, [value], label)
    if op not in LIST_OPERATORS or any(not isinstance(v, str) for v in value.values()):
        raise _bad(label, f"{key} takes a single value here")
    return path, op, _values(path, kind, list(value.values()), label)


def _conditions(path: str, value: PhpValue, fields: dict[str, str],
                label: str) -> list[Condition]:
    """The conditions one parameter, as PHP read it, puts on ``path``."""
    kind = fields.get(path)
    if kind is None:
        nested = isinstance(value, dict) and any(f.startswith(f"{path}.") for f in fields)
        if not nested:
            raise _bad(label, f"unknown filter field {path!r}")
        found = []
        for key, sub in value.items():
            if isinstance(key, int):
                raise _bad(f"{label}[{key}]", f"{path!r} is not a field; name one inside it")
            found += _conditions(f"{path}.{key}", sub, fields, f"{label}[{key}]")
        return found
    if isinstance(value, str):
        return [(path, "eq", _values(path, kind, [value], label))]
    members: list[str] = []
    found = []
    for key, sub in value.items():
        here = f"{label}[{key}]"
        if not isinstance(key, int):
            found.append(_operator(path, kind, key, sub, here))
        elif isinstance(sub, str):
            members.append(sub)
        else:
            raise _bad(here, "a list member must be a single value")
    if members:  # PHP never makes an empty array, so an IN list is never empty
        found.insert(0, (path, "eq", _values(path, kind, members, label)))
    return found


def _sort_order(value: PhpValue, fields: dict[str, str], label: str = "_order",
                prefix: str = "") -> list[tuple[str, bool]]:
    if not isinstance(value, dict):
        raise _bad(label, "use _order[<field>]=asc|desc with a known field")
    order = []
    for key, sub in value.items():
        path, here = f"{prefix}{key}", f"{label}[{key}]"
        if isinstance(sub, dict):
            order += _sort_order(sub, fields, here, f"{path}.")
            continue
        if path not in fields:
            raise _bad(here, "use _order[<field>]=asc|desc with a known field")
        if sub.lower() not in ("asc", "desc"):
            raise _bad(here, "sort direction must be asc or desc")
        order.append((path, sub.lower() == "desc"))
    return order


def _page_number(params: dict[str, PhpValue], names: tuple[str, str], default: int) -> int:
    for name in names:
        if name in params:
            raw = params[name]
            if not isinstance(raw, str) or not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
                raise _bad(name, "must be an integer of at least 1")
            return int(raw)
    return default


def parse(source: bytes | str | MultiDict, fields: dict[str, str]) -> Query:
    """Read filters, sort order and paging for a resource's ``fields``.

    ``source`` is the raw query string (``request.query_string``), whose parameter order
    PHP's overwriting depends on; a werkzeug ``MultiDict`` is read in its own order.
    """
    if isinstance(source, bytes | str):
        params = phpquery.parse(source)
    else:
        params = phpquery.from_pairs(source.items(multi=True))
    filters: list[Condition] = []
    order: list[tuple[str, bool]] = []
    for name, value in params.items():
        if name == "_order":
            order = _sort_order(value, fields)
        elif name not in PAGING:
            filters += _conditions(name, value, fields, name)
    page = _page_number(params, ("_page", "page"), 1)
    page_size = _page_number(params, ("_pageSize", "pageSize"), DEFAULT_PAGE_SIZE)
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
        if op == "eq":  # one value, or an IN list
            if value not in values:
                return False
        elif op == "ne":  # one value or NOT IN; a missing field equals nothing
            if value in values:
                return False
        elif op == "start":  # one prefix or any of several
            if value is None or not any(value.startswith(prefix) for prefix in values):
                return False
        elif value is None or not COMPARE[op](value, values[0]):
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
