"""Refunds of paid orders (CONTRACT §2.6-2.8, §7): what can be refunded, issuing a
refund, and keeping the shop's refunds in step with Invoicebox.

This module issues refunds. The arithmetic of a refund lives in :mod:`.refund_plan` and
the reconciliation with Invoicebox in :mod:`.refund_sync`; their public names are
re-exported here, so callers need only this module.

Safety rules, in the order they apply when a refund is issued:

1. The form's one-time token is stored on the refund (unique): the same form sent
   twice finds the first refund instead of making another.
2. Refunds of one order are serialised: the order row is locked (``FOR UPDATE``,
   effective on PostgreSQL; SQLite has a single writer) and a refund still
   waiting for Invoicebox's answer blocks the next one until it is reconciled.
3. What is refundable is read from Invoicebox inside that section, and the
   selection is checked against it before anything is sent.
4. The refund is saved as ``pending`` and committed before the request, so a crash
   or a timeout leaves a record to reconcile by its unique ``merchantOrderId``.
   A pending refund is never sent a second time.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError

from .. import gateway
from ..extensions import db
from ..invoicebox import ApiError, CreateRefundRequest, InvoiceboxError, UnknownOutcome
from ..models import GatewayCall, Order, Payment, Refund, RefundLine, StaffUser
from ..states import OrderStatus, RefundStatus, transition
from .events import record_event
from .refund_plan import (
    LineChoice,
    RefundablePosition,
    RefundError,
    RefundPlan,
    RefundSelection,
    plan_refund,
    positions_from,
)
from .refund_sync import (
    REFRESH_INTERVAL,
    REFUNDABLE,
    apply_remote,
    reconcile_pending,
    refresh_refunds,
    refunds_of,
    settle_order_status,
)

__all__ = [
    "REFRESH_INTERVAL",
    "REFUNDABLE",
    "LineChoice",
    "RefundError",
    "RefundPlan",
    "RefundSelection",
    "RefundablePosition",
    "create_refund",
    "plan_refund",
    "positions_from",
    "refresh_refunds",
    "refundable_positions",
    "refunds_of",
]

log = logging.getLogger(__name__)


def refundable_positions(order: Order) -> list[RefundablePosition]:
    """The order's lines with what Invoicebox says can still be refunded.

    Raises :class:`RefundError` for an order that was not paid through Invoicebox and
    :class:`InvoiceboxError` when the gateway cannot be read (the call is journalled).
    """
    payment = _paid_payment(order)
    try:
        with gateway.about(order_id=order.id):
            items = gateway.client().get_refundable_items(payment.invoicebox_order_id)
    finally:
        db.session.commit()  # the gateway call journal
    return positions_from(items)


def create_refund(
    order: Order, selection: RefundSelection, reason: str, form_token: str, staff: StaffUser
) -> Refund:
    """Issue a refund of ``selection`` and return it; see the module docstring.

    The returned refund is ``created`` (accepted), ``rejected`` (refused: ``refund.error``
    says why in plain words) or ``pending`` (the answer was lost; it is reconciled
    later). Raises :class:`RefundError` when nothing was sent (an invalid selection, an
    order that cannot be refunded, an earlier refund still awaiting its answer) and
    :class:`InvoiceboxError` when what is refundable could not be read.
    """
    reason = reason.strip()
    if not reason:
        raise RefundError("Give the reason for the refund.")
    existing = _by_form_token(form_token)
    if existing is not None:
        return _same_form(existing, order)
    order = _lock(order)
    # A copy of this same form may have held the lock first; show what it made.
    existing = _by_form_token(form_token)
    if existing is not None:
        return _same_form(existing, order)
    try:
        payment, positions = _fresh_positions(order)
        plan = plan_refund(positions, selection, {line.sku for line in order.lines})
    except (RefundError, InvoiceboxError):
        db.session.commit()  # keep the call journal and whatever was reconciled
        raise
    refund = Refund(
        order_id=order.id,
        payment_id=payment.id,
        merchant_order_id=_next_merchant_order_id(order),
        form_token=form_token,
        status=RefundStatus.PENDING.value,
        amount=plan.amount,
        vat_amount=plan.vat_amount,
        reason=reason,
        staff_id=staff.id,
        lines=[RefundLine(**line) for line in plan.lines],
    )
    db.session.add(refund)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        existing = _by_form_token(form_token)
        if existing is not None:
            return _same_form(existing, order)
        raise RefundError(
            "Another refund of this order was issued at the same moment. "
            "Reload the page to see what is still refundable."
        ) from None
    request = CreateRefundRequest(
        parent_id=payment.invoicebox_order_id,
        merchant_order_id=refund.merchant_order_id,
        description=reason,
        basket_items=plan.items,
    )
    remaining = sum(position.available for position in positions) - plan.amount
    _send(order, refund, request, remaining, staff)
    return refund


def _fresh_positions(order: Order) -> tuple[Payment, list[RefundablePosition]]:
    """Inside the serialised section: settle pending refunds, then read what is left."""
    if OrderStatus(order.status) not in REFUNDABLE:
        raise RefundError("Only a paid order can be refunded.")
    payment = _paid_payment(order)
    if reconcile_pending(order, payment).unresolved:
        raise RefundError(
            "An earlier refund of this order is still waiting for Invoicebox's answer. "
            "Use “Sync with Invoicebox” in a minute, then try again."
        )
    with gateway.about(order_id=order.id):
        items = gateway.client().get_refundable_items(payment.invoicebox_order_id)
    positions = positions_from(items)
    settle_order_status(order, sum(position.available for position in positions))
    return payment, positions


# -- sending -----------------------------------------------------------------------------


def _send(order: Order, refund: Refund, request: CreateRefundRequest, remaining: int,
          staff: StaffUser) -> None:
    try:
        with gateway.about(order_id=order.id, refund_id=refund.id):
            remote = gateway.client().create_refund(request)
    except UnknownOutcome as error:
        refund.request_id = error.request_id
        refund.error = (
            "Invoicebox did not answer in time, so it is not known yet whether the refund "
            "was made. It will be checked by its number before anything else is done."
        )
        log.warning("refund %s: outcome unknown (%s)", refund.merchant_order_id, error.code)
        record_event(order, "refund_unconfirmed", f"Refund {refund.merchant_order_id} sent; "
                     "Invoicebox's answer was lost", staff_id=staff.id)
    except InvoiceboxError as error:
        # An API refusal, or a request that provably never left: nothing was refunded.
        transition(refund, RefundStatus.REJECTED)
        refund.request_id = error.request_id
        refund.error = _refusal(error)
        log.info("refund %s rejected: %s", refund.merchant_order_id, error.code)
        record_event(order, "refund_rejected", f"Refund {refund.merchant_order_id} refused: "
                     f"{refund.error}", staff_id=staff.id,
                     data={"code": error.code, "request_id": error.request_id})
    else:
        refund.request_id = _last_request_id(refund)
        apply_remote(order, refund, remote, staff_id=staff.id)
        settle_order_status(order, remaining)
    db.session.commit()


# -- small helpers -----------------------------------------------------------------------


def _paid_payment(order: Order) -> Payment:
    payment = order.paid_payment
    if payment is None or not payment.invoicebox_order_id:
        raise RefundError("This order has no completed Invoicebox payment to refund.")
    return payment


def _lock(order: Order) -> Order:
    return db.session.execute(
        db.select(Order)
        .where(Order.id == order.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def _by_form_token(form_token: str) -> Refund | None:
    return db.session.execute(
        db.select(Refund).where(Refund.form_token == form_token)
    ).scalar_one_or_none()


def _same_form(refund: Refund, order: Order) -> Refund:
    if refund.order_id != order.id:
        raise RefundError("This refund form belongs to another order. Reload the page.")
    log.info("refund form sent again; showing refund %s", refund.merchant_order_id)
    return refund


def _next_merchant_order_id(order: Order) -> str:
    """``R-<order number>-<n>``: unique per refund, and at most 36 characters (Q15)."""
    count = db.session.execute(
        db.select(db.func.count(Refund.id)).where(Refund.order_id == order.id)
    ).scalar_one()
    return f"R-{order.number}-{count + 1}"


def _last_request_id(refund: Refund) -> str | None:
    return db.session.execute(
        db.select(GatewayCall.request_id)
        .where(GatewayCall.refund_id == refund.id, GatewayCall.method == "POST")
        .order_by(GatewayCall.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _refusal(error: InvoiceboxError) -> str:
    """What staff read when Invoicebox, or the client before sending, refused a refund."""
    if not isinstance(error, ApiError):
        return f"The refund was not sent: {error.message}."
    details = "; ".join(field.message for field in error.fields if field.message)
    text = f"Invoicebox refused the refund: {error.message}"
    return f"{text} ({details})." if details else f"{text}."
