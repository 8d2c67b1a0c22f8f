"""Buyers' refund requests: what a buyer may ask for, storing the request, and staff's
answer to it (a refund issued through the refund screen, or a refusal with a message).

A request refunds nothing by itself. It is a note to staff, who open the refund screen
pre-filled with it; the refund is then issued by :func:`~.refunds.create_refund`, which
links the request to the refund it produced (:func:`claim_request`). An order has at most
one open request: the buyer's check reads it, and the partial unique index
``one_open_refund_request`` settles two requests sent at once.

What a buyer may ask for is read from the shop's own records, not from Invoicebox (a
buyer's page must not spend the account's API budget): each line's money minus what
refunds have taken from it (completed, or still on their way), in whole units at the
line's unit price, as :class:`~.refund_plan.RefundablePosition` counts them. Staff's
refund screen checks the request against Invoicebox's own amounts before anything is
sent.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..invoicebox import InvoiceboxError
from ..mail import public_url, queue_refund_request_answered, queue_refund_request_received
from ..models import Order, OrderLine, Refund, RefundLine, RefundRequest, RefundRequestLine, now_utc
from ..states import (
    ORDER_REFUNDABLE,
    REFUND_OPEN,
    REFUND_TAKES_AMOUNT,
    RefundRequestStatus,
    RefundStatus,
    transition,
)
from .events import EventKind, record_event
from .locking import locked, retry_on_conflict
from .refund_plan import RefundError
from .refund_sync import refresh_refunds

__all__ = [
    "MAX_MESSAGE",
    "RefundRequestError",
    "RequestableLine",
    "can_request_refund",
    "decline_request",
    "follow_requested_refunds",
    "open_refund_request_count",
    "refund_request",
    "refund_requests_of",
    "request_refund",
    "requestable_lines",
]

log = logging.getLogger(__name__)

# The longest reason or answer kept (the refund form's reason has the same limit).
MAX_MESSAGE = 1000


class RefundRequestError(Exception):
    """Nothing was stored: the message says why, in words fit for the buyer."""


@dataclass(frozen=True)
class RequestableLine:
    """An order line and the money refunds have left on it (kopecks)."""

    line: OrderLine
    available: int

    @property
    def sku(self) -> str:
        return self.line.sku

    @property
    def units(self) -> int:
        """Whole units a buyer may still ask for (``RefundablePosition.units``' rule)."""
        price = self.line.unit_price
        return max(self.available, 0) // price if price > 0 else 0


def requestable_lines(order: Order) -> list[RequestableLine]:
    """The order's lines with what refunds have not taken from them yet."""
    taken = dict(db.session.execute(
        db.select(RefundLine.sku, db.func.sum(RefundLine.total))
        .join(Refund, Refund.id == RefundLine.refund_id)
        .where(Refund.order_id == order.id,
               Refund.status.in_([s.value for s in REFUND_TAKES_AMOUNT]))
        .group_by(RefundLine.sku)
    ).all())
    return [RequestableLine(line, line.total - int(taken.get(line.sku) or 0))
            for line in order.lines]


def can_request_refund(order: Order) -> bool:
    """Whether the order page offers "Request a refund" now."""
    return (order.status in ORDER_REFUNDABLE and _busy(order.id) is None
            and any(line.units > 0 for line in requestable_lines(order)))


def request_refund(order: Order, quantities: Mapping[str, int], reason: str) -> RefundRequest:
    """Store the buyer's request for ``quantities`` (units per sku) and return it.

    Raises :class:`RefundRequestError` when nothing was stored: an order that cannot be
    refunded, a request already open (or a refund being made right now), a line not in
    the order, more units than are left, nothing chosen, no reason.
    """
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_MESSAGE:
        raise RefundRequestError(_("Tell us why you want the refund (up to %(most)s "
                                   "characters).", most=MAX_MESSAGE))
    if order.status not in ORDER_REFUNDABLE or order.paid_payment is None:
        raise RefundRequestError(_("Only a paid order can be refunded."))
    busy = _busy(order.id)
    if busy is not None:
        raise RefundRequestError(busy)
    lines = {line.sku: line for line in requestable_lines(order)}
    chosen: list[RefundRequestLine] = []
    asked: list[tuple[str, int]] = []  # (name, units), for the staff's mail
    for sku, quantity in quantities.items():
        line = lines.get(sku)
        if line is None:
            raise RefundRequestError(_("That item is not part of this order."))
        if quantity < 0 or quantity > line.units:
            raise RefundRequestError(_("“%(name)s”: you can ask for up to %(units)s.",
                                       name=line.line.name, units=line.units))
        if quantity:
            chosen.append(RefundRequestLine(order_line_id=line.line.id, quantity=quantity))
            asked.append((line.line.name, quantity))
    if not chosen:
        raise RefundRequestError(_("Choose how many of which items you want refunded."))
    request = RefundRequest(order_id=order.id, status=RefundRequestStatus.OPEN.value,
                            reason=reason, lines=chosen)
    db.session.add(request)
    try:
        db.session.flush()  # the request's id, for the staff's mail
        record_event(order, EventKind.REFUND_REQUESTED,
                     f"The buyer asked for a refund of {len(chosen)} position(s)")
        queue_refund_request_received(
            request_id=request.id, order_id=order.id, order_number=order.number,
            lines=asked, reason=reason,
            staff_url=public_url("staff.refund", number=order.number, request=request.id))
        db.session.commit()
    except IntegrityError:
        # Another request of this order was stored between the check and this insert.
        db.session.rollback()
        raise RefundRequestError(_open_already()) from None
    log.info("order %s: refund request %s stored", order.number, request.id)
    return request


def refund_requests_of(order: Order) -> list[RefundRequest]:
    """The order's requests, newest first, with their lines and refunds."""
    return list(db.session.execute(
        db.select(RefundRequest).where(RefundRequest.order_id == order.id)
        .order_by(RefundRequest.id.desc())
        .options(selectinload(RefundRequest.lines), selectinload(RefundRequest.refund))
    ).scalars())


def refund_request(request_id: int) -> RefundRequest | None:
    return db.session.get(RefundRequest, request_id)


def open_refund_request_count() -> int:
    return db.session.execute(
        db.select(db.func.count(RefundRequest.id))
        .where(RefundRequest.status == RefundRequestStatus.OPEN.value)
    ).scalar_one()


def follow_requested_refunds(order: Order) -> bool:
    """Refresh the order's refunds while a refund the buyer asked for is on its way (what
    the buyer's page polls; rate-limited like the staff page's refresh). True if changed."""
    if not any(r.refund is not None and r.refund.status in REFUND_OPEN
               for r in refund_requests_of(order)):
        return False
    try:
        return refresh_refunds(order)
    except InvoiceboxError:
        log.warning("order %s: could not refresh refunds for the buyer", order.number)
        return False


def decline_request(request_id: int, staff_id: int, message: str) -> RefundRequest:
    """Refuse an open request with ``message`` for the buyer. Raises :class:`RefundError`
    (staff's words) when it is no longer open."""
    message = (message or "").strip()
    if not message:
        raise RefundError(_("Tell the buyer why the request is declined."))
    found = db.session.get(RefundRequest, request_id)
    if found is None:
        raise RefundError(_("There is no such refund request."))
    order_id = found.order_id

    def apply() -> RefundRequest:
        order = locked(Order, order_id)
        request = locked(RefundRequest, request_id)
        if request.status != RefundRequestStatus.OPEN:
            raise RefundError(_("This refund request was already answered."))
        transition(request, RefundRequestStatus.DECLINED)
        request.answer = message[:MAX_MESSAGE]
        request.staff_id = staff_id
        request.answered_at = now_utc()
        record_event(order, EventKind.REFUND_REQUEST_DECLINED,
                     f"Refund request {request.id} declined", staff_id=staff_id)
        queue_refund_request_answered(
            request_id=request.id, order_id=order.id, order_number=order.number,
            public_token=order.public_token, email=order.customer_email,
            language=order.language, issued=False, staff_message=request.answer)
        return request

    try:
        return retry_on_conflict(apply)
    except RefundError:
        db.session.rollback()
        raise


# -- small helpers -----------------------------------------------------------------------


def _open_already() -> str:
    return _("You have already asked for a refund of this order; we will answer it soon. "
             "You can see it below.")


def _busy(order_id: int) -> str | None:
    """Why the buyer cannot ask now, or None: read in one statement, so that a refund
    settling between two reads cannot slip a second open request past both."""
    open_request = (db.select(RefundRequest.id)
                    .where(RefundRequest.order_id == order_id,
                           RefundRequest.status == RefundRequestStatus.OPEN.value)
                    .exists())
    pending_refund = (db.select(Refund.id)
                      .where(Refund.order_id == order_id,
                             Refund.status == RefundStatus.PENDING.value)
                      .exists())
    has_open, has_pending = db.session.execute(
        db.select(open_request.label("has_open"), pending_refund.label("has_pending"))).one()
    if has_open:
        return _open_already()
    if has_pending:
        return _("A refund of this order is being made right now. Please look again in a "
                 "minute.")
    return None
