"""Statuses of orders, payments and refunds, and the transitions allowed between them.

Every status change in the shop goes through :func:`transition`, so this module is the
one place that says what can follow what, and the one place that names sets of statuses
("payable", "cancelable", ...): each set is read off the transition tables below, so it
cannot drift from them. It is also the one place where the gateway's statuses (the
client's :class:`GatewayOrderStatus` and :class:`GatewayRefundStatus`) become the
shop's. The database backs the tables up with unique constraints; the service layer
adds row locks where two requests race.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from .invoicebox import GatewayOrderStatus, GatewayRefundStatus, GatewayShipmentStatus


class OrderStatus(StrEnum):
    """The shop order as the buyer and the staff see it."""

    NEW = "new"  # saved; no payable Invoicebox order yet
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    # Paid with a guarantee (Invoicebox's "hold"): the money is reserved, and charged when
    # the goods are shipped; a reversal cancels it (CONTRACT §4.1).
    AWAITING_SHIPMENT = "awaiting_shipment"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    CANCELED = "canceled"
    EXPIRED = "expired"
    # Paid, but with shipment control on the goods could not be taken from stock: the shop
    # answered ``shipping_unavailable`` and the money goes back in full (a reversal).
    UNDELIVERABLE = "undeliverable"
    # Held as a guarantee, but with shipment control on the goods could not be taken from
    # stock: answered ``shipping_unavailable``; the guarantee is reversed by a ``DELETE``.
    HOLD_UNDELIVERABLE = "hold_undeliverable"


class PaymentStatus(StrEnum):
    """One Invoicebox order created for a shop order (an attempt to be paid)."""

    PENDING = "pending"  # request sent, answer not (yet) known
    CREATED = "created"  # payable on the Invoicebox page
    HOLD = "hold"  # paid with a guarantee: reserved until the final shipment charges it
    COMPLETED = "completed"
    CANCELED = "canceled"
    EXPIRED = "expired"
    FAILED = "failed"  # Invoicebox refused it, or reconciliation proved it absent


class RefundStatus(StrEnum):
    PENDING = "pending"  # request sent, answer not (yet) known
    # Accepted by Invoicebox as a draft, a refund that keeps a fee: nothing is paid out
    # until its correction order (the fee) is created (CONTRACT §7.9).
    DRAFT = "draft"
    CREATED = "created"  # accepted by Invoicebox, money on its way
    COMPLETED = "completed"
    CANCELED = "canceled"
    REJECTED = "rejected"  # Invoicebox refused it, or reconciliation proved it absent


class RefundRequestStatus(StrEnum):
    """A buyer's request for a refund: the shop's own word, never sent to Invoicebox."""

    OPEN = "open"  # waiting for staff (at most one per order)
    ISSUED = "issued"  # staff issued the refund it asked for (linked to it)
    DECLINED = "declined"  # staff said no, with a message to the buyer

class ShipmentStatus(StrEnum):
    """A shipment registered with Invoicebox for a paid order (CONTRACT §2.10, §4.3)."""

    SENDING = "sending"  # saved and sent; the answer is not (yet) known
    DRAFT = "draft"  # accepted by Invoicebox
    PROCESSING = "processing"  # Invoicebox's "pending": documents being made
    COMPLETED = "completed"  # documents issued (the receipt or the UPD)
    CANCELED = "canceled"  # canceled by Invoicebox: it no longer counts as shipped
    REJECTED = "rejected"  # refused by Invoicebox, or provably never made


ORDER_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.NEW: frozenset(
        {OrderStatus.AWAITING_PAYMENT, OrderStatus.CANCELED, OrderStatus.PAID,
         OrderStatus.AWAITING_SHIPMENT}
    ),
    OrderStatus.AWAITING_PAYMENT: frozenset(
        {OrderStatus.PAID, OrderStatus.CANCELED, OrderStatus.EXPIRED, OrderStatus.NEW,
         OrderStatus.AWAITING_SHIPMENT}
    ),
    # The final shipment charges the guarantee; a reversal (DELETE) cancels it. With
    # shipment control on, the hold finds the goods short and moves on to
    # hold_undeliverable in the same transaction (storefront/payments/stock.py).
    OrderStatus.AWAITING_SHIPMENT: frozenset(
        {OrderStatus.PAID, OrderStatus.CANCELED, OrderStatus.HOLD_UNDELIVERABLE}
    ),
    # The runner's DELETE reverses the guarantee (storefront/payments/reversals.py).
    OrderStatus.HOLD_UNDELIVERABLE: frozenset({OrderStatus.CANCELED}),
    # An expired order may be paid again through a fresh Invoicebox order.
    OrderStatus.EXPIRED: frozenset({OrderStatus.AWAITING_PAYMENT, OrderStatus.CANCELED}),
    # With shipment control on, the paid transition finds the goods short and moves on
    # to undeliverable in the same transaction (storefront/payments/stock.py).
    OrderStatus.PAID: frozenset(
        {OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED, OrderStatus.UNDELIVERABLE}
    ),
    # Refunded in full by the reversal (the reconcile runner issues it).
    OrderStatus.UNDELIVERABLE: frozenset({OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}),
    OrderStatus.PARTIALLY_REFUNDED: frozenset(
        {OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}
    ),
    OrderStatus.REFUNDED: frozenset(),
    OrderStatus.CANCELED: frozenset(),
}

PAYMENT_TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    PaymentStatus.PENDING: frozenset(
        {PaymentStatus.CREATED, PaymentStatus.FAILED, PaymentStatus.COMPLETED,
         PaymentStatus.CANCELED, PaymentStatus.EXPIRED, PaymentStatus.HOLD}
    ),
    PaymentStatus.CREATED: frozenset(
        {PaymentStatus.COMPLETED, PaymentStatus.CANCELED, PaymentStatus.EXPIRED,
         PaymentStatus.HOLD}
    ),
    PaymentStatus.HOLD: frozenset({PaymentStatus.COMPLETED, PaymentStatus.CANCELED}),
    PaymentStatus.COMPLETED: frozenset(),
    PaymentStatus.CANCELED: frozenset(),
    PaymentStatus.EXPIRED: frozenset(),
    PaymentStatus.FAILED: frozenset(),
}

REFUND_TRANSITIONS: dict[RefundStatus, frozenset[RefundStatus]] = {
    RefundStatus.PENDING: frozenset(
        {RefundStatus.DRAFT, RefundStatus.CREATED, RefundStatus.COMPLETED,
         RefundStatus.CANCELED, RefundStatus.REJECTED}
    ),
    # The correction order makes the draft a refund like any other; a draft that can never
    # have one (Invoicebox canceled it, or refused the correction order) is canceled.
    RefundStatus.DRAFT: frozenset({RefundStatus.CREATED, RefundStatus.CANCELED}),
    RefundStatus.CREATED: frozenset({RefundStatus.COMPLETED, RefundStatus.CANCELED}),
    RefundStatus.COMPLETED: frozenset(),
    RefundStatus.CANCELED: frozenset(),
    RefundStatus.REJECTED: frozenset(),
}

REFUND_REQUEST_TRANSITIONS: dict[RefundRequestStatus, frozenset[RefundRequestStatus]] = {
    RefundRequestStatus.OPEN: frozenset(
        {RefundRequestStatus.ISSUED, RefundRequestStatus.DECLINED}
    ),
    # Back to staff when the refund it led to was never made: withdrawn before it was
    # sent, or refused by Invoicebox.
    RefundRequestStatus.ISSUED: frozenset({RefundRequestStatus.OPEN}),
    RefundRequestStatus.DECLINED: frozenset(),
}

SHIPMENT_TRANSITIONS: dict[ShipmentStatus, frozenset[ShipmentStatus]] = {
    ShipmentStatus.SENDING: frozenset(
        {ShipmentStatus.DRAFT, ShipmentStatus.PROCESSING, ShipmentStatus.COMPLETED,
         ShipmentStatus.CANCELED, ShipmentStatus.REJECTED}
    ),
    ShipmentStatus.DRAFT: frozenset(
        {ShipmentStatus.PROCESSING, ShipmentStatus.COMPLETED, ShipmentStatus.CANCELED}
    ),
    ShipmentStatus.PROCESSING: frozenset({ShipmentStatus.COMPLETED, ShipmentStatus.CANCELED}),
    ShipmentStatus.COMPLETED: frozenset(),
    ShipmentStatus.CANCELED: frozenset(),
    ShipmentStatus.REJECTED: frozenset(),
}


def _can_reach(table: dict[Any, frozenset[Any]], targets: Iterable[Any]) -> frozenset[Any]:
    """The statuses from which one of ``targets`` can be reached, in one or more steps."""
    found: set[Any] = set()
    frontier = set(targets)
    while frontier:
        frontier = {s for s, nexts in table.items() if nexts & frontier} - found
        found |= frontier
    return frozenset(found)


def _reachable(table: dict[Any, frozenset[Any]], start: Any) -> frozenset[Any]:
    """``start`` and every status that can follow it."""
    found, frontier = {start}, {start}
    while frontier:
        frontier = set().union(*(table[s] for s in frontier)) - found
        found |= frontier
    return frozenset(found)


# -- named sets, read off the tables --------------------------------------------------------

# A guarantee payment, and the order it paid: the money is reserved, not yet charged.
PAYMENT_HELD = frozenset({PaymentStatus.HOLD})
ORDER_HELD = frozenset({OrderStatus.AWAITING_SHIPMENT})
# A payment attempt the buyer can still complete at Invoicebox (at most one per order).
PAYMENT_PAYABLE = frozenset(s for s, t in PAYMENT_TRANSITIONS.items()
                            if PaymentStatus.COMPLETED in t) - PAYMENT_HELD
# An order the notification or a status check may mark paid right now.
ORDER_PAYABLE = frozenset(s for s, t in ORDER_TRANSITIONS.items()
                          if OrderStatus.PAID in t) - ORDER_HELD
# An order the buyer can still pay, if need be through a new attempt.
ORDER_OPEN = _can_reach(ORDER_TRANSITIONS, {OrderStatus.PAID}) - ORDER_HELD
# An order that was paid: paid (a guarantee too), and whatever a refund makes of it.
ORDER_PAID = _reachable(ORDER_TRANSITIONS, OrderStatus.PAID) | ORDER_HELD
# Answered ``shipping_unavailable`` (shipment control): the money goes back by itself, a
# paid order's by a full refund, a guarantee's by a DELETE, each carried out by the runner.
ORDER_UNDELIVERABLE = frozenset({OrderStatus.UNDELIVERABLE, OrderStatus.HOLD_UNDELIVERABLE})
# The status the paid transition or the hold moves an order to when it cannot be delivered.
UNDELIVERABLE_AFTER: dict[OrderStatus, OrderStatus] = {
    OrderStatus.PAID: OrderStatus.UNDELIVERABLE,
    OrderStatus.AWAITING_SHIPMENT: OrderStatus.HOLD_UNDELIVERABLE,
}
# Canceled before payment; a held order is canceled by reversing its guarantee instead,
# and an undeliverable one only by the runner's reversal.
ORDER_CANCELABLE = frozenset(s for s, t in ORDER_TRANSITIONS.items()
                             if OrderStatus.CANCELED in t) - ORDER_HELD - ORDER_UNDELIVERABLE
ORDER_REVERSIBLE = frozenset(s for s in ORDER_HELD
                             if OrderStatus.CANCELED in ORDER_TRANSITIONS[s])
ORDER_REFUNDABLE = frozenset(
    s for s, t in ORDER_TRANSITIONS.items()
    if t & {OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}
)
REFUND_FINAL = frozenset(s for s, t in REFUND_TRANSITIONS.items() if not t)
REFUND_OPEN = frozenset(REFUND_TRANSITIONS) - REFUND_FINAL
# A refund that took its amount from what is refundable: completed, or it may still be.
REFUND_TAKES_AMOUNT = (_can_reach(REFUND_TRANSITIONS, {RefundStatus.COMPLETED})
                       | {RefundStatus.COMPLETED})
# A refund Invoicebox pays out (or paid out): a draft is not paid until its fee is kept.
REFUND_PAID_OUT = _reachable(REFUND_TRANSITIONS, RefundStatus.CREATED) - {RefundStatus.CANCELED}
# A paid order whose goods may still be shipped (refunds do not stop what was paid for).
# Not an undeliverable one: its money goes back instead.
ORDER_SHIPPABLE = (ORDER_REFUNDABLE - {OrderStatus.UNDELIVERABLE}) | ORDER_HELD
SHIPMENT_FINAL = frozenset(s for s, t in SHIPMENT_TRANSITIONS.items() if not t)
# Shipments the runner keeps reading until they end.
SHIPMENT_OPEN = frozenset(SHIPMENT_TRANSITIONS) - SHIPMENT_FINAL
# Shipments whose quantities count as shipped: all but those that ended without shipping.
SHIPMENT_COUNTED = frozenset(SHIPMENT_TRANSITIONS) - {ShipmentStatus.CANCELED,
                                                      ShipmentStatus.REJECTED}


# -- the gateway's statuses, in the shop's words --------------------------------------------

_PAYMENT_FOR_GATEWAY: dict[GatewayOrderStatus, PaymentStatus] = {
    GatewayOrderStatus.CREATED: PaymentStatus.CREATED,
    GatewayOrderStatus.COMPLETED: PaymentStatus.COMPLETED,
    GatewayOrderStatus.HOLD: PaymentStatus.HOLD,
    GatewayOrderStatus.CANCELED: PaymentStatus.CANCELED,
    GatewayOrderStatus.EXPIRED: PaymentStatus.EXPIRED,
}
_REFUND_FOR_GATEWAY: dict[GatewayRefundStatus, RefundStatus] = {
    GatewayRefundStatus.DRAFT: RefundStatus.DRAFT,
    GatewayRefundStatus.CREATED: RefundStatus.CREATED,
    GatewayRefundStatus.COMPLETED: RefundStatus.COMPLETED,
    GatewayRefundStatus.CANCELED: RefundStatus.CANCELED,
}


_SHIPMENT_FOR_GATEWAY: dict[GatewayShipmentStatus, ShipmentStatus] = {
    GatewayShipmentStatus.DRAFT: ShipmentStatus.DRAFT,
    GatewayShipmentStatus.PENDING: ShipmentStatus.PROCESSING,
    GatewayShipmentStatus.COMPLETED: ShipmentStatus.COMPLETED,
    GatewayShipmentStatus.CANCELED: ShipmentStatus.CANCELED,
}


def shipment_status_for(gateway_status: str | None) -> ShipmentStatus | None:
    """The shop's status for a shipment status Invoicebox reports; None for an unknown one.
    A shipment answered without a status (the documented response has none) is ``draft``."""
    if gateway_status is None:
        return ShipmentStatus.DRAFT
    known = GatewayShipmentStatus.read(gateway_status)
    return _SHIPMENT_FOR_GATEWAY.get(known) if known is not None else None


def payment_status_for(gateway_status: str | None) -> PaymentStatus | None:
    """What an Invoicebox order's status means for the attempt it pays; None for a status
    the shop does not act on (``draft``) or has never heard of."""
    known = GatewayOrderStatus.read(gateway_status)
    return _PAYMENT_FOR_GATEWAY.get(known) if known is not None else None


def refund_status_for(gateway_status: str | None) -> RefundStatus | None:
    """The shop's status for a refund status Invoicebox reports; None for an unknown one."""
    known = GatewayRefundStatus.read(gateway_status)
    return _REFUND_FOR_GATEWAY.get(known) if known is not None else None


_TABLES: dict[type[StrEnum], dict[Any, frozenset[Any]]] = {
    OrderStatus: ORDER_TRANSITIONS,
    PaymentStatus: PAYMENT_TRANSITIONS,
    RefundStatus: REFUND_TRANSITIONS,
    RefundRequestStatus: REFUND_REQUEST_TRANSITIONS,
    ShipmentStatus: SHIPMENT_TRANSITIONS,
}

# What the buyer and the staff read for each order status, in their language.
ORDER_STATUS_LABELS: dict[OrderStatus, LazyString] = {
    OrderStatus.NEW: _l("not sent to payment"),
    OrderStatus.AWAITING_PAYMENT: _l("awaiting payment"),
    OrderStatus.PAID: _l("paid"),
    OrderStatus.AWAITING_SHIPMENT: _l("paid, awaiting shipment"),
    OrderStatus.PARTIALLY_REFUNDED: _l("partially refunded"),
    OrderStatus.REFUNDED: _l("refunded"),
    OrderStatus.CANCELED: _l("canceled"),
    OrderStatus.EXPIRED: _l("expired"),
    OrderStatus.UNDELIVERABLE: _l("not deliverable, money going back"),
    OrderStatus.HOLD_UNDELIVERABLE: _l("not deliverable, guarantee being released"),
}


# What staff read for each payment status, and for the refund statuses that payments
# do not share.
PAYMENT_STATUS_LABELS: dict[str, LazyString] = {
    PaymentStatus.PENDING: _l("pending"),
    PaymentStatus.CREATED: _l("created"),
    PaymentStatus.HOLD: _l("held as a guarantee"),
    PaymentStatus.COMPLETED: _l("completed"),
    PaymentStatus.CANCELED: _l("canceled"),
    PaymentStatus.EXPIRED: _l("expired"),
    PaymentStatus.FAILED: _l("failed"),
    RefundStatus.REJECTED: _l("rejected"),
    RefundStatus.DRAFT: _l("draft"),
}

# What staff and the buyer read for each shipment status.
SHIPMENT_STATUS_LABELS: dict[ShipmentStatus, LazyString] = {
    ShipmentStatus.SENDING: _l("sent, awaiting Invoicebox's answer"),
    ShipmentStatus.DRAFT: _l("registered"),
    ShipmentStatus.PROCESSING: _l("documents being issued"),
    ShipmentStatus.COMPLETED: _l("shipped, documents issued"),
    ShipmentStatus.CANCELED: _l("canceled by Invoicebox"),
    ShipmentStatus.REJECTED: _l("refused"),
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
