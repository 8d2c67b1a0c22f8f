"""Read-only look-ups behind the staff pages.

The orders list stays fast however many orders there are (measured up to a million by
``make bench-scale``):

* Pages are keyset pages: newest first by ``(created_at, id)``, each page the orders
  older (or newer) than one order named in the link, read through an index in that order
  with or without a status. No ``OFFSET``, so the last page costs what the first does.
* The total is counted exactly up to :data:`EXACT_COUNT_LIMIT`; above it the page says
  "more than" that, or, for the whole list on PostgreSQL, the planner's estimate.
* A search for a whole order number or e-mail finds it by equality through the btree
  indexes; any other text is matched as a part of either, case-insensitively and
  literally, through trigram indexes on PostgreSQL (a scan on SQLite).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, literal, or_, tuple_

from ..extensions import db
from ..models import Order
from ..request_log import note
from ..states import OrderStatus

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

    @property
    def total_label(self) -> str:
        """"3 orders", "about 1,204,000 orders", "more than 1,000 orders"."""
        noun = "order" if self.total == 1 else "orders"
        if self.total_exact:
            return f"{self.total:,} {noun}"
        if self.total_estimated:
            return f"about {self.total:,} {noun}"
        return f"more than {self.total:,} {noun}"


def orders_page(status: str | None, search: str | None, *, after: str | None = None,
                before: str | None = None, oldest: bool = False) -> OrdersPage:
    """The page of matching orders after (older than) or before (newer than) an order.

    ``after`` and ``before`` are order numbers from the page's links; an unknown one
    gives the first page. ``oldest`` gives the last page. Only one of them is used, in
    that order of precedence.
    """
    criteria = _criteria(status, search)
    query = db.select(Order).where(*criteria)
    if after and (cursor := _position(after)) is not None:
        rows = _fetch(query.where(tuple_(Order.created_at, Order.id) < cursor)
                      .order_by(*_NEWEST_FIRST))
        items, has_newer, has_older = rows[:ORDERS_PER_PAGE], True, len(rows) > ORDERS_PER_PAGE
    elif (before and (cursor := _position(before)) is not None) or oldest:
        if not oldest:
            query = query.where(tuple_(Order.created_at, Order.id) > cursor)
        rows = _fetch(query.order_by(*_OLDEST_FIRST))
        items = rows[:ORDERS_PER_PAGE][::-1]
        has_newer, has_older = len(rows) > ORDERS_PER_PAGE, not oldest
        if not has_newer and not oldest:  # back at the top: show a full first page
            return orders_page(status, search)
    else:
        rows = _fetch(query.order_by(*_NEWEST_FIRST))
        items, has_newer, has_older = rows[:ORDERS_PER_PAGE], False, len(rows) > ORDERS_PER_PAGE
    total, exact, estimated = _total(criteria)
    return OrdersPage(
        items=items,
        newer=items[0].number if items and has_newer else None,
        older=items[-1].number if items and has_older else None,
        total=total, total_exact=exact, total_estimated=estimated,
    )


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


def _fetch(query: Select[tuple[Order]]) -> list[Order]:
    """One more row than a page: whether it comes back says if there is more that way."""
    return list(db.session.execute(query.limit(ORDERS_PER_PAGE + 1)).scalars())


def _total(criteria: list[ColumnElement[bool]]) -> tuple[int, bool, bool]:
    """(count, exact, estimated): exact up to EXACT_COUNT_LIMIT, cheap above it."""
    capped = db.select(Order.id).where(*criteria).limit(EXACT_COUNT_LIMIT + 1).subquery()
    count = db.session.execute(db.select(func.count()).select_from(capped)).scalar_one()
    if count <= EXACT_COUNT_LIMIT:
        return count, True, False
    if not criteria and db.session.get_bind().dialect.name == "postgresql":
        # The table's size as of its last ANALYZE (autovacuum keeps it close).
        estimate = db.session.execute(db.text(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = '\"order\"'::regclass"
        )).scalar_one()
        if estimate > EXACT_COUNT_LIMIT:
            return int(estimate), False, True
    return EXACT_COUNT_LIMIT, False, False
