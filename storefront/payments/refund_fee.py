"""Refunds that keep a fee: a draft refund finished by a correction order (CONTRACT §2.9, §7.9).

Staff may keep part of a refund (a restocking fee, a penalty). Invoicebox does it in two
writes: the refund is created as a ``draft`` (nothing is paid out yet), then a correction
order whose basket holds the fee is created with ``parentId`` = the draft's id; Invoicebox
then pays the buyer the refund less the fee, and the draft becomes ``created``.

The second write can fail after the first succeeded (a timeout, a 5xx, a 429). The draft is
never left so: the request that made it sends the correction order at once; if that does
not settle it, the reconcile runner (:func:`finish_drafts`) finishes it, or cancels it.

* Each draft is worked on by one process at a time: the request that made it, or a runner,
  holds its lease (``lease_owner`` / ``lease_until``, claimed by a conditional ``UPDATE``,
  as payments are). A process that dies with it leaves a lease that ends on its own.
* The correction order is never sent twice blindly: ``correction_sent_at`` is committed
  before each send, and a runner waits until that send can no longer be in flight, then
  reads the refund at Invoicebox by its ``merchantOrderId`` before sending again. A draft
  Invoicebox reports ``created`` was finished by the earlier send; one it reports
  ``canceled`` is canceled in the shop.
* A correction order Invoicebox refuses outright (a 4xx other than 429 and 401/403, or
  a request the client will not send) can never be made: the draft is canceled in the
  shop, nothing having been paid out. Everything else (no answer, 5xx, 429, a token
  problem) leaves the draft for the next pass.
* No transaction is open during a call (:func:`storefront.gateway.about`); each answer is
  applied under the locks, order → refund.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _

from .. import gateway
from ..extensions import db
from ..invoicebox import (
    ApiError,
    AuthError,
    Basket,
    BasketError,
    CreateOrderRequest,
    InvalidRequest,
    InvoiceboxError,
    RateLimited,
    ServerError,
    decimal_to_kopecks,
    kopecks_to_decimal,
)
from ..invoicebox import Order as RemoteOrder
from ..invoicebox import Refund as RemoteRefund
from ..models import Order, Payment, Refund, now_utc
from ..states import RefundStatus, refund_status_for, transition
from .events import EventKind, record_event, refusal_message
from .locking import locked, retry_on_conflict
from .order_request import customer_of
from .refund_plan import RefundError
from .refund_sync import apply_remote, created_message

__all__ = ["Fee", "check_fee", "claim_drafts", "fee_line", "finish_draft", "release_draft",
           "send_correction"]

log = logging.getLogger(__name__)

FEE_SKU = "fee"
# The fee is the shop's own service, taxed at the standard rate (CONTRACT §3.4).
FEE_VAT_CODE = "RUS_VAT22"
# How long a process may work on a draft before another may take it over.
LEASE_SECONDS = 300
# The correction order is a completed order; its expiration date only has to be ahead.
CORRECTION_EXPIRES_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Fee:
    """What staff keep from a refund: kopecks, and the reason (printed on the receipt)."""

    amount: int
    reason: str


def check_fee(fee: Fee | None, refund_amount: int) -> None:
    """Raise :class:`RefundError` unless the fee is more than nothing and less than the
    refund, and says why it is kept."""
    if fee is None:
        return
    if not fee.reason.strip():
        raise RefundError(_("Say why the fee is kept."))
    if fee.amount <= 0:
        raise RefundError(_("A fee must be more than zero."))
    if fee.amount >= refund_amount:
        raise RefundError(_("The fee must be less than the refund (%(amount)s).",
                            amount=_rub(refund_amount)))


def fee_line(fee: Fee) -> Basket:
    """The correction order's basket: one service line, the fee, paid in full."""
    basket = Basket()
    try:
        basket.add(sku=FEE_SKU, name=fee.reason.strip()[:500],
                   unit_price=kopecks_to_decimal(fee.amount), quantity=1,
                   vat_code=FEE_VAT_CODE, type="service", payment_type="full_payment")
        basket.validate()
    except BasketError as error:
        raise RefundError(_("The fee does not add up: %(message)s",
                            message=error.message)) from None
    return basket


def owner_name() -> str:
    """Who holds a draft's lease: host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"[:80]


def hold(refund: Refund, owner: str) -> None:
    """Lease ``refund`` to ``owner`` (inside the caller's transaction)."""
    refund.lease_owner = owner
    refund.lease_until = now_utc() + timedelta(seconds=LEASE_SECONDS)


def release_draft(refund_id: int, owner: str) -> None:
    """End ``owner``'s lease on the refund; commits."""
    db.session.execute(
        db.update(Refund).where(Refund.id == refund_id, Refund.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False))
    db.session.commit()


def claim_drafts(owner: str, limit: int) -> list[int]:
    """Lease up to ``limit`` drafts that need finishing to ``owner``; commits.

    Due: a draft no one holds whose correction order was never sent, or was last sent
    so long ago that the send cannot still be in flight. The conditions are in the
    ``UPDATE`` itself, so two runners never take the same draft.
    """
    now = now_utc()
    settled = now - timedelta(seconds=gateway.in_flight_seconds())
    due = db.and_(
        Refund.status == RefundStatus.DRAFT.value,
        db.or_(Refund.lease_until.is_(None), Refund.lease_until < now),
        db.or_(Refund.correction_sent_at.is_(None), Refund.correction_sent_at <= settled),
    )
    candidates = db.select(Refund.id).where(due).order_by(Refund.id).limit(limit)
    ids = db.session.execute(
        db.update(Refund).where(Refund.id.in_(candidates.scalar_subquery()), due)
        .values(lease_owner=owner, lease_until=now + timedelta(seconds=LEASE_SECONDS))
        .returning(Refund.id)
        .execution_options(synchronize_session=False)
    ).scalars().all()
    db.session.commit()
    return list(ids)


def finish_draft(refund_id: int, owner: str) -> bool:
    """Finish a leased draft: read it at Invoicebox, then adopt what happened to it or send
    its correction order again. True if the refund changed. Raises
    :class:`InvoiceboxError` when Invoicebox cannot be read (the draft waits)."""
    refund = db.session.get(Refund, refund_id)
    order_id, merchant_order_id = refund.order_id, refund.merchant_order_id
    parent_id = db.session.get(Payment, refund.payment_id).invoicebox_order_id
    db.session.commit()
    with gateway.about(order_id=order_id, refund_id=refund_id):
        found = gateway.client().find_refund_by_merchant_order_id(
            merchant_order_id, parent_id=parent_id)

    def apply() -> tuple[bool, bool]:
        order = locked(Order, order_id)
        refund = locked(Refund, refund_id)
        if refund.status != RefundStatus.DRAFT or refund.lease_owner != owner:
            return False, False
        if found is None:  # it was accepted, so it exists: the list is behind; next pass
            log.warning("draft refund %s not listed by Invoicebox", merchant_order_id)
            return False, False
        changed = apply_remote(order, refund, found)
        return changed, refund.status == RefundStatus.DRAFT

    changed, still_draft = retry_on_conflict(apply)
    if still_draft:
        changed = send_correction(order_id, refund_id, owner) or changed
    return changed


def send_correction(order_id: int, refund_id: int, owner: str,
                    staff_id: int | None = None) -> bool:
    """Send the draft's correction order, holding its lease; apply the answer. True if the
    refund changed (finished, or canceled)."""

    def intent() -> tuple[CreateOrderRequest, str, str] | None:
        order = locked(Order, order_id)
        refund = locked(Refund, refund_id)
        if refund.status != RefundStatus.DRAFT or refund.lease_owner != owner:
            return None
        refund.correction_sent_at = now_utc()
        parent_id = db.session.get(Payment, refund.payment_id).invoicebox_order_id
        return _correction_request(order, refund), refund.merchant_order_id, parent_id

    try:
        sending = retry_on_conflict(intent)
    except RefundError as refusal:  # the fee cannot be put in a basket: it never will be
        db.session.rollback()
        why = str(refusal)
        retry_on_conflict(lambda: _cancel(order_id, refund_id, why, staff_id))
        return True
    if sending is None:
        return False
    request, merchant_order_id, parent_id = sending
    remote, error = gateway.attempt(lambda client: client.create_correction_order(request),
                                    order_id=order_id, refund_id=refund_id)
    # A refusal may only say that an earlier send made it after all (a refund no longer a
    # draft takes no correction order): the refund's own status tells (CONTRACT Q25).
    read_back = _read_back(order_id, refund_id, merchant_order_id, parent_id) \
        if error is not None and _refused(error) else None

    def apply() -> bool:
        order = locked(Order, order_id)
        refund = locked(Refund, refund_id)
        if refund.status != RefundStatus.DRAFT:
            return False  # finished meanwhile
        if remote is not None:
            refund.correction_order_id = remote.id or None
            refund.request_id = remote.request_id
            refund.error = None
            _net_check(refund, remote)
            transition(refund, RefundStatus.CREATED)
            record_event(order, EventKind.REFUND_CREATED, created_message(refund),
                         staff_id=staff_id,
                         data={"invoicebox_refund_id": refund.invoicebox_refund_id,
                               "correction_order_id": refund.correction_order_id})
            log.info("refund %s: fee kept by correction order %s", refund.merchant_order_id,
                     refund.correction_order_id)
            return True
        assert error is not None
        refund.request_id = error.request_id or refund.request_id
        if read_back is not None:
            read, found = read_back
            if found is not None and refund_status_for(found.status) != RefundStatus.DRAFT:
                return apply_remote(order, refund, found)
            if read:  # still a draft, and its correction order refused: it never will be
                why = refusal_message(error, "correction order", "correction order keeping the fee")
                _cancel_locked(order, refund, why, staff_id,
                               data={"code": error.code, "request_id": error.request_id})
                return True
        if refund.error != CORRECTION_PENDING:
            refund.error = CORRECTION_PENDING
            record_event(order, EventKind.CORRECTION_UNCONFIRMED,
                         f"Correction order {refund.correction_merchant_order_id} for the fee "
                         f"of refund {refund.merchant_order_id}: no clear answer "
                         f"({error.code or type(error).__name__}); it is finished by "
                         "reconciliation", staff_id=staff_id,
                         data={"code": error.code, "request_id": error.request_id})
        return False

    changed = retry_on_conflict(apply)
    if error is not None:
        log.warning("refund %s: correction order not confirmed (%s)", refund_id, error.code)
    return changed


CORRECTION_PENDING = (
    "The refund is a draft at Invoicebox until the correction order keeping the fee is "
    "confirmed; reconciliation finishes it or cancels it."
)


def _correction_request(order: Order, refund: Refund) -> CreateOrderRequest:
    fee = Fee(refund.fee_amount or 0, refund.fee_reason or "")
    basket = fee_line(fee)
    return CreateOrderRequest(
        merchant_id=current_app.config["INVOICEBOX_MERCHANT_ID"],
        merchant_order_id=refund.correction_merchant_order_id or "",
        description=f"Удержание при возврате {refund.merchant_order_id} по заказу "
                    f"№ {order.number}: {fee.reason.strip()}"[:1000],
        basket_items=basket.items,
        amount=basket.amount,
        vat_amount=kopecks_to_decimal(refund.fee_vat_amount or 0),
        currency_id=order.currency,
        language_id=order.language,
        expiration_date=now_utc() + CORRECTION_EXPIRES_AFTER,
        customer=customer_of(order),
        parent_id=refund.invoicebox_refund_id,
    )


def fee_vat(fee: Fee) -> int:
    """The VAT in the fee, in kopecks."""
    return decimal_to_kopecks(fee_line(fee).items[0].total_vat_amount or Decimal(0))


def _read_back(order_id: int, refund_id: int, merchant_order_id: str,
               parent_id: str) -> tuple[bool, RemoteRefund | None]:
    """Whether the refund could be read, and how Invoicebox has it now. Not read: the
    draft waits for the next pass, which reads it again before anything else."""
    try:
        with gateway.about(order_id=order_id, refund_id=refund_id):
            return True, gateway.client().find_refund_by_merchant_order_id(
                merchant_order_id, parent_id=parent_id)
    except InvoiceboxError as exc:
        log.warning("refund %s: not read back after a refused correction order: %s",
                    merchant_order_id, exc)
        return False, None


def _refused(error: InvoiceboxError) -> bool:
    """An answer that will not change if asked again: the correction order cannot be made."""
    if isinstance(error, InvalidRequest):
        return True
    return isinstance(error, ApiError) and not isinstance(
        error, RateLimited | ServerError | AuthError)


def _cancel(order_id: int, refund_id: int, why: str, staff_id: int | None) -> None:
    order = locked(Order, order_id)
    refund = locked(Refund, refund_id)
    if refund.status == RefundStatus.DRAFT:
        _cancel_locked(order, refund, why, staff_id)


def _cancel_locked(order: Order, refund: Refund, why: str, staff_id: int | None,
                   data: dict | None = None) -> None:
    transition(refund, RefundStatus.CANCELED)
    refund.error = why
    record_event(order, EventKind.REFUND_CANCELED,
                 f"Refund {refund.merchant_order_id} ({_rub(refund.amount)}) canceled: the fee "
                 f"could not be kept ({why}); nothing was paid out",
                 staff_id=staff_id, data=data)
    log.warning("refund %s canceled: %s", refund.merchant_order_id, why)


def _net_check(refund: Refund, remote: RemoteOrder | RemoteRefund) -> None:
    """Invoicebox computes the net itself; say so in the log if it differs from ours."""
    amount = remote.amount
    if amount is not None and decimal_to_kopecks(amount) != refund.fee_amount:
        log.warning("refund %s: correction order of %s, the fee is %s",
                    refund.merchant_order_id, amount, _rub(refund.fee_amount or 0))


def _rub(kopecks: int) -> str:
    return f"{kopecks_to_decimal(kopecks)} RUB"
