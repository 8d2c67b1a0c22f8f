"""Services shipped by the shop itself right after payment (``STOREFRONT_AUTO_SHIP_SERVICES``).

A service is rendered when it is paid for (a tasting booked, a gift certificate issued), so
its shipment, the one that makes Invoicebox issue the buyer's full settlement receipt
(CONTRACT §2.10), need not wait for anyone to press Ship. Delivery, billed as a service, is
left to ship with the goods. The reconcile runner calls
:func:`ship_services` on every pass: each paid order with service units not yet shipped gets
one shipment of them, numbered ``AUTO-<order number>-<n>``, through
:func:`.shipments.create_shipment`, with all its guarantees (no unit twice, one shipment
awaiting its answer per order, no transaction across the call).

Two runners may pick the same order: the shipment's one-time token is
``auto:<order id>:<n>``, unique in the database, so only one of them sends it.
"""

from __future__ import annotations

import logging
from datetime import date

from flask import current_app

from ..extensions import db
from ..invoicebox import InvoiceboxError, RateLimited
from ..models import Order, OrderLine, Shipment
from ..states import ORDER_SHIPPABLE, SHIPMENT_OPEN
from .shipments import ShipmentError, create_shipment

log = logging.getLogger(__name__)

SERVICE = "service"  # OrderLine.item_type of a service (the basket's ``type``)
# Delivery is billed as a service but rendered with the goods: it ships with them.
DELIVERY_SKU = "delivery"


def ship_services(limit: int) -> tuple[int, list[str]]:
    """Ship the paid, unshipped service units of up to ``limit`` orders; ``(shipped,
    errors)``. Does nothing unless the setting is on. Budget and rate-limit exceptions
    propagate to the runner."""
    if not current_app.config.get("STOREFRONT_AUTO_SHIP_SERVICES"):
        return 0, []
    shipped, errors = 0, []
    for order_id in _due(limit):
        order = db.session.get(Order, order_id, populate_existing=True)
        quantities = {line.sku: line.quantity - line.shipped_quantity for line in order.lines
                      if line.item_type == SERVICE and line.sku != DELIVERY_SKU
                      and line.shipped_quantity < line.quantity}
        if not quantities:
            continue
        count = db.session.execute(
            db.select(db.func.count(Shipment.id)).where(Shipment.order_id == order_id,
                                                        Shipment.form_token.like("auto:%"))
        ).scalar_one()
        try:
            create_shipment(order, quantities, f"AUTO-{order.number}-{count + 1}",
                            date.today(), f"auto:{order_id}:{count + 1}", staff=None)
        except RateLimited:
            raise
        except (ShipmentError, InvoiceboxError) as exc:
            db.session.rollback()
            log.warning("auto-ship: order %s not shipped: %s", order.number, exc)
            errors.append(f"order {order_id}: {exc}")
            continue
        shipped += 1
    return shipped, errors


def _due(limit: int) -> list[int]:
    """Paid orders with service units left to ship and no shipment awaiting its answer."""
    unshipped = db.select(OrderLine.id).where(
        OrderLine.order_id == Order.id, OrderLine.item_type == SERVICE,
        OrderLine.sku != DELIVERY_SKU, OrderLine.shipped_quantity < OrderLine.quantity).exists()
    waiting = db.select(Shipment.id).where(
        Shipment.order_id == Order.id, Shipment.status.in_(SHIPMENT_OPEN),
        Shipment.invoicebox_shipment_id.is_(None)).exists()
    return list(db.session.execute(
        db.select(Order.id).where(Order.status.in_(ORDER_SHIPPABLE), unshipped, ~waiting)
        .order_by(Order.paid_at).limit(limit)
    ).scalars())
