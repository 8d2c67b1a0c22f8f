"""The payment's transitions: paid, canceled, expired, or just created at Invoicebox.

:func:`mark_paid` is the one code path for the paid transition. The notification handler
and :func:`sync_payment` (which asks the API itself) both end there, so a payment is
marked paid the same way whichever news arrives first, and exactly once when both do.

The transition is safe against two requests applying it at the same moment (two
identical notifications, or a notification and a status check): the rows are locked (see
:mod:`.locking`) and then changed by conditional ``UPDATE`` statements (``... WHERE status
IN`` the payable statuses). Only one transaction can match them, on any database; the
loser gets :class:`ConcurrentChange`, rolls back and evaluates again, and then sees the
payment already completed. Every function here works inside the caller's transaction:
the caller commits.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from functools import cache

from sqlalchemy import Table, Update, bindparam
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..invoicebox import Order as GatewayOrder
from ..invoicebox import kopecks_to_decimal
from ..mail import queue_payment_received
from ..models import Order, Payment, now_utc
from ..states import (
    ORDER_OPEN,
    ORDER_PAID,
    ORDER_PAYABLE,
    PAYMENT_PAYABLE,
    OrderStatus,
    PaymentStatus,
    can_transition,
    payment_status_for,
    transition,
)
from .events import EventKind, record_event
from .holds import HoldResult, apply_hold_news, concerns_hold
from .locking import ConcurrentChange, locked
from .stock import StockOutcome, settle_stock

log = logging.getLogger(__name__)

# The outcomes mark_closed records: Invoicebox will not take a payment for the attempt.
CLOSED = frozenset({PaymentStatus.CANCELED, PaymentStatus.EXPIRED})


class PaidResult(StrEnum):
    APPLIED = "applied"  # this call marked the payment and its order paid
    REPLAY = "replay"  # this payment was already completed: nothing to do
    ORDER_ALREADY_PAID = "order_already_paid"  # the order was paid by another payment
    CONFLICT = "conflict"  # the payment or order is in a state that cannot become paid
    UNDELIVERABLE = "undeliverable"  # paid, but its goods are not there (shipment control)


def is_paid(order: Order) -> bool:
    """The order was paid (and may have been refunded since)."""
    return order.status in ORDER_PAID


def amount_matches(payment: Payment, amount: Decimal | None, currency: str | None) -> bool:
    """True if the gateway's amount and currency are exactly this payment's, to the kopeck."""
    return (
        amount is not None
        and amount == kopecks_to_decimal(payment.amount)
        and currency == payment.order.currency
    )


def mark_paid(payment: Payment, *, paid_at: datetime | None, source: str,
              checked_by: str | None = None) -> PaidResult:
    """Mark ``payment`` completed and its order paid, once. The caller commits.

    The caller has already checked that the gateway reports this payment paid with the
    right amount and currency. ``source`` says who reported it (``notification`` or
    ``status check``) for the order history; ``checked_by``, if given, is recorded as the
    payment's latest news (``checked_at``, ``checked_by``) in the same ``UPDATE``. Raises
    :class:`ConcurrentChange` when a concurrent transaction got there first (roll back,
    then call again).
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
    when, now = paid_at or now_utc(), now_utc()
    checked = {"checked_at": now, "checked_by": checked_by} if checked_by else {}
    if not (_move(payment, PAYMENT_PAYABLE, status=PaymentStatus.COMPLETED.value,
                  paid_at=when, updated_at=now, **checked)
            and _move(order, ORDER_PAYABLE, status=OrderStatus.PAID.value,
                      paid_at=when, updated_at=now)):
        raise ConcurrentChange(f"order {order.number}: paid concurrently")
    record_event(
        order,
        EventKind.PAID,
        f"Paid: Invoicebox order {payment.invoicebox_order_id} "
        f"(attempt {payment.attempt}), confirmed by {source}.",
        data={"payment_id": payment.id, "source": source},
    )
    if settle_stock(order, payment) is StockOutcome.REFUSED:  # see .stock
        return PaidResult.UNDELIVERABLE
    queue_payment_received(order)  # the buyer's mail, committed with the transition
    log.info("order %s paid via %s (%s)", order.number, payment.merchant_order_id, source)
    return PaidResult.APPLIED


def _move(row: Order | Payment, allowed: frozenset[str], **values: object) -> bool:
    """``UPDATE`` ``row`` to ``values`` only while its status is one of ``allowed``; True
    if it was.

    The condition is what lets exactly one of two racing transactions through on any
    database (SQLite has no row locks). A plain statement on the table, not the ORM's
    bulk update, and the session's copy takes the values as already written.
    """
    changed = db.session.execute(
        _guarded_update(type(row).__table__),
        {"row_id": row.id, "allowed": sorted(str(s) for s in allowed), **values},
    ).rowcount
    if changed != 1:
        return False
    for name, value in values.items():
        set_committed_value(row, name, value)
    return True


@cache
def _guarded_update(table: Table) -> Update:
    """``UPDATE table SET <the parameters' columns> WHERE id = :row_id AND status IN
    :allowed``, built once per table."""
    return table.update().where(table.c.id == bindparam("row_id"),
                                table.c.status.in_(bindparam("allowed", expanding=True)))


def mark_closed(payment: Payment, target: PaymentStatus) -> bool:
    """Record that Invoicebox canceled or expired ``payment`` (``target`` is one of
    :data:`CLOSED`); True if anything changed.

    When it was the order's current attempt, the order stops awaiting payment: an
    expired attempt makes the order ``expired``, a canceled one ``new`` (no payable
    Invoicebox order). Either way the buyer can pay again with a fresh attempt.
    """
    assert target in CLOSED, target
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
        EventKind.PAYMENT_EXPIRED if target == PaymentStatus.EXPIRED
        else EventKind.PAYMENT_CANCELED,
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
    if order.status in ORDER_OPEN and order.status != OrderStatus.AWAITING_PAYMENT:
        transition(order, OrderStatus.AWAITING_PAYMENT)
    return True


def apply_gateway_order(payment: Payment, remote: GatewayOrder, *, source: str) -> bool:
    """Bring ``payment`` in line with the gateway's order ``remote``; True if it changed.

    Adopts the gateway's id for a pending attempt, then applies ``completed`` (only with
    the right amount and currency), ``canceled`` and ``expired``. The caller commits.
    """
    changed = adopt(payment, remote)
    reported = payment_status_for(remote.status)
    if concerns_hold(payment, reported):  # a guarantee payment: see .holds
        return apply_hold_news(payment, reported, amount=remote.amount,
                               currency=remote.currency_id, paid_at=remote.paid_at,
                               source=source) in (HoldResult.APPLIED,
                                                  HoldResult.UNDELIVERABLE) or changed
    if reported == PaymentStatus.COMPLETED:
        if not amount_matches(payment, remote.amount, remote.currency_id):
            log.error(
                "order %s: Invoicebox reports %s paid with %s %s, expected %s kopecks",
                payment.order.number, payment.merchant_order_id,
                remote.amount, remote.currency_id, payment.amount,
            )
            return changed
        return mark_paid(payment, paid_at=remote.paid_at, source=source) in (
            PaidResult.APPLIED, PaidResult.UNDELIVERABLE) or changed
    if reported in CLOSED:
        return mark_closed(payment, reported) or changed
    return changed


