"""Linking a buyer's refund request to the refund staff issue for it.

Called by :func:`~.refunds.create_refund` and the refund reconciliation, under the order's
lock. Lock order: order, payment, refund, refund request.
"""

from __future__ import annotations

import logging

from flask_babel import gettext as _

from ..extensions import db
from ..invoicebox import kopecks_to_decimal
from ..mail import queue_refund_request_answered
from ..models import Order, Refund, RefundRequest, now_utc
from ..states import RefundRequestStatus, transition
from .locking import locked
from .refund_plan import RefundError

__all__ = ["claim_request", "link_request", "reopen_request", "tell_buyer_refund_made"]

log = logging.getLogger(__name__)


def claim_request(order: Order, request_id: int) -> RefundRequest:
    """The open request of ``order`` a refund is being issued for, locked (lock order:
    order, payment, refund, refund request). Raises :class:`RefundError` otherwise."""
    request = db.session.get(RefundRequest, request_id)
    if request is None or request.order_id != order.id:
        raise RefundError(_("This refund request belongs to another order. Reload the page."))
    request = locked(RefundRequest, request_id)
    if request.status != RefundRequestStatus.OPEN:
        raise RefundError(_("This refund request was already answered."))
    return request


def link_request(request: RefundRequest, refund: Refund, staff_id: int) -> None:
    """The refund is issued for ``request``: the buyer's page follows it from now on."""
    request.refund = refund
    transition(request, RefundRequestStatus.ISSUED)
    request.staff_id = staff_id
    request.answered_at = now_utc()


def reopen_request(refund: Refund) -> None:
    """The refund a request led to was never made (withdrawn before it was sent, refused
    by Invoicebox): the request goes back to staff. Call under the order's lock."""
    request = db.session.execute(
        db.select(RefundRequest).where(RefundRequest.refund_id == refund.id)
    ).scalar_one_or_none()
    if request is None or request.status != RefundRequestStatus.ISSUED:
        return
    request.refund = None
    transition(request, RefundRequestStatus.OPEN)
    request.staff_id = None
    request.answered_at = None
    db.session.flush()  # unlinked before the refund may go
    log.info("refund request %s open again: refund %s was not made", request.id,
             refund.merchant_order_id)


def tell_buyer_refund_made(order: Order, refund: Refund) -> None:
    """Invoicebox accepted ``refund``: if a buyer's request led to it, their mail says the
    request was answered with this refund (queued once, in the caller's transaction). Not
    earlier: a refund withdrawn or refused before this reopens the request instead."""
    request = db.session.execute(
        db.select(RefundRequest).where(RefundRequest.refund_id == refund.id)
    ).scalar_one_or_none()
    if request is None:
        return
    queue_refund_request_answered(
        request_id=request.id, order_id=order.id, order_number=order.number,
        public_token=order.public_token, email=order.customer_email,
        language=order.language, issued=True, amount=kopecks_to_decimal(refund.amount))
