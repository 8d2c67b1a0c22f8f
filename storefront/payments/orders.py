"""Placing the buyer's order: catalog lines priced with the gateway's arithmetic, saved once.

:func:`place_order` saves the order and its lines (status ``new``) and commits. The
checkout form's one-time token is unique in the database, so the same form sent twice,
even at the same moment, finds the first order instead of making another. Paying for it
is :mod:`storefront.payments.checkout`'s business.

:func:`basket_for` is the one place where lines become an Invoicebox basket: the cart's
totals, the saved order's amounts and the request sent to Invoicebox all come from it,
so the buyer is shown exactly what the gateway will validate.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..invoicebox import Basket, decimal_to_kopecks, kopecks_to_decimal
from ..mail import queue_order_placed
from ..models import Order, OrderLine, now_utc
from ..request_log import note
from ..states import OrderStatus
from .events import EventKind, record_event

log = logging.getLogger(__name__)

_NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out on the phone


@dataclass(frozen=True)
class LineDraft:
    """One basket position (prices in kopecks): taken from the catalog at checkout, or the
    units of an order line that a shipment carries."""

    product_id: int | None  # None: an order line whose product left the catalog
    sku: str
    name: str
    unit_price: int
    quantity: int
    vat_code: str
    item_type: str
    measure: str
    measure_code: str


@dataclass(frozen=True)
class CustomerDetails:
    """The payer, as validated by the checkout form. ``phone`` is digits only.

    ``language`` is the one the buyer shopped in: later mail and Invoicebox's payment page
    speak it. ``consent_version`` names the privacy policy the buyer agreed to (152-FZ);
    the order keeps it with the time the order was placed.
    """

    type: str  # "private" | "legal"
    name: str
    email: str
    phone: str
    inn: str | None = None
    kpp: str | None = None
    address: str | None = None
    language: str = "ru"
    consent_version: str | None = None
    delivery_method: str | None = None  # "courier" | "pickup"; None: nothing to deliver
    delivery_address: str | None = None  # the courier's address


class EmptyCart(Exception):
    """Checkout was asked to place an order with no lines."""


def basket_for(lines: Iterable[LineDraft | OrderLine]) -> Basket:
    """The Invoicebox basket for these lines (a cart's drafts, or an order's saved lines,
    which have the same fields): the gateway's own VAT arithmetic (§3.3)."""
    basket = Basket()
    for line in lines:
        basket.add(
            sku=line.sku,
            name=line.name,
            unit_price=kopecks_to_decimal(line.unit_price),
            quantity=line.quantity,
            vat_code=line.vat_code,
            type=line.item_type,
            measure=line.measure,
            measure_code=line.measure_code,
        )
    return basket


def find_order(
    *, public_token: str | None = None, checkout_token: str | None = None
) -> Order | None:
    """The order behind a buyer's link, or placed by a checkout form; None if unknown."""
    if public_token:
        where = Order.public_token == public_token
    elif checkout_token:
        where = Order.checkout_token == checkout_token
    else:
        return None
    order = db.session.execute(db.select(Order).where(where)).scalar_one_or_none()
    if order is not None:
        note(order_id=order.id)  # the request's log line names the order, never the token
    return order


def place_order(
    lines: Sequence[LineDraft], customer: CustomerDetails, checkout_token: str
) -> tuple[Order, bool]:
    """Save the order for ``lines`` and commit; returns ``(order, created)``.

    If an order was already placed with this ``checkout_token`` it is returned with
    ``created=False`` and nothing is written. Raises :class:`EmptyCart` for no lines.
    """
    for _ in range(5):
        existing = find_order(checkout_token=checkout_token)
        if existing is not None:
            return existing, False
        if not lines:
            raise EmptyCart
        order = _new_order(lines, customer, checkout_token)
        db.session.add(order)
        try:
            db.session.flush()
            record_event(order, EventKind.PLACED, f"Order {order.number} placed by the buyer.")
            queue_order_placed(order)  # committed with the order, or not at all
            db.session.commit()
        except IntegrityError:
            # The same form submitted concurrently (found above on the next round), or,
            # very rarely, an order number already taken (a new one is drawn).
            db.session.rollback()
            continue
        log.info("order %s placed: %s kopecks", order.number, order.amount)
        return order, True
    raise RuntimeError("could not save the order")


def _new_order(lines: Sequence[LineDraft], customer: CustomerDetails, token: str) -> Order:
    basket = basket_for(lines)
    order = Order(
        number=_order_number(),
        public_token=secrets.token_urlsafe(32),
        checkout_token=token,
        status=OrderStatus.NEW.value,
        customer_type=customer.type,
        customer_name=customer.name,
        customer_email=customer.email,
        customer_phone=customer.phone,
        customer_inn=customer.inn,
        customer_kpp=customer.kpp,
        customer_address=customer.address,
        language=customer.language,
        consent_at=now_utc() if customer.consent_version else None,
        consent_version=customer.consent_version,
        delivery_method=customer.delivery_method,
        delivery_address=customer.delivery_address,
        currency="RUB",
        amount=decimal_to_kopecks(basket.amount),
        vat_amount=decimal_to_kopecks(basket.vat_amount),
    )
    for draft, item in zip(lines, basket, strict=True):
        order.lines.append(
            OrderLine(
                product_id=draft.product_id,
                sku=draft.sku,
                name=draft.name,
                measure=draft.measure,
                measure_code=draft.measure_code,
                vat_code=item.vat_code,
                item_type=draft.item_type,
                payment_type=item.payment_type,
                unit_price=draft.unit_price,
                quantity=draft.quantity,
                total=decimal_to_kopecks(item.total_amount),
                vat=decimal_to_kopecks(item.total_vat_amount),
            )
        )
    return order


def _order_number() -> str:
    """``YYMMDD-XXXXX``: sortable by day, short enough to say aloud, hard to collide."""
    suffix = "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(5))
    return f"{now_utc():%y%m%d}-{suffix}"
