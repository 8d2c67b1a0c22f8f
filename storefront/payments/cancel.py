"""Canceling an unpaid order, at Invoicebox first (CONTRACT §2.5, §1.8).

Every Invoicebox order of the shop order that could still be paid is deleted, so
the buyer cannot pay after all; only then, and only if nothing payable appeared in the
meantime, is the shop order canceled. No transaction is open while Invoicebox is asked. A
DELETE whose answer is lost is never simply resent: the order's status is read back to
learn what happened.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask_babel import gettext as _

from .. import gateway
from ..extensions import db
from ..invoicebox import ApiError, InvoiceboxError, UnknownOutcome, ValidationError
from ..invoicebox import Order as RemoteOrder
from ..models import Order, Payment, StaffUser
from ..states import (
    ORDER_CANCELABLE,
    ORDER_PAID,
    ORDER_STATUS_LABELS,
    PAYMENT_PAYABLE,
    OrderStatus,
    PaymentStatus,
    payment_status_for,
    transition,
)
from .events import EventKind, record_event
from .locking import locked, retry_on_conflict
from .sync import payments_of, sync_payment
from .transitions import apply_gateway_order, mark_closed

__all__ = ["CancelOutcome", "cancel_order"]

log = logging.getLogger(__name__)

ROUNDS = 3


@dataclass(frozen=True)
class CancelOutcome:
    canceled: bool
    message: str  # for staff, in plain words


def cancel_order(order: Order, staff: StaffUser, reason: str = "") -> CancelOutcome:
    """Cancel ``order`` and every payable Invoicebox order of it; commits. ``reason`` is
    what staff gave, kept with the cancel in the order's history.

    Each round decides under the order's lock, commits, then DELETEs the payable
    Invoicebox orders with no transaction open; the shop order is canceled only in a
    round that finds, under the lock, nothing payable left. A press of Pay that opened a
    new attempt in the meantime is thus canceled too, not left payable.

    When Invoicebox refuses (422 ``wrong_order_status``: the buyer has just paid, or
    the order expired) the payment status is synced and the outcome explains it.
    """
    order_id, staff_id = order.id, staff.id
    for _round in range(ROUNDS):
        if any(p.status in PAYMENT_PAYABLE and not p.invoicebox_order_id
               for p in payments_of(order_id)):
            sync_payment(order)  # adopts an attempt whose creation had an unknown outcome
        order = locked(Order, order_id)
        if order.status not in ORDER_CANCELABLE:
            db.session.commit()
            return CancelOutcome(False, _("Only an unpaid order can be canceled; "
                                          "a paid one is refunded instead."))
        payable = [(p.id, p.invoicebox_order_id) for p in payments_of(order_id)
                   if p.status in PAYMENT_PAYABLE]
        if not payable:
            transition(order, OrderStatus.CANCELED)
            because = f" Reason: {reason.strip()}" if reason.strip() else ""
            record_event(order, EventKind.ORDER_CANCELED,
                         f"Order {order.number} canceled by staff.{because}",
                         staff_id=staff_id, data={"reason": reason.strip()} if because else None)
            number = order.number
            db.session.commit()
            log.info("order %s canceled by staff %s", number, staff_id)
            return CancelOutcome(True, _("Order %(number)s canceled. Invoicebox will not "
                                         "take a payment for it.", number=number))
        db.session.commit()
        if not all(invoicebox_id for _, invoicebox_id in payable):
            return CancelOutcome(False, _("A payment of this order is still being set up "
                                          "at Invoicebox. Try again in a minute."))
        for payment_id, invoicebox_id in payable:
            refusal = _cancel_payment(order_id, payment_id, invoicebox_id)
            if refusal is not None:
                return refusal
        order = db.session.get(Order, order_id)
    return CancelOutcome(False, _("The buyer started a new payment while the order was "
                                  "being canceled. Try again."))


def _cancel_payment(order_id: int, payment_id: int, invoicebox_id: str) -> CancelOutcome | None:
    """DELETE one Invoicebox order; None once it is canceled, else why not."""
    client = gateway.client()
    try:
        with gateway.about(order_id=order_id):
            remote = client.cancel_order(invoicebox_id)
    except ValidationError as error:
        if error.code != "wrong_order_status":
            return _refused(error)
        sync_payment(db.session.get(Order, order_id))
        return _explain(order_id)
    except UnknownOutcome:
        # The DELETE may or may not have happened: read the order back (§1.8).
        try:
            with gateway.about(order_id=order_id):
                remote = client.get_order(invoicebox_id)
        except InvoiceboxError as error:
            log.warning("cancel: order %s could not be read back: %s", invoicebox_id, error)
            return CancelOutcome(False, _("Invoicebox did not answer and the order could "
                                          "not be checked. Nothing was changed; try again.")
                                 + _reference(error))
    except InvoiceboxError as error:
        return _refused(error)
    return _apply(order_id, payment_id, remote)


def _apply(order_id: int, payment_id: int, remote: RemoteOrder) -> CancelOutcome | None:
    reported = payment_status_for(remote.status)
    if reported == PaymentStatus.CANCELED:
        retry_on_conflict(lambda: mark_closed(db.session.get(Payment, payment_id), reported))
        return None
    if reported == PaymentStatus.CREATED:
        return CancelOutcome(False, _("Invoicebox did not cancel the order; it can still "
                                      "be paid. Try again."))
    # Paid or expired in the meantime: apply that as a status check would.

    def apply() -> None:
        locked(Order, order_id)
        apply_gateway_order(locked(Payment, payment_id), remote, source="status check")

    retry_on_conflict(apply)
    return _explain(order_id)


def _explain(order_id: int) -> CancelOutcome:
    """Why Invoicebox would not cancel, from the status it reported (now applied)."""
    order = db.session.get(Order, order_id, populate_existing=True)
    status = OrderStatus(order.status)
    if status in ORDER_PAID:
        return CancelOutcome(False, _("Invoicebox would not cancel the order: the buyer has "
                                      "already paid. It is now marked paid; refund it "
                                      "instead."))
    if status in ORDER_CANCELABLE:
        return CancelOutcome(False, _("Invoicebox would not cancel the order: its payment is "
                                      "%(state)s there. The order was synced; cancel it "
                                      "again to close it in the shop.",
                                      state=_payment_state(order)))
    return CancelOutcome(False, _("Invoicebox would not cancel the order; it is now "
                                  "%(status)s.", status=ORDER_STATUS_LABELS[status]))


def _payment_state(order: Order) -> str:
    current = order.current_payment
    return current.status if current is not None else "unknown"


def _refused(error: InvoiceboxError) -> CancelOutcome:
    """Staff read the gateway's own words for a refusal, and a plain sentence for a
    failure to reach it; the details (hosts, ports, exceptions) go to the log only."""
    log.warning("cancel refused: %s", error)
    if isinstance(error, ApiError):
        return CancelOutcome(False, _("Invoicebox refused to cancel the order: %(message)s.",
                                      message=error.message) + _reference(error))
    return CancelOutcome(False, _("Invoicebox could not be reached. Nothing was changed; "
                                  "try again in a moment.") + _reference(error))


def _reference(error: InvoiceboxError) -> str:
    return " " + _("Invoicebox request id: %(id)s.", id=error.request_id) \
        if error.request_id else ""
