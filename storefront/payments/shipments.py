"""Shipments of paid orders (CONTRACT §2.10): what can still be shipped, and shipping it.

A shipment tells Invoicebox what was delivered; Invoicebox then issues the buyer's
"full settlement" receipt (a company gets the UPD) and, for a guarantee payment, charges it.
Keeping it current afterwards is :mod:`.shipment_sync`'s work.

Safety rules, in the order they apply when staff press Ship:

1. The form's one-time token is stored on the shipment (unique): the same form sent twice
   finds the first shipment instead of making another.
2. Under the order's row lock the chosen quantities are added to each line's
   ``shipped_quantity`` with one ``UPDATE`` each; the database's CHECK refuses a count above
   the line's quantity, so two forms pressed at once cannot ship the same unit twice. The
   shipment is saved as the order's one ``sending`` shipment (``one_sending_shipment``) and
   committed before anything is sent.
3. The request goes to Invoicebox with no transaction open; the answer is applied in a
   short transaction under the order's lock. A refusal releases the quantities; a lost answer
   leaves the shipment ``sending`` for :mod:`.shipment_sync` to find by its document number.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from .. import gateway
from ..extensions import db
from ..invoicebox import (
    CreateShipmentRequest,
    UnknownOutcome,
    decimal_to_kopecks,
)
from ..models import Order, OrderLine, Shipment, ShipmentLine, StaffUser
from ..states import (
    ORDER_SHIPPABLE,
    PAYMENT_HELD,
    SHIPMENT_COUNTED,
    ShipmentStatus,
    transition,
)
from .events import EventKind, record_event, refusal_message
from .locking import locked, retry_on_conflict
from .orders import LineDraft, basket_for
from .shipment_sync import apply_remote, release_quantities

log = logging.getLogger(__name__)


class ShipmentError(Exception):
    """Nothing was sent; the message says why, in words for staff (an English msgid)."""


@dataclass(frozen=True)
class ShippableLine:
    """An order line with what was shipped of it and what is left."""

    sku: str
    name: str
    quantity: int
    shipped: int
    unit_price: int

    @property
    def remaining(self) -> int:
        return self.quantity - self.shipped


def shippable_lines(order: Order) -> list[ShippableLine]:
    return [ShippableLine(line.sku, line.name, line.quantity, line.shipped_quantity,
                          line.unit_price) for line in _fresh_lines(order.id)]


def shipments_of(order: Order) -> list[Shipment]:
    return list(db.session.execute(
        db.select(Shipment).where(Shipment.order_id == order.id).order_by(Shipment.id)
    ).scalars())


def shipped_shipments(order: Order) -> list[Shipment]:
    """What the buyer reads as shipped: every shipment that counts, oldest first."""
    return [s for s in shipments_of(order) if s.status in SHIPMENT_COUNTED]


def create_shipment(order: Order, quantities: Mapping[str, int], document_number: str,
                    document_date: date, form_token: str, staff: StaffUser | None) -> Shipment:
    """Ship ``quantities`` (sku → units) of ``order``; see the module docstring.

    Returns the shipment: registered (``draft`` or later), ``rejected`` (``error`` says why)
    or ``sending`` (the answer was lost). Raises :class:`ShipmentError` when nothing was
    sent. ``staff`` None: the shop ships by itself (:mod:`.auto_ship`).
    """
    existing = _by_form_token(form_token)
    if existing is not None:
        return _same_form(existing, order)
    document_number = document_number.strip()
    if not document_number:
        raise ShipmentError(_("Give the shipping document's number."))
    wanted = {sku: qty for sku, qty in quantities.items() if qty}
    if not wanted:
        raise ShipmentError(_("Choose at least one unit to ship."))
    if any(qty < 0 for qty in wanted.values()):
        raise ShipmentError(_("Quantities cannot be negative."))
    if order.status not in ORDER_SHIPPABLE:
        raise ShipmentError(_("Only a paid order can be shipped."))
    payment = order.paid_payment or next(
        (p for p in order.payments if p.status in PAYMENT_HELD), None)
    if payment is None or not payment.invoicebox_order_id:
        raise ShipmentError(_("This order has no completed Invoicebox payment."))
    order_id, payment_id, remote_order_id = order.id, payment.id, payment.invoicebox_order_id

    staff_id = staff.id if staff is not None else None
    shipment, drafts = _claim(order_id, payment_id, wanted, document_number, document_date,
                              form_token, staff_id)
    if not drafts:
        return shipment
    request = CreateShipmentRequest(
        order_id=remote_order_id,
        basket_items=basket_for(drafts).items,
        document_number=document_number,
        document_date=document_date,
    )
    _send(order_id, shipment.id, request, staff_id)
    return db.session.get(Shipment, shipment.id, populate_existing=True)


def _claim(order_id: int, payment_id: int, wanted: dict[str, int], document_number: str,
           document_date: date, form_token: str, staff_id: int | None
           ) -> tuple[Shipment, list[LineDraft]]:
    """Count the units as shipped and save the shipment as ``sending``; commits.

    Returns it with the lines to send; or, when a copy of the same form saved its shipment
    first, that shipment and no lines.
    """
    order = locked(Order, order_id)
    existing = _by_form_token(form_token)
    if existing is not None:
        db.session.commit()
        return _same_form(existing, order), []
    if order.status not in ORDER_SHIPPABLE:
        db.session.commit()
        raise ShipmentError(_("Only a paid order can be shipped."))
    if db.session.execute(db.select(Shipment.id).where(
            Shipment.order_id == order_id,
            Shipment.status == ShipmentStatus.SENDING.value)).first() is not None:
        db.session.commit()
        raise ShipmentError(_("Another shipment of this order is still waiting for "
                              "Invoicebox's answer. Use “Sync with Invoicebox” in a moment, "
                              "then ship what is left."))
    lines = {line.sku: line for line in _fresh_lines(order_id)}
    unknown = set(wanted) - set(lines)
    if unknown:
        db.session.commit()
        raise ShipmentError(_("This order has no such line."))
    drafts = []
    for sku, quantity in wanted.items():
        line = lines[sku]
        if quantity > line.quantity - line.shipped_quantity:
            db.session.commit()
            raise ShipmentError(_("More units were chosen than are left to ship. Reload the "
                                  "page to see what is left."))
        # A basket position of the units shipped, as checkout drafts one.
        drafts.append(LineDraft(line.product_id, line.sku, line.name, line.unit_price, quantity,
                                line.vat_code, line.item_type, line.measure, line.measure_code))
    basket = basket_for(drafts)
    shipment = Shipment(
        order_id=order_id, payment_id=payment_id, form_token=form_token,
        status=ShipmentStatus.SENDING.value, document_number=document_number,
        document_date=document_date, staff_id=staff_id,
        amount=decimal_to_kopecks(basket.amount),
        vat_amount=decimal_to_kopecks(basket.vat_amount),
        lines=[ShipmentLine(order_line_id=lines[d.sku].id, sku=d.sku, name=d.name,
                            quantity=d.quantity, unit_price=d.unit_price,
                            total=decimal_to_kopecks(item.total_amount),
                            vat=decimal_to_kopecks(item.total_vat_amount))
               for d, item in zip(drafts, basket.items, strict=True)],
    )
    try:
        for draft in drafts:
            # One statement per line: the CHECK sees the sum, whatever this process read.
            db.session.execute(
                db.update(OrderLine)
                .where(OrderLine.order_id == order_id, OrderLine.sku == draft.sku)
                .values(shipped_quantity=OrderLine.shipped_quantity + draft.quantity)
                .execution_options(synchronize_session=False))
        db.session.add(shipment)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        existing = _by_form_token(form_token)
        if existing is not None:
            return _same_form(existing, order), []
        raise ShipmentError(_("Another shipment of this order is being sent at this moment. "
                              "Reload the page to see what is left to ship.")) from None
    return shipment, drafts


def _send(order_id: int, shipment_id: int, request: CreateShipmentRequest,
          staff_id: int | None) -> None:
    """POST the shipment with no transaction open, then apply the answer under the lock."""
    remote, error = gateway.attempt(lambda client: client.create_shipment(request),
                                    order_id=order_id)
    request_id = remote.request_id if remote is not None else error.request_id

    def apply() -> None:
        order = locked(Order, order_id)
        shipment = locked(Shipment, shipment_id)
        shipment.request_id = request_id
        if remote is not None:
            apply_remote(order, shipment, remote, staff_id=staff_id)
        elif isinstance(error, UnknownOutcome):
            shipment.error = ("Invoicebox did not answer in time, so it is not known yet "
                              "whether the shipment was registered. It is looked up by its "
                              "document number.")
            record_event(order, EventKind.SHIPMENT_UNCONFIRMED,
                         f"Shipment {shipment.document_number} sent; Invoicebox's answer was "
                         "lost", staff_id=staff_id)
        elif shipment.status == ShipmentStatus.SENDING:
            transition(shipment, ShipmentStatus.REJECTED)
            shipment.error = refusal_message(error, "shipment")
            release_quantities(shipment)
            record_event(order, EventKind.SHIPMENT_REJECTED,
                         f"Shipment {shipment.document_number} refused: {shipment.error}",
                         staff_id=staff_id,
                         data={"code": error.code, "request_id": error.request_id})

    retry_on_conflict(apply)


def _fresh_lines(order_id: int) -> list[OrderLine]:
    return list(db.session.execute(
        db.select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.id)
        .execution_options(populate_existing=True)
    ).scalars())


def _by_form_token(form_token: str) -> Shipment | None:
    return db.session.execute(
        db.select(Shipment).where(Shipment.form_token == form_token)
    ).scalar_one_or_none()


def _same_form(shipment: Shipment, order: Order) -> Shipment:
    if shipment.order_id != order.id:
        raise ShipmentError(_("This form belongs to another order. Reload the page."))
    log.info("ship form sent again; showing shipment %s", shipment.id)
    return shipment
