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
from ..mail import queue_refund_issued
from ..models import Order, Refund, now_utc
from ..states import (
    ORDER_REFUNDABLE,
    REFUND_OPEN,
    OrderStatus,
    RefundStatus,
    can_transition,
    refund_status_for,
    transition,
)
from .events import EventKind, record_event
from .locking import locked, retry_on_conflict
from .request_links import reopen_request, tell_buyer_refund_made

__all__ = [
    "REFRESH_INTERVAL",
    "Reconciled",
    "apply_remote",
    "created_message",
    "reconcile_pending",
    "refresh_refunds",
    "refunds_of",
    "mark_refunded",
]

log = logging.getLogger(__name__)

# The order page refreshes unfinished refunds at most this often per order.
REFRESH_INTERVAL = timedelta(seconds=5)
def refunds_of(order: Order) -> list[Refund]:
    """The order's refunds, oldest first, with their lines (one query for all the lines)."""
    return list(db.session.execute(
        db.select(Refund).where(Refund.order_id == order.id).order_by(Refund.id)
        .options(selectinload(Refund.lines))
    ).scalars())


def refresh_refunds(order: Order, *, force: bool = False) -> bool:
    """Bring the order's refunds up to date from ``GET refund-order?parentId=``.

    Pending refunds are reconciled by ``merchantOrderId`` first. Without ``force`` it
    does nothing unless some refund is unfinished and nobody looked in the last
    :data:`REFRESH_INTERVAL` (claimed with one conditional ``UPDATE`` of the order's
    ``refunds_checked_at``, so concurrent page views ask once). Returns True when
    something changed. Raises :class:`InvoiceboxError` if the gateway cannot be read
    (what was learnt is kept).
    """
    payment = order.paid_payment
    if payment is None or not payment.invoicebox_order_id:
        return False
    order_id, parent_id = order.id, payment.invoicebox_order_id
    if not _claim_refresh(order_id, force=force):
        return False
    changed = reconcile_pending(order_id, parent_id).changed
    with gateway.about(order_id=order_id):
        remote = _remote_refunds(parent_id)

    def apply() -> bool:
        order = locked(Order, order_id)
        local = refunds_of(order)
        by_id = {r.invoicebox_refund_id: r for r in local if r.invoicebox_refund_id}
        by_number = {r.merchant_order_id: r for r in local}
        changed = False
        for found in remote:
            refund = by_id.get(found.id) or by_number.get(found.merchant_order_id or "")
            if refund is not None:
                changed |= apply_remote(order, refund, found)
            else:
                log.warning("refund %s of order %s is not one of the shop's", found.id, order_id)
        counted = [r for r in remote if refund_status_for(r.status) != RefundStatus.CANCELED]
        refunded = sum(decimal_to_kopecks(r.amount or 0) for r in counted)
        return mark_refunded(order, order.amount - refunded) or changed

    return retry_on_conflict(apply) or changed


@dataclass(frozen=True)
class Reconciled:
    changed: bool  # some pending refund was found, or proved never made
    unresolved: bool  # some pending refund is unknown to Invoicebox yet: maybe in flight


def reconcile_pending(order_id: int, parent_id: str) -> Reconciled:
    """Look every pending refund of the order up by its ``merchantOrderId``.

    Each lookup is made with no transaction open; what it found is applied under the
    order's lock. Raises :class:`InvoiceboxError` when a lookup fails.
    """
    changed = unresolved = False
    pending = db.session.execute(
        db.select(Refund.id, Refund.merchant_order_id)
        .where(Refund.order_id == order_id, Refund.status == RefundStatus.PENDING.value)
    ).all()
    for refund_id, merchant_order_id in pending:
        with gateway.about(order_id=order_id, refund_id=refund_id):
            found = gateway.client().find_refund_by_merchant_order_id(
                merchant_order_id, parent_id=parent_id
            )

        def apply(refund_id: int = refund_id, found: RemoteRefund | None = found) -> str:
            order = locked(Order, order_id)
            refund = locked(Refund, refund_id)
            if refund.status != RefundStatus.PENDING:
                return "changed"  # settled meanwhile by another request
            if found is not None:
                apply_remote(order, refund, found)
                return "changed"
            if now_utc() - refund.created_at <= timedelta(seconds=gateway.in_flight_seconds()):
                return "unresolved"
            # Not found, and too old to still be on its way: it was never made.
            transition(refund, RefundStatus.REJECTED)
            reopen_request(refund)
            refund.error = "Invoicebox has no record of this refund: it was not made."
            record_event(order, EventKind.REFUND_REJECTED,
                         f"Refund {refund.merchant_order_id} never reached Invoicebox")
            return "changed"

        verdict = retry_on_conflict(apply)
        changed |= verdict == "changed"
        unresolved |= verdict == "unresolved"
    db.session.commit()
    return Reconciled(changed, unresolved)


def apply_remote(order: Order, refund: Refund, remote: RemoteRefund,
                 staff_id: int | None = None) -> bool:
    """Take Invoicebox's id and status for ``refund``; True if anything changed."""
    changed = False
    if refund.invoicebox_refund_id is None and remote.id:
        refund.invoicebox_refund_id = remote.id
        changed = True
    target = refund_status_for(remote.status)
    current = RefundStatus(refund.status)
    if target is None:
        log.warning("refund %s has unknown status %r", refund.merchant_order_id, remote.status)
        return changed
    if target == current:
        return changed
    # Accepted first, whatever happened to it since: the history shows both. A draft
    # Invoicebox reports created or completed had its correction order made (§7.9).
    via = RefundStatus.DRAFT if refund.fee_amount else RefundStatus.CREATED
    if current == RefundStatus.PENDING and target not in (via, RefundStatus.CREATED) and \
            can_transition(current, via) and can_transition(via, target):
        _apply_status(order, refund, via, staff_id)
        current = via
    if current == RefundStatus.DRAFT and target == RefundStatus.COMPLETED:
        _apply_status(order, refund, RefundStatus.CREATED, staff_id, remote)
        current = RefundStatus.CREATED
    if not can_transition(current, target):
        return changed
    _apply_status(order, refund, target, staff_id, remote)
    return True


def _apply_status(order: Order, refund: Refund, target: RefundStatus,
                  staff_id: int | None, remote: RemoteRefund | None = None) -> None:
    previous = refund.status
    transition(refund, target)
    label = f"Refund {refund.merchant_order_id} ({_rub(refund.amount)})"
    if target == RefundStatus.DRAFT:
        refund.error = None
        record_event(order, EventKind.REFUND_DRAFTED,
                     f"{label} created at Invoicebox as a draft; the correction order keeping "
                     f"the fee of {_rub(refund.fee_amount or 0)} follows",
                     staff_id=staff_id, data={"invoicebox_refund_id": refund.invoicebox_refund_id})
    elif target == RefundStatus.CREATED and previous == RefundStatus.DRAFT:
        # The correction order was made by a send whose answer was lost.
        found = remote.raw.get("correctionOrderId") if remote is not None else None
        if isinstance(found, str) and found and refund.correction_order_id is None:
            refund.correction_order_id = found[:36]
        refund.error = None
        record_event(order, EventKind.REFUND_CREATED, created_message(refund),
                     staff_id=staff_id,
                     data={"invoicebox_refund_id": refund.invoicebox_refund_id,
                           "correction_order_id": refund.correction_order_id,
                           "net_amount": _net_reported(remote)})
    elif target == RefundStatus.CREATED:
        refund.error = None
        record_event(order, EventKind.REFUND_CREATED, f"{label} created at Invoicebox",
                     staff_id=staff_id, data={"invoicebox_refund_id": refund.invoicebox_refund_id})
        tell_buyer_refund_made(order, refund)
    elif target == RefundStatus.COMPLETED:
        refund.completed_at = now_utc()
        record_event(order, EventKind.REFUND_COMPLETED, f"{label} completed: the money is back")
        queue_refund_issued(order, refund)
    else:
        if previous == RefundStatus.DRAFT:
            refund.error = None  # no longer waiting for its correction order
        record_event(order, EventKind.REFUND_CANCELED, f"{label} canceled by Invoicebox")
    log.info("refund %s: %s", refund.merchant_order_id, target.value)


def mark_refunded(order: Order, remaining: int) -> bool:
    """Partially refunded / refunded, from what Invoicebox still lets us refund."""
    if order.status not in ORDER_REFUNDABLE:
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
    record_event(order, EventKind.ORDER_STATUS, f"Order {target.value.replace('_', ' ')}")
    log.info("order %s: %s", order.number, target.value)
    return True


def created_message(refund: Refund) -> str:
    """The history line of a refund keeping a fee that Invoicebox now pays out."""
    return (f"Refund {refund.merchant_order_id} ({_rub(refund.amount)}) created at "
            f"Invoicebox: a fee of {_rub(refund.fee_amount or 0)} kept by correction order "
            f"{refund.correction_merchant_order_id}, {_rub(refund.net_amount)} to the buyer")


# -- small helpers -----------------------------------------------------------------------


def _net_reported(remote: RemoteRefund | None) -> str | None:
    """The net amount Invoicebox reports for a refund with a correction order, as text."""
    value = remote.raw.get("netAmount") if remote is not None else None
    return str(value) if isinstance(value, int | float | str) else None



def _remote_refunds(parent_id: str) -> list[RemoteRefund]:
    client, found, page = gateway.client(), [], 1
    while True:
        batch = client.find_refunds({"parentId": parent_id}, page=page, page_size=100)
        found.extend(r for r in batch if r.parent_id in (None, parent_id))
        if len(batch) < 100:
            return found
        page += 1


def _claim_refresh(order_id: int, *, force: bool) -> bool:
    """Whether to ask now; records the asking in ``refunds_checked_at``."""
    now = now_utc()
    claim = db.update(Order).where(Order.id == order_id).values(refunds_checked_at=now)
    if not force:
        unfinished = db.select(Refund.id).where(
            Refund.order_id == order_id, Refund.status.in_(REFUND_OPEN))
        claim = claim.where(unfinished.exists()).where(db.or_(
            Order.refunds_checked_at.is_(None),
            Order.refunds_checked_at <= now - REFRESH_INTERVAL))
    claimed = db.session.execute(claim).rowcount
    db.session.commit()
    return bool(claimed)


def _rub(kopecks: int) -> str:
    return f"{kopecks_to_decimal(kopecks)} RUB"
