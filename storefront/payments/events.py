"""The order's history: one :class:`OrderEvent` row per thing that happened to it.

The staff timeline reads these rows, so the messages are written for people. They name
orders, payment attempts and Invoicebox ids, never personal data, tokens or keys.

Kinds written by the buyer's side of the shop:

``placed``               the buyer's order was saved
``payment_started``      a payment attempt was saved, about to be sent to Invoicebox
``payment_created``      Invoicebox created the order; the buyer can pay
``payment_adopted``      an attempt with an unknown outcome turned out to exist
``payment_failed``       Invoicebox refused the attempt, or it provably never existed
``payment_unknown``      no clear answer from Invoicebox; to be reconciled
``paid``                 the payment was confirmed (notification or status check)
``payment_canceled``     Invoicebox reports the attempt canceled
``payment_expired``      Invoicebox reports the attempt expired
``notification_rejected`` a signed notification about this order was answered with an error
"""

from __future__ import annotations

from typing import Any

from ..extensions import db
from ..models import Order, OrderEvent


def record_event(
    order: Order,
    kind: str,
    message: str,
    *,
    staff_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> OrderEvent:
    """Add an event to ``order``'s history in the current session; the caller commits.

    ``kind`` is a short machine-readable label (see the module docstring), ``message``
    a sentence for the staff timeline, ``staff_id`` the staff member who acted (None
    for the buyer, Invoicebox or the shop itself) and ``data`` any JSON-able details.
    A new order is flushed first so that the event can point at it.
    """
    if order.id is None:
        db.session.flush()
    event = OrderEvent(
        order_id=order.id, kind=kind, message=message, staff_id=staff_id, data=data
    )
    db.session.add(event)
    return event
