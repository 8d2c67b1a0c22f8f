"""Keeping the shop's refunds in step with Invoicebox (CONTRACT §1.8, §2.8).

A refund whose answer was lost stays ``pending`` until it is looked up by its
``merchantOrderId``; the refunds Invoicebox lists for the payment bring ids and
statuses up to date, and what is left to refund sets the order's status.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import selectinload

from .. import gateway
from ..extensions import db
from ..invoicebox import Refund as RemoteRefund
from ..invoicebox import decimal_to_kopecks, kopecks_to_decimal
from ..models import GatewayCall, Order, Payment, Refund, now_utc
from ..states import OrderStatus, RefundStatus, can_transition, transition
from .checkout import settle_seconds
from .events import record_event

__all__ = [
    "REFRESH_INTERVAL",
    "REFUNDABLE",
    "Reconciled",
    "apply_remote",
    "reconcile_pending",
    "refresh_refunds",
    "refunds_of",
    "settle_order_status",
]

log = logging.getLogger(__name__)

REFUNDABLE = (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED)
# The order page refreshes unfinished refunds at most this often per order.
REFRESH_INTERVAL = timedelta(seconds=5)
_FINAL = {RefundStatus.COMPLETED, RefundStatus.CANCELED, RefundStatus.REJECTED}
_REMOTE_STATUS = {
    "created": RefundStatus.CREATED,
    "completed": RefundStatus.COMPLETED,
    "canceled": RefundStatus.CANCELED,
    "cancelled": RefundStatus.CANCELED,
}


def refunds_of(order: Order) -> list[Refund]:
    """The order's refunds, oldest first, with their lines (one query for all the lines)."""
    return list(db.session.execute(
        db.select(Refund).where(Refund.order_id == order.id).order_by(Refund.id)
        .options(selectinload(Refund.lines))
    ).scalars())


def refresh_refunds(order: Order, *, force: bool = False) -> bool:
    """Bring the order's refunds up to date from ``GET refund-order?parentId=``.

    Pending refunds are reconciled by ``merchantOrderId`` first. Without ``force`` it
    does nothing unless some refund is unfinished and the last look is older than
    :data:`REFRESH_INTERVAL`. Returns True when something changed. Raises
    :class:`InvoiceboxError` if the gateway cannot be read (what was learnt is kept).
    """
    payment = order.paid_payment
    if payment is None or not payment.invoicebox_order_id:
        return False
    if not force and not _refresh_due(order):
        return False
    changed = False
    try:
        changed = reconcile_pending(order, payment).changed
        with gateway.about(order_id=order.id):
            remote = _remote_refunds(payment.invoicebox_order_id)
        local = refunds_of(order)
        by_id = {r.invoicebox_refund_id: r for r in local if r.invoicebox_refund_id}
        by_number = {r.merchant_order_id: r for r in local}
        for found in remote:
            refund = by_id.get(found.id) or by_number.get(found.merchant_order_id or "")
            if refund is not None:
                changed |= apply_remote(order, refund, found)
            else:
                log.warning("refund %s of order %s is not one of the shop's", found.id, order.id)
        counted = [r for r in remote if r.status not in ("canceled", "cancelled")]
        refunded = sum(decimal_to_kopecks(r.amount or 0) for r in counted)
        changed |= settle_order_status(order, order.amount - refunded)
    finally:
        db.session.commit()
    return changed


@dataclass(frozen=True)
class Reconciled:
    changed: bool  # some pending refund was found, or proved never made
    unresolved: bool  # some pending refund is unknown to Invoicebox yet: maybe in flight


def reconcile_pending(order: Order, payment: Payment) -> Reconciled:
    """Look every pending refund of the order up by its ``merchantOrderId``."""
    changed = unresolved = False
    for refund in refunds_of(order):
        if refund.status != RefundStatus.PENDING:
            continue
        with gateway.about(order_id=order.id, refund_id=refund.id):
            found = gateway.client().find_refund_by_merchant_order_id(
                refund.merchant_order_id, parent_id=payment.invoicebox_order_id
            )
        if found is not None:
            changed |= apply_remote(order, refund, found)
        elif now_utc() - refund.created_at > timedelta(seconds=settle_seconds()):
            # Not found, and too old to still be on its way: it was never made.
            transition(refund, RefundStatus.REJECTED)
            refund.error = "Invoicebox has no record of this refund: it was not made."
            record_event(order, "refund_rejected",
                         f"Refund {refund.merchant_order_id} never reached Invoicebox")
            changed = True
        else:
            unresolved = True
    return Reconciled(changed, unresolved)


def apply_remote(order: Order, refund: Refund, remote: RemoteRefund,
                 staff_id: int | None = None) -> bool:
    """Take Invoicebox's id and status for ``refund``; True if anything changed."""
    changed = False
    if refund.invoicebox_refund_id is None and remote.id:
        refund.invoicebox_refund_id = remote.id
        changed = True
    target = _REMOTE_STATUS.get(remote.status)
    current = RefundStatus(refund.status)
    if target is None:
        log.warning("refund %s has unknown status %r", refund.merchant_order_id, remote.status)
        return changed
    if target == current or not can_transition(current, target):
        return changed
    if current == RefundStatus.PENDING and target != RefundStatus.CREATED:
        # Accepted first, whatever happened to it since: the history shows both.
        _apply_status(order, refund, RefundStatus.CREATED, staff_id)
    _apply_status(order, refund, target, staff_id)
    return True


def _apply_status(order: Order, refund: Refund, target: RefundStatus,
                  staff_id: int | None) -> None:
    transition(refund, target)
    label = f"Refund {refund.merchant_order_id} ({_rub(refund.amount)})"
    if target == RefundStatus.CREATED:
        refund.error = None
        record_event(order, "refund_created", f"{label} created at Invoicebox",
                     staff_id=staff_id, data={"invoicebox_refund_id": refund.invoicebox_refund_id})
    elif target == RefundStatus.COMPLETED:
        refund.completed_at = now_utc()
        record_event(order, "refund_completed", f"{label} completed: the money is back")
    else:
        record_event(order, "refund_canceled", f"{label} canceled by Invoicebox")
    log.info("refund %s: %s", refund.merchant_order_id, target.value)


def settle_order_status(order: Order, remaining: int) -> bool:
    """Partially refunded / refunded, from what Invoicebox still lets us refund."""
    if OrderStatus(order.status) not in REFUNDABLE:
        return False
    if remaining <= 0:
        target = OrderStatus.REFUNDED
    elif remaining < order.amount:
        target = OrderStatus.PARTIALLY_REFUNDED
    else:
        return False
    if order.status == target:
        return False
    transition(order, target)
    record_event(order, "status", f"Order {target.value.replace('_', ' ')}")
    log.info("order %s: %s", order.number, target.value)
    return True


# -- small helpers -----------------------------------------------------------------------


def _remote_refunds(parent_id: str) -> list[RemoteRefund]:
    client, found, page = gateway.client(), [], 1
    while True:
        batch = client.find_refunds({"parentId": parent_id}, page=page, page_size=100)
        found.extend(r for r in batch if r.parent_id in (None, parent_id))
        if len(batch) < 100:
            return found
        page += 1


def _refresh_due(order: Order) -> bool:
    unfinished = db.session.execute(
        db.select(Refund.id).where(
            Refund.order_id == order.id, Refund.status.not_in([s.value for s in _FINAL])
        ).limit(1)
    ).first()
    if unfinished is None:
        return False
    recent = db.session.execute(
        db.select(GatewayCall.id).where(
            GatewayCall.order_id == order.id,
            GatewayCall.method == "GET",
            GatewayCall.path.contains("/filter/api/order/refund-order"),
            GatewayCall.created_at > now_utc() - REFRESH_INTERVAL,
        ).limit(1)
    ).first()
    return recent is None


def _rub(kopecks: int) -> str:
    return f"{kopecks_to_decimal(kopecks)} RUB"
