"""Refunds of paid orders (CONTRACT §2.6-2.8, §7): what can be refunded, issuing a
refund, and keeping the shop's refunds in step with Invoicebox.

This module issues refunds. The arithmetic of a refund lives in :mod:`.refund_plan` and
the reconciliation with Invoicebox in :mod:`.refund_sync`; their public names are
re-exported here, so callers need only this module.

Safety rules, in the order they apply when a refund is issued:

1. The form's one-time token is stored on the refund (unique): the same form sent
   twice finds the first refund instead of making another.
2. Earlier refunds still waiting for Invoicebox's answer are looked up by their
   ``merchantOrderId`` first; one that may still be on its way blocks the next.
3. The refund is saved as the order's one ``pending`` refund (the partial unique index
   ``one_pending_refund``) and committed before anything is sent, so a crash or a
   timeout leaves a record to reconcile. A pending refund is never sent a second time.
4. With that slot held, what is refundable is read from Invoicebox once more and the
   selection checked against it: a refund made meanwhile (by another form) stops this
   one before it is sent, and the unsent refund is deleted.
5. Every call to Invoicebox is made with no transaction open; each answer is applied in
   a short transaction under the order's row lock.
"""

from __future__ import annotations

import logging

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from .. import gateway
from ..extensions import db
from ..invoicebox import (
    CreateRefundRequest,
    GatewayRefundStatus,
    InvoiceboxError,
    UnknownOutcome,
)
from ..models import Order, Payment, Refund, RefundLine, StaffUser
from ..states import ORDER_REFUNDABLE, RefundStatus, transition
from .events import EventKind, record_event, refusal_message
from .locking import locked, retry_on_conflict
from .refund_fee import Fee, check_fee, fee_vat, hold, owner_name, release_draft, send_correction
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
    apply_remote,
    mark_refunded,
    reconcile_pending,
    refresh_refunds,
    refunds_of,
)
from .request_links import claim_request, link_request, reopen_request

__all__ = [
    "REFRESH_INTERVAL",
    "Fee",
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
    return _read_positions(order.id, payment.invoicebox_order_id)


def create_refund(
    order: Order, selection: RefundSelection, reason: str, form_token: str,
    staff: StaffUser | None, refund_request_id: int | None = None,
    fee: Fee | None = None,
) -> Refund:
    """Issue a refund of ``selection`` and return it; see the module docstring.

    With ``refund_request_id`` the refund answers that open request of the buyer's: the
    request is linked to it when it is saved, and open again if it is never made.

    With a ``fee``, the refund is created as a draft and finished by a correction order
    keeping the fee (:mod:`.refund_fee`); it is returned ``created`` once both are made,
    or ``draft`` when the correction order is still to be confirmed.

    The returned refund is ``created`` (accepted), ``rejected`` (refused: ``refund.error``
    says why in plain words) or ``pending`` (the answer was lost; it is reconciled
    later). Raises :class:`RefundError` when nothing was sent (an invalid selection, an
    order that cannot be refunded, an earlier refund still awaiting its answer, what is
    refundable changed meanwhile) and :class:`InvoiceboxError` when what is refundable
    could not be read; no refund is kept then.
    """
    staff_id = staff.id if staff is not None else None  # None: the shop itself (a reversal)
    reason = reason.strip()
    if not reason:
        raise RefundError(_("Give the reason for the refund."))
    existing = _by_form_token(form_token)
    if existing is not None:
        return _same_form(existing, order)
    if order.status not in ORDER_REFUNDABLE:
        raise RefundError(_("Only a paid order can be refunded."))
    order_id, skus = order.id, {line.sku for line in order.lines}
    payment = _paid_payment(order)
    payment_id, parent_id = payment.id, payment.invoicebox_order_id

    try:
        if reconcile_pending(order_id, parent_id).unresolved:
            raise RefundError(_(
                "An earlier refund of this order is still waiting for Invoicebox's answer. "
                "Use “Sync with Invoicebox” in a minute, then try again."
            ))
        positions = _read_positions(order_id, parent_id)
        plan = plan_refund(positions, selection, skus)
        check_fee(fee, plan.amount)
        refund, claimed = _claim(order_id, payment_id, plan, positions, form_token, reason,
                                 staff_id, refund_request_id, fee)
    except RefundError:
        # A copy of this same form may have made its refund meanwhile: that is no error.
        existing = _by_form_token(form_token)
        if existing is not None:
            return _same_form(existing, order)
        raise
    if not claimed:
        return refund  # this form's refund, made by a copy of it that got there first
    refund_id, merchant_order_id = refund.id, refund.merchant_order_id
    # No other refund of the order can start now: what Invoicebox lists is final for this
    # one. Anything that changed since the plan was made stops it before it is sent.
    try:
        fresh = _read_positions(order_id, parent_id, refund_id=refund_id)
        if plan_refund(fresh, selection, skus) != plan:
            raise RefundError(_("What can be refunded changed while this refund was "
                                "prepared. Nothing was sent; check the positions and issue "
                                "it again."))
    except (RefundError, InvoiceboxError) as error:
        _withdraw(order_id, refund_id, error)
        raise
    request = CreateRefundRequest(
        parent_id=parent_id,
        merchant_order_id=merchant_order_id,
        description=reason,
        basket_items=plan.items,
        status=GatewayRefundStatus.DRAFT.value if fee is not None else None,
    )
    remaining = sum(position.available for position in fresh) - plan.amount
    owner = owner_name()
    _send(order_id, refund_id, request, remaining, staff_id, owner)
    if fee is not None:
        try:
            send_correction(order_id, refund_id, owner, staff_id=staff_id)
        finally:
            release_draft(refund_id, owner)
    return db.session.get(Refund, refund_id)


def _claim(order_id: int, payment_id: int, plan: RefundPlan,
           positions: list[RefundablePosition], form_token: str, reason: str,
           staff_id: int | None, refund_request_id: int | None = None,
           fee: Fee | None = None) -> tuple[Refund, bool]:
    """Save the refund as the order's one ``pending`` refund, under the order's lock.

    Returns it and True; or, when a copy of the same form saved its refund first, that
    refund and False.
    """
    order = locked(Order, order_id)
    existing = _by_form_token(form_token)
    if existing is not None:
        db.session.commit()
        return _same_form(existing, order), False
    try:
        request = claim_request(order, refund_request_id) if refund_request_id else None
    except RefundError:
        db.session.rollback()
        raise
    mark_refunded(order, sum(position.available for position in positions))
    if order.status not in ORDER_REFUNDABLE:
        db.session.commit()
        raise RefundError(_("Nothing is left to refund on this order."))
    merchant_order_id = _next_merchant_order_id(order)
    refund = Refund(
        order_id=order_id,
        payment_id=payment_id,
        merchant_order_id=merchant_order_id,
        form_token=form_token,
        status=RefundStatus.PENDING.value,
        amount=plan.amount,
        vat_amount=plan.vat_amount,
        reason=reason,
        staff_id=staff_id,
        lines=[RefundLine(**line) for line in plan.lines],
    )
    if fee is not None:
        refund.fee_amount = fee.amount
        refund.fee_vat_amount = fee_vat(fee)
        refund.fee_reason = fee.reason.strip()
        # The correction order's own number: the refund's, marked as its fee (Q15: ≤ 36).
        refund.correction_merchant_order_id = f"{merchant_order_id}-F"
    db.session.add(refund)
    if request is not None:
        link_request(request, refund, staff_id)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        existing = _by_form_token(form_token)
        if existing is not None:
            return _same_form(existing, order), False
        raise RefundError(_(
            "Another refund of this order is being issued at this moment. "
            "Reload the page to see what is still refundable."
        )) from None
    return refund, True


def _withdraw(order_id: int, refund_id: int, error: Exception) -> None:
    """The refund was saved but is not sent after all: it never existed for Invoicebox, so
    it goes, and the slot with it; staff are told why by the error raised."""

    def apply() -> None:
        locked(Order, order_id)
        refund = locked(Refund, refund_id)
        if refund.status == RefundStatus.PENDING:
            reopen_request(refund)
            db.session.delete(refund)

    retry_on_conflict(apply)
    log.info("refund %s not sent: %s", refund_id, error)


def _read_positions(order_id: int, parent_id: str,
                    refund_id: int | None = None) -> list[RefundablePosition]:
    with gateway.about(order_id=order_id, refund_id=refund_id):
        return positions_from(gateway.client().get_refundable_items(parent_id))


# -- sending -----------------------------------------------------------------------------


def _send(order_id: int, refund_id: int, request: CreateRefundRequest, remaining: int,
          staff_id: int | None, owner: str) -> None:
    """POST the refund with no transaction open, then apply the answer under the locks."""
    remote, error = gateway.attempt(lambda client: client.create_refund(request),
                                    order_id=order_id, refund_id=refund_id)
    request_id = remote.request_id if remote is not None else error.request_id

    def apply() -> None:
        order = locked(Order, order_id)
        refund = locked(Refund, refund_id)
        refund.request_id = request_id
        if remote is not None:
            apply_remote(order, refund, remote, staff_id=staff_id)
            mark_refunded(order, remaining)
            if refund.status == RefundStatus.DRAFT:
                hold(refund, owner)  # this request sends the correction order next
        elif isinstance(error, UnknownOutcome):
            refund.error = (
                "Invoicebox did not answer in time, so it is not known yet whether the "
                "refund was made. It will be checked by its number before anything else "
                "is done."
            )
            record_event(order, EventKind.REFUND_UNCONFIRMED, f"Refund {refund.merchant_order_id} "
                         "sent; Invoicebox's answer was lost", staff_id=staff_id)
        elif refund.status == RefundStatus.PENDING:
            # An API refusal, or a request that provably never left: nothing was refunded.
            transition(refund, RefundStatus.REJECTED)
            reopen_request(refund)
            refund.error = refusal_message(error, "refund")
            record_event(order, EventKind.REFUND_REJECTED, f"Refund {refund.merchant_order_id} "
                         f"refused: {refund.error}", staff_id=staff_id,
                         data={"code": error.code, "request_id": error.request_id})

    retry_on_conflict(apply)
    if error is not None:
        outcome = "outcome unknown" if isinstance(error, UnknownOutcome) else "rejected"
        log.warning("refund %s: %s (%s)", request.merchant_order_id, outcome, error.code)


# -- small helpers -----------------------------------------------------------------------


def _paid_payment(order: Order) -> Payment:
    payment = order.paid_payment
    if payment is None or not payment.invoicebox_order_id:
        raise RefundError(_("This order has no completed Invoicebox payment to refund."))
    return payment


def _by_form_token(form_token: str) -> Refund | None:
    return db.session.execute(
        db.select(Refund).where(Refund.form_token == form_token)
    ).scalar_one_or_none()


def _same_form(refund: Refund, order: Order) -> Refund:
    if refund.order_id != order.id:
        raise RefundError(_("This refund form belongs to another order. Reload the page."))
    log.info("refund form sent again; showing refund %s", refund.merchant_order_id)
    return refund


def _next_merchant_order_id(order: Order) -> str:
    """``R-<order number>-<n>``: unique per refund, and at most 36 characters (Q15)."""
    count = db.session.execute(
        db.select(db.func.count(Refund.id)).where(Refund.order_id == order.id)
    ).scalar_one()
    return f"R-{order.number}-{count + 1}"
