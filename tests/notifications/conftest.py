"""Fixtures for the notification endpoint: orders waiting for payment, and signed POSTs."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from storefront.extensions import db
from storefront.invoicebox import kopecks_to_decimal
from storefront.models import Notification, Order, OrderEvent, OrderLine, Payment
from tests.support.shop import encode, notification, signed_headers

URL = "/invoicebox/notification"


@dataclass(frozen=True)
class Awaiting:
    """An order waiting for payment through one created Invoicebox order."""

    order_id: int
    payment_id: int
    number: str
    merchant_order_id: str
    invoicebox_order_id: str
    amount: int  # kopecks

    def body(self, **fields: Any) -> dict[str, Any]:
        """A notification saying this Invoicebox order was paid, in full, in roubles."""
        defaults = {
            "id": self.invoicebox_order_id,
            "merchantOrderId": self.merchant_order_id,
            "amount": kopecks_to_decimal(self.amount),
            "vatAmount": 0,
        }
        return notification(**{**defaults, **fields})


def make_awaiting(app: Flask, amount: int = 249000, attempts: int = 1) -> Awaiting:
    """Save an order awaiting payment whose last of ``attempts`` Invoicebox orders is open."""
    number = f"261127-{secrets.token_hex(3).upper()}"
    with app.app_context():
        order = Order(
            number=number, public_token=secrets.token_urlsafe(32), status="awaiting_payment",
            customer_type="private", customer_name="Анна Смирнова",
            customer_email="anna@example.ru", customer_phone="79001112233",
            amount=amount, vat_amount=amount * 22 // 122,
        )
        order.lines.append(OrderLine(
            sku="FP-GLS-350", name="Френч-пресс из боросиликатного стекла, 350 мл",
            measure="шт", measure_code="796", vat_code="RUS_VAT22", item_type="commodity",
            unit_price=amount, quantity=1, total=amount, vat=amount * 22 // 122,
        ))
        for attempt in range(1, attempts + 1):
            order.payments.append(Payment(
                attempt=attempt, merchant_order_id=f"{number}-{attempt}",
                invoicebox_order_id=str(uuid.uuid4()),
                payment_url=f"https://pay.invoicebox.test/order/{uuid.uuid4()}",
                status="created" if attempt == attempts else "expired", amount=amount,
                expires_at=datetime.now(UTC) + timedelta(hours=24),
            ))
        db.session.add(order)
        db.session.commit()
        payment = order.payments[-1]
        return Awaiting(order.id, payment.id, number, payment.merchant_order_id,
                        payment.invoicebox_order_id, amount)


@pytest.fixture
def awaiting(app) -> Awaiting:
    return make_awaiting(app)


def post_signed(client, body: Any, **header_args: Any):
    raw = body if isinstance(body, bytes) else encode(body)
    return client.post(URL, data=raw, headers=signed_headers(raw, **header_args))


def state(app, awaiting: Awaiting) -> dict[str, Any]:
    """What a notification may change: the order, its payment, its history, the log."""
    with app.app_context():
        order = db.session.get(Order, awaiting.order_id)
        payment = db.session.get(Payment, awaiting.payment_id)
        return {
            "order": order.status,
            "order_paid_at": order.paid_at,
            "payment": payment.status,
            "payment_paid_at": payment.paid_at,
            "paid_events": db.session.execute(
                db.select(db.func.count(OrderEvent.id)).where(
                    OrderEvent.order_id == order.id, OrderEvent.kind == "paid")
            ).scalar_one(),
        }


def stored(app) -> list[Notification]:
    with app.app_context():
        rows = db.session.execute(db.select(Notification).order_by(Notification.id)).scalars()
        rows = list(rows)
        db.session.expunge_all()
        return rows
