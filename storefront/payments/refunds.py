"""Refunds of paid orders (CONTRACT §2.6-2.8, §7): what can be refunded, issuing a
refund, and keeping the shop's refunds in step with Invoicebox.

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
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError

from .. import gateway
from ..extensions import db
from ..invoicebox import (
    ApiError,
    Basket,
    BasketError,
    BasketItem,
    CreateRefundRequest,
    InvoiceboxError,
    RefundableItem,
    UnknownOutcome,
    compute_line,
    decimal_to_kopecks,
    kopecks_to_decimal,
    vat_rate,
)
from ..invoicebox import Refund as RemoteRefund
from ..models import GatewayCall, Order, Payment, Refund, RefundLine, StaffUser, now_utc
from ..states import OrderStatus, RefundStatus, can_transition, transition
from .checkout import settle_seconds
from .events import record_event

__all__ = [
    "REFUNDABLE",
    "LineChoice",
    "RefundError",
    "RefundSelection",
    "RefundablePosition",
    "create_refund",
    "plan_refund",
    "refresh_refunds",
    "refundable_positions",
    "refunds_of",
]

log = logging.getLogger(__name__)

REFUNDABLE = (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED)
# The order page refreshes unfinished refunds at most this often per order.
REFRESH_INTERVAL = timedelta(seconds=5)
_FINAL = {RefundStatus.COMPLETED, RefundStatus.CANCELED, RefundStatus.REJECTED}
_REMOTE_STATUS = {
    "created": RefundStatus.CREATED,
    "completed": RefundStatus.COMPLETED,
    "canceled": RefundStatus.CANCELED,
    "cancelled": RefundStatus.CANCELED,
}


class RefundError(Exception):
    """Nothing was sent: the message says why, in words fit for staff."""


@dataclass(frozen=True)
class LineChoice:
    """What staff chose for one position: whole units, and/or the part under one unit."""

    sku: str
    quantity: int = 0
    remainder: bool = False


@dataclass(frozen=True)
class RefundSelection:
    lines: tuple[LineChoice, ...] = ()
    everything: bool = False  # every position's whole remainder, whatever ``lines`` say


@dataclass(frozen=True)
class RefundablePosition:
    """A line of ``refund-basket-item`` in kopecks, as the refund screen shows it.

    Invoicebox tracks the remainder as money, so it need not be whole units:
    ``units`` whole units can still be refunded, plus ``odd_part`` kopecks.
    """

    item: RefundableItem
    unit_price: int
    total: int
    available: int
    available_vat: int

    @property
    def sku(self) -> str:
        return self.item.sku

    @property
    def refunded(self) -> int:
        return self.total - self.available

    @property
    def units(self) -> int:
        return self.available // self.unit_price if self.unit_price > 0 else 0

    @property
    def odd_part(self) -> int:
        return self.available - self.units * self.unit_price

    @property
    def vat_percent(self) -> Decimal:
        return vat_rate(self.item.vat_code)


@dataclass(frozen=True)
class RefundPlan:
    """The refund basket and the rows to save, checked against fresh amounts."""

    items: list[BasketItem]
    lines: list[dict[str, Any]]
    amount: int
    vat_amount: int


def positions_from(items: list[RefundableItem]) -> list[RefundablePosition]:
    def kopecks(value: Decimal | None) -> int:
        return decimal_to_kopecks(value or 0)

    return [
        RefundablePosition(item, kopecks(item.amount), kopecks(item.total_amount),
                           kopecks(item.available_amount), kopecks(item.available_vat_amount))
        for item in items
    ]


def plan_refund(positions: list[RefundablePosition], selection: RefundSelection,
                order_skus: set[str]) -> RefundPlan:
    """Turn staff's selection into refund lines, or raise :class:`RefundError`.

    Units are refunded at the line's unit price with VAT at its rate. A line refunded
    down to zero sends exactly ``availableAmount`` / ``availableVatAmount``, so the
    refunded VAT adds up to the line's VAT: as its units when their VAT at the rate is
    exactly that (the receipt then shows the units), else as one unit of the money
    left. A part under one unit is sent as one unit of money too (CONTRACT §7.4-5).
    """
    by_sku = {position.sku: position for position in positions}
    wanted: dict[str, tuple[int, bool]] = {}
    if selection.everything:
        wanted = {p.sku: (p.units, p.odd_part > 0) for p in positions if p.available > 0}
        if not wanted:
            raise RefundError("Nothing is left to refund on this order.")
    else:
        for choice in selection.lines:
            if choice.sku in wanted:
                raise RefundError(f"Position {choice.sku} is listed twice.")
            if choice.quantity or choice.remainder:
                wanted[choice.sku] = (choice.quantity, choice.remainder)
    basket = Basket()
    for sku, (quantity, remainder) in wanted.items():
        position = by_sku.get(sku)
        if position is None or sku not in order_skus:
            raise RefundError(f"Position {sku} is not part of this order.")
        _add_line(basket, position, quantity, remainder)
    if not len(basket):
        raise RefundError("Choose at least one position to refund, or “refund everything”.")
    try:
        amount, vat_amount = basket.validate()
    except BasketError as error:
        raise RefundError(f"The refund does not add up: {error.message}") from None
    lines = [_saved_line(item) for item in basket]
    total = sum(line["total"] for line in lines)
    if decimal_to_kopecks(amount) != total or total > sum(p.available for p in positions):
        raise RefundError("The refund does not add up; reload the page and try again.")
    return RefundPlan(basket.items, lines, total, decimal_to_kopecks(vat_amount))


def _add_line(basket: Basket, position: RefundablePosition, quantity: int,
              remainder: bool) -> None:
    name = position.item.name
    if quantity < 0:
        raise RefundError(f"“{name}”: a quantity cannot be negative.")
    if quantity > position.units:
        raise RefundError(f"“{name}”: only {position.units} unit(s) can still be refunded, "
                          f"not {quantity}.")
    if remainder and position.odd_part <= 0:
        raise RefundError(f"“{name}”: there is no part under one unit left to refund.")
    total = quantity * position.unit_price + (position.odd_part if remainder else 0)
    try:
        if total == position.available and not _vat_of_units_is_what_is_left(position):
            basket.add_remainder_of(position.item)
        elif remainder:
            basket.add_part_of(position.item, kopecks_to_decimal(total))
        else:
            basket.add_units_of(position.item, quantity)
    except BasketError as error:
        raise RefundError(f"“{name}” cannot be refunded that way: {error.message}") from None


def _vat_of_units_is_what_is_left(position: RefundablePosition) -> bool:
    if position.odd_part or not position.units:
        return False
    line = compute_line(position.item.amount, position.units, position.item.vat_code)
    return decimal_to_kopecks(line.total_vat_amount) == position.available_vat


def _saved_line(item: BasketItem) -> dict[str, Any]:
    return {
        "sku": item.sku,
        "name": item.name,
        "quantity": int(item.quantity or 1),
        "unit_price": decimal_to_kopecks(item.amount or 0),
        "total": decimal_to_kopecks(item.total_amount or 0),
        "vat": decimal_to_kopecks(item.total_vat_amount or 0),
    }


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


def refunds_of(order: Order) -> list[Refund]:
    """The order's refunds, oldest first."""
    return list(db.session.execute(
        db.select(Refund).where(Refund.order_id == order.id).order_by(Refund.id)
    ).scalars())


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
    if _reconcile_pending(order, payment).unresolved:
        raise RefundError(
            "An earlier refund of this order is still waiting for Invoicebox's answer. "
            "Use “Sync with Invoicebox” in a minute, then try again."
        )
    with gateway.about(order_id=order.id):
        items = gateway.client().get_refundable_items(payment.invoicebox_order_id)
    positions = positions_from(items)
    _settle_order_status(order, sum(position.available for position in positions))
    return payment, positions


def refresh_refunds(order: Order, *, force: bool = False) -> bool:
    """Bring the order's refunds up to date from ``GET refund-order?parentId=``.

    Pending refunds are reconciled by ``merchantOrderId`` first. Without ``force`` it
    does nothing unless some refund is unfinished and the last look is older than
    :data:`REFRESH_INTERVAL`. Returns True when something changed. Raises
    :class:`InvoiceboxError` if the gateway cannot be read (what was learnt is kept).
    """
    payment = order.paid_payment
    if payment is None or not payment.invoicebox_order_id:
        return False
    if not force and not _refresh_due(order):
        return False
    changed = False
    try:
        changed = _reconcile_pending(order, payment).changed
        with gateway.about(order_id=order.id):
            remote = _remote_refunds(payment.invoicebox_order_id)
        local = refunds_of(order)
        by_id = {r.invoicebox_refund_id: r for r in local if r.invoicebox_refund_id}
        by_number = {r.merchant_order_id: r for r in local}
        for found in remote:
            refund = by_id.get(found.id) or by_number.get(found.merchant_order_id or "")
            if refund is not None:
                changed |= _apply_remote(order, refund, found)
            else:
                log.warning("refund %s of order %s is not one of the shop's", found.id, order.id)
        counted = [r for r in remote if r.status not in ("canceled", "cancelled")]
        refunded = sum(decimal_to_kopecks(r.amount or 0) for r in counted)
        changed |= _settle_order_status(order, order.amount - refunded)
    finally:
        db.session.commit()
    return changed


# -- sending and reconciling -------------------------------------------------------------


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
        _apply_remote(order, refund, remote, staff_id=staff.id)
        _settle_order_status(order, remaining)
    db.session.commit()


@dataclass(frozen=True)
class _Reconciled:
    changed: bool  # some pending refund was found, or proved never made
    unresolved: bool  # some pending refund is unknown to Invoicebox yet: maybe in flight


def _reconcile_pending(order: Order, payment: Payment) -> _Reconciled:
    """Look every pending refund of the order up by its ``merchantOrderId``."""
    changed = unresolved = False
    for refund in refunds_of(order):
        if refund.status != RefundStatus.PENDING:
            continue
        with gateway.about(order_id=order.id, refund_id=refund.id):
            found = gateway.client().find_refund_by_merchant_order_id(
                refund.merchant_order_id, parent_id=payment.invoicebox_order_id
            )
        if found is not None:
            changed |= _apply_remote(order, refund, found)
        elif now_utc() - refund.created_at > timedelta(seconds=settle_seconds()):
            # Not found, and too old to still be on its way: it was never made.
            transition(refund, RefundStatus.REJECTED)
            refund.error = "Invoicebox has no record of this refund: it was not made."
            record_event(order, "refund_rejected",
                         f"Refund {refund.merchant_order_id} never reached Invoicebox")
            changed = True
        else:
            unresolved = True
    return _Reconciled(changed, unresolved)


def _apply_remote(order: Order, refund: Refund, remote: RemoteRefund,
                  staff_id: int | None = None) -> bool:
    """Take Invoicebox's id and status for ``refund``; True if anything changed."""
    changed = False
    if refund.invoicebox_refund_id is None and remote.id:
        refund.invoicebox_refund_id = remote.id
        changed = True
    target = _REMOTE_STATUS.get(remote.status)
    current = RefundStatus(refund.status)
    if target is None:
        log.warning("refund %s has unknown status %r", refund.merchant_order_id, remote.status)
        return changed
    if target == current or not can_transition(current, target):
        return changed
    if current == RefundStatus.PENDING and target != RefundStatus.CREATED:
        # Accepted first, whatever happened to it since: the history shows both.
        _apply_status(order, refund, RefundStatus.CREATED, staff_id)
    _apply_status(order, refund, target, staff_id)
    return True


def _apply_status(order: Order, refund: Refund, target: RefundStatus,
                  staff_id: int | None) -> None:
    transition(refund, target)
    label = f"Refund {refund.merchant_order_id} ({_rub(refund.amount)})"
    if target == RefundStatus.CREATED:
        refund.error = None
        record_event(order, "refund_created", f"{label} created at Invoicebox",
                     staff_id=staff_id, data={"invoicebox_refund_id": refund.invoicebox_refund_id})
    elif target == RefundStatus.COMPLETED:
        refund.completed_at = now_utc()
        record_event(order, "refund_completed", f"{label} completed: the money is back")
    else:
        record_event(order, "refund_canceled", f"{label} canceled by Invoicebox")
    log.info("refund %s: %s", refund.merchant_order_id, target.value)


def _settle_order_status(order: Order, remaining: int) -> bool:
    """Partially refunded / refunded, from what Invoicebox still lets us refund."""
    if OrderStatus(order.status) not in REFUNDABLE:
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
    record_event(order, "status", f"Order {target.value.replace('_', ' ')}")
    log.info("order %s: %s", order.number, target.value)
    return True


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


def _remote_refunds(parent_id: str) -> list[RemoteRefund]:
    client, found, page = gateway.client(), [], 1
    while True:
        batch = client.find_refunds({"parentId": parent_id}, page=page, page_size=100)
        found.extend(r for r in batch if r.parent_id in (None, parent_id))
        if len(batch) < 100:
            return found
        page += 1


def _refresh_due(order: Order) -> bool:
    unfinished = db.session.execute(
        db.select(Refund.id).where(
            Refund.order_id == order.id, Refund.status.not_in([s.value for s in _FINAL])
        ).limit(1)
    ).first()
    if unfinished is None:
        return False
    recent = db.session.execute(
        db.select(GatewayCall.id).where(
            GatewayCall.order_id == order.id,
            GatewayCall.method == "GET",
            GatewayCall.path.contains("/filter/api/order/refund-order"),
            GatewayCall.created_at > now_utc() - REFRESH_INTERVAL,
        ).limit(1)
    ).first()
    return recent is None


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


def _rub(kopecks: int) -> str:
    return f"{kopecks_to_decimal(kopecks)} RUB"
