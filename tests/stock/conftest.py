"""Fixtures of the stock tests: orders of catalog goods awaiting payment, paid by a signed
notification exactly as Invoicebox sends one (nothing in the shop is patched)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import responses
from flask import Flask

from storefront.extensions import db
from storefront.invoicebox import kopecks_to_decimal
from storefront.models import Order, OrderEvent, OrderLine, Payment, Product
from tests.support.shop import FakeInvoicebox, encode, notification, signed_headers

URL = "/invoicebox/notification"


@dataclass(frozen=True)
class Awaiting:
    order_id: int
    number: str
    merchant_order_id: str
    invoicebox_order_id: str
    amount: int

    def paid_body(self) -> bytes:
        return encode(notification(id=self.invoicebox_order_id,
                                   merchantOrderId=self.merchant_order_id,
                                   amount=kopecks_to_decimal(self.amount), vatAmount=0))


@pytest.fixture
def invoicebox():
    """Invoicebox's order endpoints faked at the HTTP boundary (as in tests/shop)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeInvoicebox(mock)


def awaiting_order(app: Flask, items: dict[str, int]) -> Awaiting:
    """An order of catalog products (slug: quantity) waiting for one created payment."""
    number = f"261130-{secrets.token_hex(3).upper()}"
    with app.app_context():
        order = Order(number=number, public_token=secrets.token_urlsafe(32),
                      status="awaiting_payment", customer_type="private",
                      customer_name="Анна Смирнова", customer_email="anna@example.ru",
                      customer_phone="79001112233", amount=0, vat_amount=0,
                      delivery_method="pickup")
        for slug, quantity in items.items():
            product = db.session.execute(
                db.select(Product).where(Product.slug == slug)).scalar_one()
            order.lines.append(OrderLine(
                product_id=product.id, sku=product.sku, name=product.name,
                measure=product.measure, measure_code=product.measure_code,
                vat_code=product.vat_code, item_type=product.item_type,
                unit_price=product.price, quantity=quantity, total=product.price * quantity,
                vat=0))
            order.amount += product.price * quantity
        order.payments.append(Payment(
            attempt=1, merchant_order_id=f"{number}-1", invoicebox_order_id=str(uuid.uuid4()),
            payment_url="https://pay.invoicebox.test/order/x", status="created",
            amount=order.amount, expires_at=datetime.now(UTC) + timedelta(hours=24)))
        db.session.add(order)
        db.session.commit()
        payment = order.payments[0]
        return Awaiting(order.id, number, payment.merchant_order_id,
                        payment.invoicebox_order_id, order.amount)


def notify_paid(client, awaiting: Awaiting):
    raw = awaiting.paid_body()
    return client.post(URL, data=raw, headers=signed_headers(raw))


def stock_of(app: Flask, slug: str) -> int | None:
    with app.app_context():
        return db.session.execute(
            db.select(Product.stock).where(Product.slug == slug)).scalar_one()


def set_stock_directly(app: Flask, slug: str, stock: int | None) -> None:
    with app.app_context():
        product = db.session.execute(db.select(Product).where(Product.slug == slug)).scalar_one()
        product.stock = stock
        db.session.commit()


def order_state(app: Flask, order_id: int) -> dict:
    with app.app_context():
        order = db.session.get(Order, order_id)
        kinds = db.session.execute(
            db.select(OrderEvent.kind).where(OrderEvent.order_id == order_id)
            .order_by(OrderEvent.id)).scalars().all()
        return {"status": order.status, "short": order.short_of_stock, "events": list(kinds)}
