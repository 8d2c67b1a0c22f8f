"""Applying what Invoicebox says about a payment: paid, canceled, expired, or just created.

:func:`mark_paid` is the one code path for the paid transition. The notification handler
and :func:`sync_payment` (which asks the API itself) both end there, so a payment is
marked paid the same way whichever news arrives first, and exactly once when both do.

The transition is safe against two requests applying it at the same moment (two
identical notifications, or a notification and a status check): the rows are read
``FOR UPDATE`` (a real lock on PostgreSQL) and then changed by conditional ``UPDATE``
statements (``... WHERE status IN ('pending', 'created')``). Only one transaction can
match them, on any database; the loser gets :class:`ConcurrentChange`, rolls back and
evaluates again, and then sees the payment already completed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from .. import gateway
from ..extensions import db
from ..invoicebox import InvoiceboxError, NotFound, kopecks_to_decimal
from ..invoicebox import Order as GatewayOrder
from ..models import Order, Payment, now_utc
from ..states import (
    ORDER_TRANSITIONS,
    PAYMENT_TRANSITIONS,
    OrderStatus,
    PaymentStatus,
    can_transition,
    transition,
)
from .events import record_event
from .locking import ConcurrentChange, locked, retry_on_conflict

log = logging.getLogger(__name__)

# Statuses the paid transition may start from, read off the transition tables.
PAYMENT_PAYABLE = tuple(
    s.value for s, t in PAYMENT_TRANSITIONS.items() if PaymentStatus.COMPLETED in t
)
ORDER_PAYABLE = tuple(s.value for s, t in ORDER_TRANSITIONS.items() if OrderStatus.PAID in t)
ORDER_SETTLED = frozenset(
    {OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}
)
# "success" is not a real order status; the PHP SDK's example uses it (CONTRACT §4.4).
PAID_STATUSES = frozenset({"completed", "success"})
CANCELED_STATUSES = frozenset({"canceled", "cancelled"})

# How long the status page waits for the notification before asking the API, and how
# often it may ask about one order (the API allows 100 requests per 30 s per shop).
SYNC_AFTER_SECONDS = 30
SYNC_INTERVAL_SECONDS = 15


class PaidResult(StrEnum):
    APPLIED = "applied"  # this call marked the payment and its order paid
    REPLAY = "replay"  # this payment was already completed: nothing to do
    ORDER_ALREADY_PAID = "order_already_paid"  # the order was paid by another payment
    CONFLICT = "conflict"  # the payment or order is in a state that cannot become paid


def is_paid(order: Order) -> bool:
    return OrderStatus(order.status) in ORDER_SETTLED


def amount_matches(payment: Payment, amount: Decimal | None, currency: str | None) -> bool:
    """True if the gateway's amount and currency are exactly this payment's, to the kopeck."""
    return (
        amount is not None
        and amount == kopecks_to_decimal(payment.amount)
        and currency == payment.order.currency
    )


def mark_paid(payment: Payment, *, paid_at: datetime | None, source: str) -> PaidResult:
    """Mark ``payment`` completed and its order paid, once. The caller commits.

    The caller has already checked that the gateway reports this payment paid with the
    right amount and currency. ``source`` says who reported it (``notification`` or
    ``status check``) for the order history. Raises :class:`ConcurrentChange` when a
    concurrent transaction got there first (roll back, then call again).
    """
    # Order first, then payment: one lock order everywhere (no deadlocks on PostgreSQL),
    # and a paid order is never seen beside a stale copy of the payment that paid it.
    order = locked(Order, payment.order_id)
    payment = locked(Payment, payment.id)
    if payment.status == PaymentStatus.COMPLETED:
        return PaidResult.REPLAY
    if is_paid(order):
        return PaidResult.ORDER_ALREADY_PAID
    if order.status not in ORDER_PAYABLE or payment.status not in PAYMENT_PAYABLE:
        return PaidResult.CONFLICT
    when = paid_at or now_utc()
    payments_changed = db.session.execute(
        db.update(Payment)
        .where(Payment.id == payment.id, Payment.status.in_(PAYMENT_PAYABLE))
        .values(status=PaymentStatus.COMPLETED.value, paid_at=when, updated_at=now_utc())
    ).rowcount
    orders_changed = db.session.execute(
        db.update(Order)
        .where(Order.id == order.id, Order.status.in_(ORDER_PAYABLE))
        .values(status=OrderStatus.PAID.value, paid_at=when, updated_at=now_utc())
    ).rowcount
    if payments_changed != 1 or orders_changed != 1:
        raise ConcurrentChange(f"order {order.number}: paid concurrently")
    record_event(
        order,
        "paid",
        f"Paid: Invoicebox order {payment.invoicebox_order_id} "
        f"(attempt {payment.attempt}), confirmed by {source}.",
        data={"payment_id": payment.id, "source": source},
    )
    log.info("order %s paid via %s (%s)", order.number, payment.merchant_order_id, source)
    return PaidResult.APPLIED


def mark_closed(payment: Payment, status: str) -> bool:
    """Record that Invoicebox canceled or expired ``payment``; True if anything changed.

    When it was the order's current attempt, the order stops awaiting payment: an
    expired attempt makes the order ``expired``, a canceled one ``new`` (no payable
    Invoicebox order). Either way the buyer can pay again with a fresh attempt.
    """
    target = PaymentStatus.EXPIRED if status == "expired" else PaymentStatus.CANCELED
    # Locked in mark_paid's order: a second copy of the same news waits here and then
    # finds the payment already closed, so the history says it once.
    locked(Order, payment.order_id)
    payment = locked(Payment, payment.id)
    if not can_transition(PaymentStatus(payment.status), target):
        return False
    transition(payment, target)
    order = payment.order
    if order.current_payment is payment and order.status == OrderStatus.AWAITING_PAYMENT:
        expired = target == PaymentStatus.EXPIRED
        transition(order, OrderStatus.EXPIRED if expired else OrderStatus.NEW)
    record_event(
        order,
        f"payment_{target.value}",
        f"Invoicebox order {payment.invoicebox_order_id} (attempt {payment.attempt}) "
        f"is {target.value}.",
        data={"payment_id": payment.id},
    )
    return True


def adopt(payment: Payment, remote: GatewayOrder) -> bool:
    """Take the gateway's id and payment link for ``payment``; True if it was pending.

    A pending attempt becomes ``created`` and its order ``awaiting_payment``.
    """
    if remote.payment_url:
        payment.payment_url = remote.payment_url
    payment.invoicebox_order_id = payment.invoicebox_order_id or remote.id
    if payment.status != PaymentStatus.PENDING:
        return False
    transition(payment, PaymentStatus.CREATED)
    payment.error = None
    order = payment.order
    if order.status in (OrderStatus.NEW, OrderStatus.EXPIRED):
        transition(order, OrderStatus.AWAITING_PAYMENT)
    return True


def apply_gateway_order(payment: Payment, remote: GatewayOrder, *, source: str) -> bool:
    """Bring ``payment`` in line with the gateway's order ``remote``; True if it changed.

    Adopts the gateway's id for a pending attempt, then applies ``completed`` (only with
    the right amount and currency), ``canceled`` and ``expired``. The caller commits.
    """
    changed = adopt(payment, remote)
    if remote.status in PAID_STATUSES:
        if not amount_matches(payment, remote.amount, remote.currency_id):
            log.error(
                "order %s: Invoicebox reports %s paid with %s %s, expected %s kopecks",
                payment.order.number, payment.merchant_order_id,
                remote.amount, remote.currency_id, payment.amount,
            )
            return changed
        return mark_paid(payment, paid_at=remote.paid_at, source=source) == PaidResult.APPLIED \
            or changed
    if remote.status in CANCELED_STATUSES or remote.status == "expired":
        return mark_closed(payment, remote.status) or changed
    return changed


def sync_payment(order: Order) -> bool:
    """Ask Invoicebox about this order's open payment attempts and apply what changed.

    Each ``pending`` or ``created`` attempt is read by its Invoicebox id, or looked up by
    ``merchantOrderId`` when its creation had an unknown outcome, with no transaction
    open. Paid, canceled and expired are applied as a notification would apply them, each
    in a short transaction under the order's lock. Returns whether anything changed;
    commits. A gateway that cannot be reached changes nothing.
    """
    order_id = order.id
    open_attempts = [(p.id, p.invoicebox_order_id, p.merchant_order_id)
                     for p in payments_of(order_id) if p.status in PAYMENT_PAYABLE]
    changed = False
    for payment_id, invoicebox_id, merchant_order_id in open_attempts:
        remote = _read_remote(order_id, invoicebox_id, merchant_order_id)

        def apply(payment_id: int = payment_id, remote: GatewayOrder | None = remote) -> bool:
            locked(Order, order_id)
            payment = locked(Payment, payment_id)
            payment.checked_at = now_utc()
            return remote is not None and apply_gateway_order(payment, remote,
                                                              source="status check")

        changed = retry_on_conflict(apply) or changed
    if changed:
        log.info("order %s: status check applied changes", order_id)
    return changed


def maybe_sync(order: Order, *, waited_seconds: float) -> bool:
    """:func:`sync_payment`, if the buyer has waited long enough and nobody asked lately.

    The notification normally arrives within seconds; only after ``SYNC_AFTER_SECONDS``
    of waiting does the status page ask the API, and at most once per
    ``SYNC_INTERVAL_SECONDS`` per order. The right to ask is claimed with one conditional
    ``UPDATE`` of the attempts' ``checked_at``, so of several pollers (tabs, workers) only
    one asks.
    """
    if waited_seconds < SYNC_AFTER_SECONDS or is_paid(order):
        return False
    now = now_utc()
    claimed = db.session.execute(
        db.update(Payment)
        .where(Payment.order_id == order.id, Payment.status.in_(PAYMENT_PAYABLE))
        .where(db.or_(Payment.checked_at.is_(None),
                      Payment.checked_at <= now - timedelta(seconds=SYNC_INTERVAL_SECONDS)))
        .values(checked_at=now)
    ).rowcount
    db.session.commit()
    return bool(claimed) and sync_payment(order)


def payments_of(order_id: int) -> list[Payment]:
    """The order's attempts as the database has them now, oldest first."""
    return list(db.session.execute(
        db.select(Payment).where(Payment.order_id == order_id).order_by(Payment.attempt)
        .execution_options(populate_existing=True)
    ).scalars())


def _read_remote(order_id: int, invoicebox_id: str | None,
                 merchant_order_id: str) -> GatewayOrder | None:
    with gateway.about(order_id=order_id):
        client = gateway.client()
        try:
            if invoicebox_id:
                return client.get_order(invoicebox_id)
            return client.find_order_by_merchant_order_id(merchant_order_id)
        except NotFound:
            return None
        except InvoiceboxError as exc:
            log.warning("order %s: status check failed: %s", merchant_order_id, exc)
            return None
