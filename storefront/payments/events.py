"""The order's history: one :class:`OrderEvent` row per thing that happened to it.

The staff timeline reads these rows, so the messages are written for people. They name
orders, payment attempts and Invoicebox ids, never personal data, tokens or keys.

Each row's ``kind`` is one of :class:`EventKind`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from ..extensions import db
from ..invoicebox import ApiError, InvoiceboxError
from ..models import Order, OrderEvent, append


class EventKind(StrEnum):
    """What happened to an order. These are the shop's own words, stored with each event:
    a kind that spells like a status (``payment_canceled``) names the event, not the
    status."""

    PLACED = "placed"  # the buyer's order was saved
    PAYMENT_STARTED = "payment_started"  # an attempt was saved, about to be sent
    PAYMENT_CREATED = "payment_created"  # Invoicebox created it; the buyer can pay
    PAYMENT_ADOPTED = "payment_adopted"  # an attempt with an unknown outcome exists after all
    PAYMENT_FAILED = "payment_failed"  # refused by Invoicebox, or provably never made
    PAYMENT_UNKNOWN = "payment_unknown"  # no clear answer; looked up before any retry
    PAID = "paid"  # the payment was confirmed (notification or status check)
    HELD = "held"  # paid as a guarantee: reserved until the final shipment
    HOLD_CHARGED = "hold_charged"  # the final shipment charged the guarantee
    HOLD_REVERSED = "hold_reversed"  # the guarantee was reversed (canceled) in full
    PAYMENT_CANCELED = "payment_canceled"  # Invoicebox reports the attempt canceled
    PAYMENT_EXPIRED = "payment_expired"  # Invoicebox reports the attempt expired
    NOTIFICATION_REJECTED = "notification_rejected"  # a signed notification got an error
    ORDER_CANCELED = "order_canceled"  # staff canceled the order
    ORDER_STATUS = "status"  # the order became partially refunded or refunded
    REFUND_CREATED = "refund_created"  # Invoicebox accepted a refund
    REFUND_COMPLETED = "refund_completed"  # the money is back with the buyer
    REFUND_CANCELED = "refund_canceled"  # Invoicebox canceled a refund
    REFUND_REJECTED = "refund_rejected"  # refused, or provably never made
    REFUND_UNCONFIRMED = "refund_unconfirmed"  # sent; Invoicebox's answer was lost
    REFUND_REQUESTED = "refund_requested"  # the buyer asked for a refund
    REFUND_REQUEST_DECLINED = "refund_request_declined"  # staff declined the buyer's request
    REFUND_DRAFTED = "refund_drafted"  # a refund keeping a fee is a draft at Invoicebox
    CORRECTION_UNCONFIRMED = "correction_unconfirmed"  # the fee's correction order: no answer
    STOCK_TAKEN = "stock_taken"  # the paid order's goods were taken from stock
    STOCK_SHORT = "stock_short"  # paid, but not enough stock: staff refund or back-order
    UNDELIVERABLE = "undeliverable"  # shipment control: shipping_unavailable, money goes back
    REVERSAL_ISSUED = "reversal_issued"  # the runner sent the undeliverable order's refund
    REVERSAL_FAILED = "reversal_failed"  # it could not (yet): tried again, then staff act
    SHIPMENT_CREATED = "shipment_created"  # Invoicebox registered a shipment
    SHIPMENT_COMPLETED = "shipment_completed"  # its closing documents were issued
    SHIPMENT_CANCELED = "shipment_canceled"  # Invoicebox canceled it; its units are free
    SHIPMENT_REJECTED = "shipment_rejected"  # refused, or provably never made
    SHIPMENT_UNCONFIRMED = "shipment_unconfirmed"  # sent; Invoicebox's answer was lost


def record_event(
    order: Order,
    kind: EventKind,
    message: str,
    *,
    staff_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> OrderEvent:
    """Add an event to ``order``'s history in the current session; the caller commits.

    ``kind`` says what happened, ``message``
    a sentence for the staff timeline, ``staff_id`` the staff member who acted (None
    for the buyer, Invoicebox or the shop itself) and ``data`` any JSON-able details.
    A new order is flushed first so that the event can point at it; the event itself is
    inserted at once (:func:`~storefront.models.append`).
    """
    if order.id is None:
        db.session.flush()
    event = OrderEvent(
        order_id=order.id, kind=kind, message=message, staff_id=staff_id, data=data
    )
    append(event)
    return event


def refusal_message(error: InvoiceboxError, what: str, refused: str | None = None) -> str:
    """What staff read when Invoicebox, or the client before sending, refused ``what``
    (``refused``: how the refusal names it, if not the same): the message and every
    field's own message."""
    if not isinstance(error, ApiError):
        return f"The {what} was not sent: {error.message}."
    details = "; ".join(field.message for field in error.fields if field.message)
    text = f"Invoicebox refused the {refused or what}: {error.message}"
    return f"{text} ({details})." if details else f"{text}."
