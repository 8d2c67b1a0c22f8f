"""Reversals: the money of an order the shop could not deliver goes back, after the answer.

With shipment control on, a payment whose goods are not in stock is answered
``shipping_unavailable`` and the order becomes ``undeliverable``; a
:class:`~storefront.models.Reversal` is written in that same transaction
(:mod:`.stock`). ``shipping_unavailable`` itself refunds nothing (CONTRACT §5.4): the
shop must. The reconcile runner (:func:`.reconcile.run_pass`) does it here, never inside
the notification's transaction:

* due reversals (no refund yet, or only one that Invoicebox refused or canceled; no live
  lease; fewer than :data:`MAX_ATTEMPTS` tries) are claimed with a lease in one conditional
  ``UPDATE``, so two runners never take the same;
* each is carried out as a full refund through :func:`.refunds.create_refund` (everything
  still refundable; its one-time token is the reversal's, so a runner that died after
  sending finds the refund it made instead of making another);
* the refund is linked to the reversal: accepted, the history says the reversal was
  issued; its answer lost, it is reconciled like any other refund (``refund_sync``), and
  should that prove it never made, the reversal is due again; a refusal is recorded and
  tried again on a later pass, and after :data:`MAX_ATTEMPTS` the history asks staff to
  act.

A guarantee (hold) payment is reversed with ``DELETE`` instead (CONTRACT §4.1, §5.4;
``docs/merchant/order/delete.md``): a hold with no shipment is canceled in full, nothing is
refunded. The runner sends the ``DELETE`` (an unknown outcome is settled by reading the
order back), and applies the answer in a short transaction of its own: the payment
``canceled`` and the order ``hold_undeliverable`` → ``canceled``
(:func:`.holds.apply_hold_news`), the reversal marked issued, the history told. A refusal,
or an order that is not ``canceled`` afterwards, is recorded and tried again, as for a
refund.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from .. import gateway
from ..extensions import db
from ..invoicebox import ApiError, InvoiceboxError, RateLimited, UnknownOutcome
from ..models import Order, Payment, Refund, Reversal, now_utc
from ..states import PAYMENT_HELD, PaymentStatus, RefundStatus, payment_status_for
from .events import EventKind, record_event
from .holds import apply_hold_news
from .locking import locked, retry_on_conflict
from .refund_plan import RefundError, RefundSelection
from .refunds import create_refund

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
LEASE_SECONDS = 300
REASON = "Shipment control: the goods were not in stock; the payment is returned in full."


def has_reversal(order: Order) -> bool:
    """The order could not be delivered and its money goes (or went) back: it stays so for
    the buyer once the refund has made it ``refunded``."""
    return db.session.execute(
        db.select(Reversal.id).where(Reversal.order_id == order.id)).first() is not None


def carry_out_due(limit: int, stop=lambda: False) -> tuple[int, list[str]]:
    """Carry out due reversals (refunds, or DELETEs of guarantees); returns how many were
    issued and the errors."""
    issued, errors = 0, []
    claimed = claim(limit)
    for index, (reversal_id, order_id) in enumerate(claimed):
        if stop():
            _release(reversal_id)
            continue
        try:
            issued += int(carry_out(reversal_id, order_id))
        except RateLimited:  # not a failure of this reversal: the pass backs off
            db.session.rollback()
            for later_id, _order in claimed[index:]:
                _release(later_id)
            raise
        except InvoiceboxError as exc:  # not read or not sent: tried again next pass
            db.session.rollback()
            errors.append(f"reversal {reversal_id}: {exc}")
            _failed(reversal_id, order_id, f"Invoicebox could not be reached: {exc}")
    return issued, errors


def claim(limit: int) -> list[tuple[int, int]]:
    """Lease up to ``limit`` due reversals; commits. ``(reversal id, order id)`` each."""
    now = now_utc()
    refused = db.select(Refund.id).where(
        Refund.id == Reversal.refund_id,
        Refund.status.in_([RefundStatus.REJECTED.value, RefundStatus.CANCELED.value])).exists()
    # Not yet carried out: no refund and no DELETE applied (issued_at), or only a refund
    # that Invoicebox refused or canceled.
    due = db.and_(db.or_(db.and_(Reversal.refund_id.is_(None), Reversal.issued_at.is_(None)),
                         refused),
                  Reversal.attempts < MAX_ATTEMPTS,
                  db.or_(Reversal.lease_until.is_(None), Reversal.lease_until < now))
    candidates = db.select(Reversal.id).where(due).order_by(Reversal.id).limit(limit)
    rows = db.session.execute(
        db.update(Reversal).where(Reversal.id.in_(candidates.scalar_subquery()), due)
        .values(lease_until=now + timedelta(seconds=LEASE_SECONDS))
        .returning(Reversal.id, Reversal.order_id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return [(row[0], row[1]) for row in rows]


def carry_out(reversal_id: int, order_id: int) -> bool:
    """Refund the order in full for its reversal, or cancel a guarantee; True when
    Invoicebox accepted it."""
    order = db.session.get(Order, order_id)
    reversal = db.session.get(Reversal, reversal_id)
    attempts = reversal.attempts
    payment = db.session.get(Payment, reversal.payment_id)
    if payment.status in PAYMENT_HELD or payment.status == PaymentStatus.CANCELED:
        # A guarantee: DELETE, not a refund (it may already be canceled: say so).
        invoicebox_id, payment_id = payment.invoicebox_order_id, payment.id
        db.session.commit()
        return _delete(reversal_id, order_id, payment_id, invoicebox_id,
                       already=payment.status == PaymentStatus.CANCELED)
    db.session.commit()  # nothing is open while Invoicebox is called
    try:
        refund = create_refund(order, RefundSelection(lines=(), everything=True), REASON,
                               f"reversal-{reversal_id}-{attempts}", None)
    except RefundError as error:
        db.session.rollback()
        _failed(reversal_id, order_id, str(error))
        return False
    if refund.status == RefundStatus.REJECTED:
        _failed(reversal_id, order_id, refund.error or "Invoicebox refused the refund.")
        return False
    reversal = db.session.get(Reversal, reversal_id, populate_existing=True)
    reversal.refund_id, reversal.issued_at, reversal.lease_until = refund.id, now_utc(), None
    reversal.attempts += 1
    accepted = refund.status in (RefundStatus.CREATED, RefundStatus.COMPLETED)
    if accepted:  # a lost answer is told by the refund's own history line
        record_event(db.session.get(Order, order_id), EventKind.REVERSAL_ISSUED,
                     f"Reversal issued: refund {refund.merchant_order_id} of the whole payment "
                     f"({refund.amount // 100}.{refund.amount % 100:02d} RUB).",
                     data={"reversal_id": reversal_id, "refund_id": refund.id})
    db.session.commit()
    log.info("order %s: reversal %s sent as refund %s (%s)", order.number, reversal_id,
             refund.merchant_order_id, refund.status)
    return accepted


def _delete(reversal_id: int, order_id: int, payment_id: int, invoicebox_id: str,
            *, already: bool) -> bool:
    """Cancel the held Invoicebox order (the guarantee is released in full), then apply the
    answer; True when it is canceled there. Gateway failures other than a refusal go up to
    :func:`carry_out_due`, which records them."""
    reported = PaymentStatus.CANCELED
    shown = PaymentStatus.CANCELED.value
    if not already:
        client = gateway.client()
        try:
            with gateway.about(order_id=order_id):
                remote = client.cancel_order(invoicebox_id)
        except UnknownOutcome:  # sent, answer lost: what is the order now?
            with gateway.about(order_id=order_id):
                remote = client.get_order(invoicebox_id)
        except RateLimited:
            raise  # carry_out_due releases it and the pass backs off
        except ApiError as error:
            _failed(reversal_id, order_id,
                    f"Invoicebox refused to cancel order {invoicebox_id}: {error.message}")
            return False
        reported, shown = payment_status_for(remote.status), remote.status or "?"

    def apply() -> bool:
        order = locked(Order, order_id)
        payment = locked(Payment, payment_id)
        if reported != PaymentStatus.CANCELED:
            return False
        apply_hold_news(payment, reported, amount=None, currency=None, paid_at=None,
                        source="reconciliation")
        reversal = db.session.get(Reversal, reversal_id, populate_existing=True)
        reversal.issued_at, reversal.lease_until = now_utc(), None
        reversal.attempts += 1
        record_event(order, EventKind.REVERSAL_ISSUED,
                     f"Reversal issued: Invoicebox order {invoicebox_id} canceled (DELETE); "
                     "the guarantee is released to the buyer in full.",
                     data={"reversal_id": reversal_id, "method": "delete"})
        return True

    if retry_on_conflict(apply):
        log.info("order %s: reversal %s carried out by DELETE", order_id, reversal_id)
        return True
    _failed(reversal_id, order_id,
            f"Invoicebox would not cancel order {invoicebox_id}; it is {shown} there.")
    return False


def _failed(reversal_id: int, order_id: int, error: str) -> None:
    reversal = db.session.get(Reversal, reversal_id, populate_existing=True)
    reversal.attempts += 1
    reversal.last_error, reversal.lease_until = error[:1000], None
    last = reversal.attempts >= MAX_ATTEMPTS
    record_event(db.session.get(Order, order_id), EventKind.REVERSAL_FAILED,
                 f"Reversal not issued (try {reversal.attempts} of {MAX_ATTEMPTS}): {error}"
                 + (" Refund the order by hand." if last else " It is tried again."),
                 data={"reversal_id": reversal_id})
    db.session.commit()
    log.warning("reversal %s not issued (try %d): %s", reversal_id, reversal.attempts, error)


def _release(reversal_id: int) -> None:
    db.session.execute(db.update(Reversal).where(Reversal.id == reversal_id)
                       .values(lease_until=None).execution_options(synchronize_session=False))
    db.session.commit()
