"""Read-only look-ups behind the staff pages.

The orders list stays fast however many orders there are (measured up to a million by
``make bench-scale``):

* Pages are keyset pages: newest first by ``(created_at, id)``, each page the orders
  older (or newer) than one order named in the link, read through an index in that order
  with or without a status. No ``OFFSET``, so the last page costs what the first does.
* The total is counted exactly up to :data:`EXACT_COUNT_LIMIT`, from the keys of the
  matching orders, which then also give the pages; above it the page says "more than"
  that, or, for the whole list on PostgreSQL, the planner's estimate.
* "Holds not shipped in time" (guarantee payments held past ``STOREFRONT_HOLD_SHIP_DAYS``
  with nothing shipped) narrows the list to one status, so it pages through the same
  status index; its other conditions (the payment's age, no shipment that counts, by the
  shipments' ``order_id`` index) only filter. The page's orders are flagged with one look-up
  by id.
* A search for a whole order number or e-mail finds it by equality through the btree
  indexes; any other text is matched as a part of either, case-insensitively and
  literally, through trigram indexes on PostgreSQL (a scan on SQLite).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Protocol

from sqlalchemy import ColumnElement, func, literal, or_, tuple_

from ..extensions import db
from ..models import Order
from ..payments import overdue_hold_criteria
from ..request_log import note
from ..states import ORDER_HELD, OrderStatus

ORDERS_PER_PAGE = 25
EXACT_COUNT_LIMIT = 1000
_NEWEST_FIRST = (Order.created_at.desc(), Order.id.desc())
_OLDEST_FIRST = (Order.created_at.asc(), Order.id.asc())


@dataclass(frozen=True)
class OrdersPage:
    """One page of the list, newest first, and where the links around it lead."""

    items: list[Order]
    newer: str | None  # the number to page back from ("Newer"), if newer orders exist
    older: str | None  # the number to page on from ("Older"), if older orders exist
    total: int  # exactly, when ``total_exact``; else a lower bound or an estimate
    total_exact: bool
    total_estimated: bool = False
    overdue: frozenset[int] = frozenset()  # ids of the page's holds not shipped in time


def orders_page(status: str | None, search: str | None, *, after: str | None = None,
                before: str | None = None, oldest: bool = False,
                overdue: bool = False) -> OrdersPage:
    """The page of matching orders after (older than) or before (newer than) an order.

    ``after`` and ``before`` are order numbers from the page's links; an unknown one
    gives the first page. ``oldest`` gives the last page. Only one of them is used, in
    that order of precedence. ``overdue`` keeps only holds not shipped in time.

    The matching orders' keys are read first, up to one more than
    :data:`EXACT_COUNT_LIMIT`: when there are no more than that, they are the exact
    total and the pages are cut from them (one search of the table per page, not two);
    else the page is read through the index in the list's order.
    """
    criteria = _criteria(status, search)
    if overdue:
        criteria += overdue_hold_criteria()
    keys = _newest_keys(criteria)
    few = len(keys) <= EXACT_COUNT_LIMIT
    fetch: _Fetch = partial(_from_keys, keys) if few else partial(_from_database, criteria)
    page = _paged(fetch, after, before, oldest) or _paged(fetch, None, None, False)
    items, has_newer, has_older = page
    total, estimated = (len(keys), False) if few else _beyond_the_limit(criteria)
    return OrdersPage(
        items=items,
        newer=items[0].number if items and has_newer else None,
        older=items[-1].number if items and has_older else None,
        total=total, total_exact=few, total_estimated=estimated,
        overdue=_overdue_among(items),
    )


def _overdue_among(orders: list[Order]) -> frozenset[int]:
    """The ids of ``orders`` that are holds not shipped in time (one query, by id)."""
    held = [order.id for order in orders if order.status in ORDER_HELD]
    if not held:
        return frozenset()
    return frozenset(db.session.execute(
        db.select(Order.id).where(Order.id.in_(held), *overdue_hold_criteria())).scalars())


def order_by_number(number: str) -> Order:
    order = db.one_or_404(db.select(Order).where(Order.number == number))
    note(order_id=order.id)
    return order


def _criteria(status: str | None, search: str | None) -> list[ColumnElement[bool]]:
    criteria = []
    if status in {s.value for s in OrderStatus}:
        criteria.append(Order.status == status)
    text = (search or "").strip()
    if text:
        criteria.append(_matching(text))
    return criteria


def _matching(text: str) -> ColumnElement[bool]:
    """Orders whose number or e-mail is ``text``, or else contains it (literally)."""
    exact = or_(Order.number.in_(sorted({text, text.upper()})),
                Order.customer_email.in_(sorted({text, text.lower()})))
    if db.session.execute(db.select(Order.id).where(exact).limit(1)).first() is not None:
        return exact
    # lower() on both sides, as the trigram indexes are built (migration 0006). The
    # pattern is written into the statement (quoted by the dialect), not bound: a plan
    # the database keeps for a prepared statement and reuses for any pattern could not
    # use these indexes, and would scan the table for every later search.
    pattern = func.lower(literal("%" + _escape_like(text) + "%", literal_execute=True))
    return or_(func.lower(Order.number).like(pattern, escape="/"),
               func.lower(Order.customer_email).like(pattern, escape="/"))


def _escape_like(text: str) -> str:
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


def _position(number: str) -> tuple[datetime, int] | None:
    """Where the order numbered ``number`` stands in the list, as (created_at, id)."""
    if len(number) > 20:
        return None
    row = db.session.execute(
        db.select(Order.created_at, Order.id).where(Order.number == number)
    ).first()
    return (row.created_at, row.id) if row is not None else None


_Key = tuple[datetime, int]  # (created_at, id): an order's place in the list


class _Fetch(Protocol):
    def __call__(self, *, older_than: _Key | None = None, newer_than: _Key | None = None,
                 newest_first: bool = True) -> list[Order]: ...


def _paged(fetch: _Fetch, after: str | None, before: str | None,
           oldest: bool) -> tuple[list[Order], bool, bool] | None:
    """(items, has_newer, has_older); None when paging back reached the top."""
    if after and (cursor := _position(after)) is not None:
        rows = fetch(older_than=cursor)
        return rows[:ORDERS_PER_PAGE], True, len(rows) > ORDERS_PER_PAGE
    if oldest or (before and (cursor := _position(before)) is not None):
        rows = fetch(newer_than=None if oldest else cursor, newest_first=False)
        has_newer = len(rows) > ORDERS_PER_PAGE
        if not has_newer and not oldest:  # back at the top: show a full first page
            return None
        return rows[:ORDERS_PER_PAGE][::-1], has_newer, not oldest
    rows = fetch()
    return rows[:ORDERS_PER_PAGE], False, len(rows) > ORDERS_PER_PAGE


def _newest_keys(criteria: list[ColumnElement[bool]]) -> list[_Key]:
    """The keys of the newest matching orders, newest first: at most one over the limit."""
    return [(row.created_at, row.id) for row in db.session.execute(
        db.select(Order.created_at, Order.id).where(*criteria)
        .order_by(*_NEWEST_FIRST).limit(EXACT_COUNT_LIMIT + 1))]


def _from_keys(keys: list[_Key], *, older_than: _Key | None = None,
               newer_than: _Key | None = None, newest_first: bool = True) -> list[Order]:
    """One more order than a page, cut from all the matching keys (newest first)."""
    chosen = [key for key in keys if (older_than is None or key < older_than)
              and (newer_than is None or key > newer_than)]
    chosen = (chosen if newest_first else chosen[::-1])[:ORDERS_PER_PAGE + 1]
    rows = {order.id: order for order in db.session.execute(
        db.select(Order).where(Order.id.in_([order_id for _, order_id in chosen]))).scalars()}
    return [rows[order_id] for _, order_id in chosen if order_id in rows]


def _from_database(criteria: list[ColumnElement[bool]], *, older_than: _Key | None = None,
                   newer_than: _Key | None = None, newest_first: bool = True) -> list[Order]:
    """One more order than a page, read through the index in the list's order: whether
    the extra one comes back says if there is more that way."""
    query = db.select(Order).where(*criteria)
    if older_than is not None:
        query = query.where(tuple_(Order.created_at, Order.id) < older_than)
    if newer_than is not None:
        query = query.where(tuple_(Order.created_at, Order.id) > newer_than)
    query = query.order_by(*(_NEWEST_FIRST if newest_first else _OLDEST_FIRST))
    return list(db.session.execute(query.limit(ORDERS_PER_PAGE + 1)).scalars())


def _beyond_the_limit(criteria: list[ColumnElement[bool]]) -> tuple[int, bool]:
    """(total, estimated) when more than EXACT_COUNT_LIMIT orders match."""
    if not criteria and db.session.get_bind().dialect.name == "postgresql":
        # The table's size as of its last ANALYZE (autovacuum keeps it close).
        estimate = db.session.execute(db.text(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = '\"order\"'::regclass"
        )).scalar_one()
        if estimate > EXACT_COUNT_LIMIT:
            return int(estimate), True
    return EXACT_COUNT_LIMIT, False
