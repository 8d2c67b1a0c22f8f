"""Statuses of orders, payments and refunds, and the transitions allowed between them.

Every status change in the shop goes through :func:`transition`, so this module
is the one place that says what can follow what. The database backs it up with
unique constraints; the service layer adds row locks where two requests race.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class OrderStatus(StrEnum):
    """The shop order as the buyer and the staff see it."""

    NEW = "new"  # saved; no payable Invoicebox order yet
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    CANCELED = "canceled"
    EXPIRED = "expired"


class PaymentStatus(StrEnum):
    """One Invoicebox order created for a shop order (an attempt to be paid)."""

    PENDING = "pending"  # request sent, answer not (yet) known
    CREATED = "created"  # payable on the Invoicebox page
    COMPLETED = "completed"
    CANCELED = "canceled"
    EXPIRED = "expired"
    FAILED = "failed"  # Invoicebox refused it, or reconciliation proved it absent


class RefundStatus(StrEnum):
    PENDING = "pending"  # request sent, answer not (yet) known
    CREATED = "created"  # accepted by Invoicebox, money on its way
    COMPLETED = "completed"
    CANCELED = "canceled"
    REJECTED = "rejected"  # Invoicebox refused it, or reconciliation proved it absent


ORDER_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.NEW: frozenset(
        {OrderStatus.AWAITING_PAYMENT, OrderStatus.CANCELED, OrderStatus.PAID}
    ),
    OrderStatus.AWAITING_PAYMENT: frozenset(
        {OrderStatus.PAID, OrderStatus.CANCELED, OrderStatus.EXPIRED, OrderStatus.NEW}
    ),
    # An expired order may be paid again through a fresh Invoicebox order.
    OrderStatus.EXPIRED: frozenset({OrderStatus.AWAITING_PAYMENT, OrderStatus.CANCELED}),
    OrderStatus.PAID: frozenset({OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}),
    OrderStatus.PARTIALLY_REFUNDED: frozenset(
        {OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}
    ),
    OrderStatus.REFUNDED: frozenset(),
    OrderStatus.CANCELED: frozenset(),
}

PAYMENT_TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    PaymentStatus.PENDING: frozenset(
        {PaymentStatus.CREATED, PaymentStatus.FAILED, PaymentStatus.COMPLETED,
         PaymentStatus.CANCELED, PaymentStatus.EXPIRED}
    ),
    PaymentStatus.CREATED: frozenset(
        {PaymentStatus.COMPLETED, PaymentStatus.CANCELED, PaymentStatus.EXPIRED}
    ),
    PaymentStatus.COMPLETED: frozenset(),
    PaymentStatus.CANCELED: frozenset(),
    PaymentStatus.EXPIRED: frozenset(),
    PaymentStatus.FAILED: frozenset(),
}

REFUND_TRANSITIONS: dict[RefundStatus, frozenset[RefundStatus]] = {
    RefundStatus.PENDING: frozenset(
        {RefundStatus.CREATED, RefundStatus.COMPLETED, RefundStatus.CANCELED,
         RefundStatus.REJECTED}
    ),
    RefundStatus.CREATED: frozenset({RefundStatus.COMPLETED, RefundStatus.CANCELED}),
    RefundStatus.COMPLETED: frozenset(),
    RefundStatus.CANCELED: frozenset(),
    RefundStatus.REJECTED: frozenset(),
}

_TABLES: dict[type[StrEnum], dict[Any, frozenset[Any]]] = {
    OrderStatus: ORDER_TRANSITIONS,
    PaymentStatus: PAYMENT_TRANSITIONS,
    RefundStatus: REFUND_TRANSITIONS,
}

# What the buyer and the staff read for each order status.
ORDER_STATUS_LABELS: dict[OrderStatus, str] = {
    OrderStatus.NEW: "not sent to payment",
    OrderStatus.AWAITING_PAYMENT: "awaiting payment",
    OrderStatus.PAID: "paid",
    OrderStatus.PARTIALLY_REFUNDED: "partially refunded",
    OrderStatus.REFUNDED: "refunded",
    OrderStatus.CANCELED: "canceled",
    OrderStatus.EXPIRED: "expired",
}


class InvalidTransition(Exception):
    def __init__(self, entity: str, current: str, target: str) -> None:
        super().__init__(f"{entity}: {current} -> {target} is not allowed")
        self.current = current
        self.target = target


def can_transition(current: StrEnum, target: StrEnum) -> bool:
    return target in _TABLES[type(current)][current]


def transition(entity: Any, target: StrEnum) -> bool:
    """Move ``entity.status`` to ``target``.

    Returns False when the entity already is in ``target`` (a repeated event is
    not an error), True when the status changed. Raises :class:`InvalidTransition`
    for a move the tables above do not allow.
    """
    status_type = type(target)
    current = status_type(entity.status)
    if current == target and target not in _TABLES[status_type][current]:
        return False
    if not can_transition(current, target):
        raise InvalidTransition(type(entity).__name__, current.value, target.value)
    entity.status = target.value
    return True
