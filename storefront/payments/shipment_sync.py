"""Keeping the shop's shipments in step with Invoicebox, until each one ends.

A shipment is answered as ``draft`` and moves on at Invoicebox (``pending``, then
``completed`` once its documents are issued, or ``canceled``); nothing notifies the shop,
so :func:`refresh_shipments` reads the order's shipments and applies what changed. A
shipment whose answer was lost (still ``sending``) is found by its document number and
amount among the shipments Invoicebox lists; once the request can no longer be in flight
and none matches, it was never made: it is marked rejected and its units are free again.
A guarantee payment whose shipment completed is read too: the final shipment charges it,
and the notification saying so may be lost.

The reconcile runner (:mod:`.reconcile`) calls :func:`run_shipments` with a lease on each
shipment it reads, as it does for payments.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from .. import budget, gateway
from ..extensions import db
from ..invoicebox import InvoiceboxError, RateLimited
from ..invoicebox import Shipment as RemoteShipment
from ..mail import queue_order_shipped
from ..models import Order, OrderLine, Payment, Shipment, now_utc
from ..states import (
    ORDER_HELD,
    SHIPMENT_COUNTED,
    SHIPMENT_OPEN,
    ShipmentStatus,
    can_transition,
    shipment_status_for,
    transition,
)
from .events import EventKind, record_event
from .locking import locked, retry_on_conflict
from .transitions import apply_gateway_order

log = logging.getLogger(__name__)

LEASE_SECONDS = 300


def release_quantities(shipment: Shipment) -> None:
    """The shipment no longer counts: its units may be shipped again (order lock held)."""
    for line in shipment.lines:
        db.session.execute(
            db.update(OrderLine).where(OrderLine.id == line.order_line_id)
            .values(shipped_quantity=OrderLine.shipped_quantity - line.quantity)
            .execution_options(synchronize_session=False))


def apply_remote(order: Order, shipment: Shipment, remote: RemoteShipment, *,
                 staff_id: int | None = None) -> bool:
    """Apply what Invoicebox says of ``shipment`` (both rows locked); True if it changed."""
    changed = False
    if shipment.invoicebox_shipment_id is None and remote.id is not None:
        shipment.invoicebox_shipment_id = str(remote.id)
        shipment.error = None
        changed = True
    target = shipment_status_for(remote.status)
    current = ShipmentStatus(shipment.status)
    if target is None or target == current or not can_transition(current, target):
        if changed:
            _registered(order, shipment, staff_id)
        return changed
    was_counted = current in SHIPMENT_COUNTED
    transition(shipment, target)
    if current == ShipmentStatus.SENDING:
        _registered(order, shipment, staff_id)
    if target == ShipmentStatus.COMPLETED:
        shipment.completed_at = now_utc()
        record_event(order, EventKind.SHIPMENT_COMPLETED,
                     f"Shipment {shipment.document_number} completed: Invoicebox issued the "
                     "closing documents", data={"shipment_id": shipment.invoicebox_shipment_id})
        queue_order_shipped(order, shipment)  # the buyer's mail, once per shipment
    elif target == ShipmentStatus.CANCELED:
        if was_counted:
            release_quantities(shipment)
        record_event(order, EventKind.SHIPMENT_CANCELED,
                     f"Shipment {shipment.document_number} canceled by Invoicebox",
                     data={"shipment_id": shipment.invoicebox_shipment_id})
    return True


def _registered(order: Order, shipment: Shipment, staff_id: int | None) -> None:
    record_event(order, EventKind.SHIPMENT_CREATED,
                 f"Shipment {shipment.document_number} of {shipment.document_date.isoformat()} "
                 f"registered with Invoicebox (id {shipment.invoicebox_shipment_id}, "
                 f"status {shipment.status})",
                 staff_id=staff_id, data={"shipment_id": shipment.invoicebox_shipment_id,
                                          "amount": shipment.amount})


def refresh_shipments(order_id: int, remote_order_id: str) -> bool:
    """Read the order's shipments from Invoicebox and apply them; True if any changed.

    Raises :class:`InvoiceboxError` when they could not be read (nothing is changed then).
    """
    db.session.commit()
    with gateway.about(order_id=order_id):
        remote = gateway.client().list_shipments(remote_order_id)
    in_flight = timedelta(seconds=gateway.in_flight_seconds())

    def apply() -> bool:
        order = locked(Order, order_id)
        local = list(db.session.execute(
            db.select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.id)
            .with_for_update(key_share=True).execution_options(populate_existing=True)
        ).scalars())
        known = {s.invoicebox_shipment_id for s in local if s.invoicebox_shipment_id}
        by_id = {str(r.id): r for r in remote if r.id is not None}
        changed = False
        now = now_utc()
        for shipment in local:
            if shipment.status not in SHIPMENT_OPEN:
                continue
            found = by_id.get(shipment.invoicebox_shipment_id or "")
            if found is None and shipment.invoicebox_shipment_id is None:
                found = _match(shipment, [r for i, r in by_id.items() if i not in known])
                if found is not None:
                    known.add(str(found.id))
            if found is not None:
                changed = apply_remote(order, shipment, found) or changed
            elif (shipment.status == ShipmentStatus.SENDING
                  and shipment.created_at <= now - in_flight):
                transition(shipment, ShipmentStatus.REJECTED)
                shipment.error = ("Invoicebox has no record of this shipment: it was never "
                                  "registered. Ship the units again.")
                release_quantities(shipment)
                record_event(order, EventKind.SHIPMENT_REJECTED,
                             f"Shipment {shipment.document_number} was never registered")
                changed = True
            shipment.checked_at = now
        return changed

    changed = retry_on_conflict(apply)
    return _charged(order_id, remote_order_id) or changed


def _charged(order_id: int, remote_order_id: str) -> bool:
    """A held order with a completed shipment may have been charged meanwhile: its
    notification can be lost like any other, so read the order itself (CONTRACT Q28)."""
    order = db.session.get(Order, order_id, populate_existing=True)
    if order.status not in ORDER_HELD or not any(
            s.status == ShipmentStatus.COMPLETED for s in db.session.execute(
                db.select(Shipment).where(Shipment.order_id == order_id)).scalars()):
        db.session.commit()
        return False
    db.session.commit()
    with gateway.about(order_id=order_id):
        remote = gateway.client().get_order(remote_order_id)

    def apply() -> bool:
        locked(Order, order_id)
        payment = db.session.execute(
            db.select(Payment).where(Payment.order_id == order_id,
                                     Payment.invoicebox_order_id == remote_order_id)
        ).scalar_one()
        return apply_gateway_order(locked(Payment, payment.id), remote, source="status check")

    return retry_on_conflict(apply)


def _match(shipment: Shipment, candidates: list[RemoteShipment]) -> RemoteShipment | None:
    """The listed shipment that is this one, sent with its answer lost."""
    for remote in candidates:
        amount = remote.amount
        if (remote.document_number == shipment.document_number and amount is not None
                and int(amount * 100) == shipment.amount):
            return remote
    return None


# -- the reconcile runner's part ------------------------------------------------------------


def claim_orders(owner: str, limit: int) -> list[tuple[int, str]]:
    """Lease the open shipments not read for the grace period, at most ``limit`` orders'
    worth; commits. Returns ``(order id, Invoicebox order id)`` of each order to read."""
    now = now_utc()
    grace = timedelta(seconds=budget.setting("STOREFRONT_RECONCILE_GRACE_SECONDS"))
    last_news = db.func.coalesce(Shipment.checked_at, Shipment.created_at)
    due = db.and_(
        Shipment.status.in_(SHIPMENT_OPEN),
        db.or_(Shipment.lease_until.is_(None), Shipment.lease_until < now),
        last_news <= now - grace,
    )
    orders = (db.select(Shipment.order_id).where(due).group_by(Shipment.order_id)
              .order_by(db.func.min(last_news)).limit(limit))
    rows = db.session.execute(
        db.update(Shipment)
        .where(Shipment.order_id.in_(orders.scalar_subquery()), due)
        .values(lease_owner=owner, lease_until=now + timedelta(seconds=LEASE_SECONDS))
        .returning(Shipment.order_id, Shipment.payment_id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    payments = {payment_id for _, payment_id in rows}
    remote_ids = dict(db.session.execute(
        db.select(Payment.id, Payment.invoicebox_order_id).where(Payment.id.in_(payments))
    ).all()) if payments else {}
    claimed = {order_id: remote_ids.get(payment_id) for order_id, payment_id in rows}
    return [(order_id, remote) for order_id, remote in claimed.items() if remote]


def release(order_id: int, owner: str) -> None:
    db.session.execute(
        db.update(Shipment).where(Shipment.order_id == order_id, Shipment.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False))
    db.session.commit()


def run_shipments(owner: str, limit: int, stop=lambda: False) -> tuple[int, int, list[str]]:
    """Refresh the orders with open shipments that are due; ``(read, changed, errors)``.

    Budget and rate-limit exceptions propagate to the caller, leases released.
    """
    read = changed = 0
    errors: list[str] = []
    claimed = claim_orders(owner, limit)
    try:
        for order_id, remote_order_id in claimed:
            if stop():
                break
            try:
                changed += int(refresh_shipments(order_id, remote_order_id))
            except RateLimited:
                raise
            except InvoiceboxError as exc:
                log.warning("reconcile: shipments of order %s not read: %s", order_id, exc)
                errors.append(f"order {order_id}: {exc}")
            else:
                read += 1
    finally:
        for order_id, _ in claimed:
            release(order_id, owner)
    return read, changed, errors
