"""Read-only look-ups behind the staff pages."""

from __future__ import annotations

from sqlalchemy import Select, or_

from ..extensions import db
from ..models import Order
from ..request_log import note
from ..states import OrderStatus

ORDERS_PER_PAGE = 25
# Far beyond any shop's list, and small enough that its OFFSET never overflows.
MAX_PAGE = 1_000_000


def orders_query(status: str | None, search: str | None) -> Select[tuple[Order]]:
    """Newest orders first, optionally of one status and matching a number or an email.

    The search text is matched literally (``%`` and ``_`` are not wildcards).
    """
    query = db.select(Order).order_by(Order.created_at.desc(), Order.id.desc())
    if status in {s.value for s in OrderStatus}:
        query = query.where(Order.status == status)
    text = (search or "").strip()
    if text:
        query = query.where(
            or_(
                Order.number.icontains(text, autoescape=True),
                Order.customer_email.icontains(text, autoescape=True),
            )
        )
    return query


def order_by_number(number: str) -> Order:
    order = db.one_or_404(db.select(Order).where(Order.number == number))
    note(order_id=order.id)
    return order
