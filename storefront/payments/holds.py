"""Guarantee (hold) payments (CONTRACT §2.5, §4.1).

A buyer may pay with a guarantee instrument (a pre-authorisation): Invoicebox reports the
order ``hold``, the money is reserved but not yet the shop's. The shop calls such an order
"paid, awaiting shipment" (:data:`~storefront.states.OrderStatus.AWAITING_SHIPMENT`), not
paid. Its final shipment charges it: Invoicebox then reports ``completed`` and the order
becomes paid. A held order with no shipment is canceled by a ``DELETE``, which reverses the
guarantee in full; once a shipment exists the guarantee can no longer be reversed, so the
shop refuses.

A hold takes the order's goods from stock as the paid transition does (:mod:`.stock`,
under the same product locks): short with shipment control off, the order is flagged for
staff; with it on, the order becomes ``hold_undeliverable``, the notification is answered
``shipping_unavailable`` (every copy of it too), and the reversal recorded with it is
carried out by the runner as a ``DELETE`` (:mod:`.reversals`, CONTRACT §5.4).

A hold not shipped within ``STOREFRONT_HOLD_SHIP_DAYS`` days is flagged for staff
(:func:`hold_overdue`, :func:`overdue_holds`).

:func:`apply_hold_news` is called by the notification handler and by the status check for
a payment reported ``hold``, or reported anything while it is held. Like
:mod:`.transitions`, it works under the caller's transaction, rows locked order first.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from flask_babel import gettext as _
from sqlalchemy import ColumnElement
from sqlalchemy.orm.attributes import set_committed_value

from .. import budget, gateway
from ..extensions import db
from ..invoicebox import InvoiceboxError, UnknownOutcome
from ..models import Order, Payment, Reversal, Shipment, StaffUser, now_utc
from ..states import (
    ORDER_HELD,
    ORDER_PAYABLE,
    ORDER_REVERSIBLE,
    PAYMENT_HELD,
    PAYMENT_PAYABLE,
    SHIPMENT_COUNTED,
    OrderStatus,
    PaymentStatus,
    payment_status_for,
    transition,
)
from .events import EventKind, record_event
from .locking import ConcurrentChange, locked, retry_on_conflict
from .stock import StockOutcome, settle_stock

log = logging.getLogger(__name__)


class HoldResult(StrEnum):
    APPLIED = "applied"  # this call changed the payment and its order
    REPLAY = "replay"  # already applied: nothing to do
    WRONG_AMOUNT = "wrong_amount"  # the reported amount or currency is not this payment's
    CONFLICT = "conflict"  # the order is in a state the news cannot apply to
    # Shipment control: the goods are not there; answered shipping_unavailable, the
    # guarantee goes back by the runner's DELETE. Applied now, or by an earlier copy.
    UNDELIVERABLE = "undeliverable"
    UNDELIVERABLE_REPLAY = "undeliverable_replay"


def concerns_hold(payment: Payment, reported: PaymentStatus | None) -> bool:
    """News this module applies: a hold reported, or news of a payment that is held."""
    return reported == PaymentStatus.HOLD or payment.status in PAYMENT_HELD


def apply_hold_news(payment: Payment, reported: PaymentStatus | None, *,
                    amount: Decimal | None, currency: str | None,
                    paid_at: datetime | None, source: str) -> HoldResult:
    """Apply ``hold`` (reserved), ``completed`` (charged) or ``canceled`` (reversed) to a
    guarantee payment; the caller commits. Raises :class:`ConcurrentChange` on a lost race."""
    from .transitions import amount_matches

    order = locked(Order, payment.order_id)
    payment = locked(Payment, payment.id)
    if reported == PaymentStatus.HOLD:
        if _refused(order, payment):  # read under the locks: every copy gets one answer
            return HoldResult.UNDELIVERABLE_REPLAY
        if payment.status in PAYMENT_HELD or payment.status == PaymentStatus.COMPLETED:
            return HoldResult.REPLAY
        if order.status not in ORDER_PAYABLE or payment.status not in PAYMENT_PAYABLE:
            return HoldResult.CONFLICT
        if not amount_matches(payment, amount, currency):
            return HoldResult.WRONG_AMOUNT
        _held(order, payment, paid_at or now_utc(), source)
        outcome = settle_stock(order, payment, status=OrderStatus.AWAITING_SHIPMENT)
        if outcome is StockOutcome.REFUSED:  # see .stock
            return HoldResult.UNDELIVERABLE
        return HoldResult.APPLIED
    if reported == PaymentStatus.COMPLETED:
        if not amount_matches(payment, amount, currency):
            return HoldResult.WRONG_AMOUNT
        if not _move(order, payment, PaymentStatus.COMPLETED, OrderStatus.PAID):
            return HoldResult.REPLAY
        record_event(order, EventKind.HOLD_CHARGED,
                     f"Guarantee charged: Invoicebox order {payment.invoicebox_order_id} is "
                     f"completed after its final shipment, confirmed by {source}.",
                     data={"payment_id": payment.id, "source": source})
        return HoldResult.APPLIED
    if reported == PaymentStatus.CANCELED:
        if not _move(order, payment, PaymentStatus.CANCELED, OrderStatus.CANCELED):
            return HoldResult.REPLAY
        record_event(order, EventKind.HOLD_REVERSED,
                     f"Guarantee reversed: Invoicebox order {payment.invoicebox_order_id} is "
                     "canceled and the reserved money released to the buyer.",
                     data={"payment_id": payment.id, "source": source})
        return HoldResult.APPLIED
    return HoldResult.REPLAY  # still held: nothing new


def _held(order: Order, payment: Payment, when: datetime, source: str) -> None:
    changed = db.session.execute(
        db.update(Payment).where(Payment.id == payment.id,
                                 Payment.status.in_(PAYMENT_PAYABLE))
        .values(status=PaymentStatus.HOLD.value, paid_at=when, updated_at=now_utc())
    ).rowcount + db.session.execute(
        db.update(Order).where(Order.id == order.id, Order.status.in_(ORDER_PAYABLE))
        .values(status=OrderStatus.AWAITING_SHIPMENT.value, paid_at=when,
                updated_at=now_utc())
    ).rowcount
    if changed != 2:
        raise ConcurrentChange(f"order {order.number}: held concurrently")
    set_committed_value(order, "status", OrderStatus.AWAITING_SHIPMENT.value)
    set_committed_value(payment, "status", PaymentStatus.HOLD.value)
    record_event(order, EventKind.HELD,
                 f"Paid as a guarantee: Invoicebox order {payment.invoicebox_order_id} "
                 f"(attempt {payment.attempt}) is on hold until its final shipment, "
                 f"confirmed by {source}.", data={"payment_id": payment.id, "source": source})
    log.info("order %s held via %s (%s)", order.number, payment.merchant_order_id, source)


def _refused(order: Order, payment: Payment) -> bool:
    """This guarantee was answered ``shipping_unavailable``: its order is undeliverable, or
    was canceled by the reversal recorded for this payment."""
    if order.status == OrderStatus.HOLD_UNDELIVERABLE:
        return payment.status in PAYMENT_HELD
    return order.status == OrderStatus.CANCELED and db.session.execute(
        db.select(Reversal.id).where(Reversal.order_id == order.id,
                                     Reversal.payment_id == payment.id)).first() is not None


def _move(order: Order, payment: Payment, target: PaymentStatus,
          order_target: OrderStatus) -> bool:
    """Charge or reverse a held payment and its order; False when it is no longer held.
    A guarantee answered ``shipping_unavailable`` can only be reversed."""
    if payment.status not in PAYMENT_HELD:
        return False
    held = order.status in ORDER_HELD
    refused = order.status == OrderStatus.HOLD_UNDELIVERABLE
    if not (held or (refused and order_target == OrderStatus.CANCELED)):
        return False
    transition(payment, target)
    transition(order, order_target)
    return True


# -- reversing a guarantee ----------------------------------------------------------------


def reverse_hold(order: Order, staff: StaffUser, reason: str = "") -> tuple[bool, str]:
    """Cancel a held order at Invoicebox (the guarantee is reversed in full), then in the
    shop; commits. Returns ``(canceled, message for staff)``. Refused once a shipment
    exists: Invoicebox has charged, or will charge, what was shipped."""
    order_id, staff_id = order.id, staff.id
    order = locked(Order, order_id)
    payment = _held_payment(order_id)
    if order.status not in ORDER_REVERSIBLE or payment is None:
        db.session.commit()
        return False, _("Only an order paid as a guarantee and not shipped can be canceled "
                        "this way.")
    if _has_shipment(order_id):
        db.session.commit()
        return False, _("A shipment of this order is registered: the guarantee can no longer "
                        "be reversed. Refund the order once it is charged instead.")
    payment_id, invoicebox_id = payment.id, payment.invoicebox_order_id
    db.session.commit()
    client = gateway.client()
    try:
        with gateway.about(order_id=order_id):
            remote = client.cancel_order(invoicebox_id)
    except UnknownOutcome:
        try:
            with gateway.about(order_id=order_id):
                remote = client.get_order(invoicebox_id)
        except InvoiceboxError:
            return False, _("Invoicebox did not answer and the order could not be checked. "
                            "Nothing was changed; try again.")
    except InvoiceboxError as error:
        log.warning("hold reversal refused: %s", error)
        return False, _("Invoicebox refused to cancel the order: %(message)s.",
                        message=error.message)
    reported = payment_status_for(remote.status)
    because = reason.strip()

    def apply() -> HoldResult:
        payment = db.session.get(Payment, payment_id)
        result = apply_hold_news(payment, reported, amount=None, currency=None,
                                 paid_at=None, source="staff")
        if result is HoldResult.APPLIED and reported == PaymentStatus.CANCELED:
            record_event(locked(Order, order_id), EventKind.ORDER_CANCELED,
                         f"Order canceled by staff; the guarantee was reversed."
                         f"{' Reason: ' + because if because else ''}", staff_id=staff_id,
                         data={"reason": because} if because else None)
        return result

    retry_on_conflict(apply)
    if reported == PaymentStatus.CANCELED:
        return True, _("Order canceled. Invoicebox releases the reserved money to the buyer.")
    return False, _("Invoicebox would not cancel the order; it is now %(status)s there.",
                    status=remote.status or "?")


def _held_payment(order_id: int) -> Payment | None:
    return db.session.execute(
        db.select(Payment).where(Payment.order_id == order_id,
                                 Payment.status.in_(PAYMENT_HELD))
    ).scalars().first()


def _has_shipment(order_id: int) -> bool:
    return db.session.execute(
        db.select(Shipment.id).where(Shipment.order_id == order_id,
                                     Shipment.status.in_(SHIPMENT_COUNTED)).limit(1)
    ).first() is not None


# -- holds waiting too long -----------------------------------------------------------------


def _deadline() -> datetime:
    days = budget.setting("STOREFRONT_HOLD_SHIP_DAYS")
    return now_utc() - timedelta(days=days)


def hold_overdue(order: Order) -> bool:
    """Held longer than ``STOREFRONT_HOLD_SHIP_DAYS`` with nothing shipped."""
    return (order.status in ORDER_HELD and order.paid_at is not None
            and order.paid_at <= _deadline() and not _has_shipment(order.id))


def overdue_hold_criteria() -> list[ColumnElement[bool]]:
    """:func:`hold_overdue` as conditions on ``Order``, for queries (the staff list)."""
    shipped = db.select(Shipment.id).where(Shipment.order_id == Order.id,
                                           Shipment.status.in_(SHIPMENT_COUNTED)).exists()
    return [Order.status.in_(ORDER_HELD), Order.paid_at <= _deadline(), ~shipped]


def overdue_holds(limit: int = 50) -> list[Order]:
    """Held orders past the deadline with nothing shipped, oldest first."""
    return list(db.session.execute(
        db.select(Order).where(*overdue_hold_criteria()).order_by(Order.paid_at).limit(limit)
    ).scalars())
