"""Canceling an unpaid order, at Invoicebox first (CONTRACT §2.5, §1.8).

Every Invoicebox order of the shop order that could still be paid is deleted, so
the buyer cannot pay after all; only then is the shop order canceled. A DELETE
whose answer is lost is never simply resent: the order's status is read back to
learn what happened.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from .. import gateway
from ..extensions import db
from ..invoicebox import InvoiceboxError, UnknownOutcome, ValidationError
from ..invoicebox import Order as RemoteOrder
from ..models import Order, Payment, StaffUser
from ..states import OrderStatus, PaymentStatus, transition
from .events import record_event
from .sync import (
    CANCELED_STATUSES,
    apply_gateway_order,
    mark_closed,
    retry_on_conflict,
    sync_payment,
)

__all__ = ["CANCELABLE", "CancelOutcome", "cancel_order"]

log = logging.getLogger(__name__)

CANCELABLE = (OrderStatus.NEW, OrderStatus.AWAITING_PAYMENT, OrderStatus.EXPIRED)
_PAYABLE = (PaymentStatus.PENDING.value, PaymentStatus.CREATED.value)


@dataclass(frozen=True)
class CancelOutcome:
    canceled: bool
    message: str  # for staff, in plain words


def cancel_order(order: Order, staff: StaffUser) -> CancelOutcome:
    """Cancel ``order`` and every payable Invoicebox order of it; commits.

    When Invoicebox refuses (422 ``wrong_order_status``: the buyer has just paid, or
    the order expired) the payment status is synced and the outcome explains it.
    """
    if any(p.status in _PAYABLE and not p.invoicebox_order_id for p in order.payments):
        sync_payment(order)  # adopts an attempt whose creation had an unknown outcome
    order = db.session.execute(
        db.select(Order)
        .where(Order.id == order.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    if OrderStatus(order.status) not in CANCELABLE:
        return CancelOutcome(False, "Only an unpaid order can be canceled; "
                                    "a paid one is refunded instead.")
    for payment in order.payments:
        if payment.status not in _PAYABLE:
            continue
        refusal = _cancel_payment(order, payment)
        if refusal is not None:
            db.session.commit()
            return refusal
    transition(order, OrderStatus.CANCELED)
    record_event(order, "canceled", f"Order {order.number} canceled by staff.",
                 staff_id=staff.id)
    db.session.commit()
    log.info("order %s canceled by staff %s", order.number, staff.id)
    return CancelOutcome(True, f"Order {order.number} canceled. "
                               "Invoicebox will not take a payment for it.")


def _cancel_payment(order: Order, payment: Payment) -> CancelOutcome | None:
    """DELETE one Invoicebox order; None once it is canceled, else why not."""
    if not payment.invoicebox_order_id:
        return CancelOutcome(False, "A payment of this order is still being set up at "
                                    "Invoicebox. Try again in a minute.")
    client = gateway.client()
    try:
        with gateway.about(order_id=order.id):
            remote = client.cancel_order(payment.invoicebox_order_id)
    except ValidationError as error:
        if error.code != "wrong_order_status":
            return _refused(error)
        db.session.commit()  # the call journal, before the sync takes over
        sync_payment(order)
        return _explain(order)
    except UnknownOutcome:
        # The DELETE may or may not have happened: read the order back (§1.8).
        try:
            with gateway.about(order_id=order.id):
                remote = client.get_order(payment.invoicebox_order_id)
        except InvoiceboxError:
            return CancelOutcome(False, "Invoicebox did not answer and the order could not "
                                        "be checked. Nothing was changed; try again.")
    except InvoiceboxError as error:
        return _refused(error)
    return _apply(order, payment, remote)


def _apply(order: Order, payment: Payment, remote: RemoteOrder) -> CancelOutcome | None:
    if remote.status in CANCELED_STATUSES:
        mark_closed(payment, "canceled")
        return None
    if remote.status == "created":
        return CancelOutcome(False, "Invoicebox did not cancel the order; it can still be "
                                    "paid. Try again.")
    # Paid or expired in the meantime: apply that as a status check would.
    db.session.commit()
    payment_id = payment.id
    retry_on_conflict(lambda: apply_gateway_order(
        db.session.get(Payment, payment_id, populate_existing=True), remote,
        source="status check"))
    return _explain(order)


def _explain(order: Order) -> CancelOutcome:
    """Why Invoicebox would not cancel, from the status it reported (now applied)."""
    db.session.refresh(order)
    status = OrderStatus(order.status)
    if status in (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED):
        return CancelOutcome(False, "Invoicebox would not cancel the order: the buyer has "
                                    "already paid. It is now marked paid; refund it instead.")
    if status in CANCELABLE:
        return CancelOutcome(False, "Invoicebox would not cancel the order: its payment is "
                                    f"{_payment_state(order)} there. The order was synced; "
                                    "cancel it again to close it in the shop.")
    return CancelOutcome(False, f"Invoicebox would not cancel the order; it is now "
                                f"{status.value.replace('_', ' ')}.")


def _payment_state(order: Order) -> str:
    current = order.current_payment
    return current.status if current is not None else "unknown"


def _refused(error: InvoiceboxError) -> CancelOutcome:
    log.info("cancel refused: %s", error.code)
    reference = f" (Invoicebox request id {error.request_id})" if error.request_id else ""
    return CancelOutcome(False, f"Invoicebox refused to cancel the order: "
                                f"{error.message}{reference}.")
