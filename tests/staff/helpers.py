"""Building orders for the staff tests straight in the database (unit tests), signing in
through the real login form, and watching the SQL a request sends."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from storefront.extensions import db
from storefront.invoicebox import decimal_to_kopecks
from storefront.models import Order, OrderLine, Payment, now_utc
from storefront.payments import LineDraft, basket_for
from storefront.staff.accounts import create_staff

STAFF_EMAIL = "anna@sever-coffee.ru"
STAFF_PASSWORD = "correct horse battery"

# (sku, name, unit price in kopecks, quantity, VAT code)
COFFEE = ("CB-ETH-250", "Кофе в зёрнах «Эфиопия Иргачеффе», 250 г", 89000, 2, "RUS_VAT22")
MUG = ("MUG-CER-300", "Кружка керамическая, 300 мл", 129000, 1, "RUS_VAT22")


def sign_in(client: FlaskClient, email: str = STAFF_EMAIL, password: str = STAFF_PASSWORD,
            next_url: str | None = None, remote_addr: str = "127.0.0.1"):
    url = "/staff/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": remote_addr})


def signed_in(app: Flask) -> FlaskClient:
    """A client of ``app`` signed in as a staff member made for it."""
    with app.app_context():
        create_staff(STAFF_EMAIL, STAFF_PASSWORD)
        db.session.commit()
    client = app.test_client()
    assert sign_in(client).status_code == 302
    return client


def make_order(*, status: str = "paid", lines=(COFFEE, MUG), email: str = "buyer@mail.ru",
               number: str | None = None, invoicebox_order_id: str | None = None,
               created_at=None) -> Order:
    """An order with one Invoicebox payment, as checkout and a notification leave it."""
    drafts = [LineDraft(product_id=None, sku=sku, name=name, unit_price=price, quantity=qty,
                        vat_code=vat, item_type="commodity", measure="шт", measure_code="796")
              for sku, name, price, qty, vat in lines]
    basket = basket_for(drafts)
    order = Order(
        number=number or f"261127-{secrets.token_hex(3).upper()}",
        public_token=secrets.token_urlsafe(16),
        status=status,
        customer_type="private",
        customer_name="Мария Иванова",
        customer_email=email,
        customer_phone="79001112233",
        amount=decimal_to_kopecks(basket.amount),
        vat_amount=decimal_to_kopecks(basket.vat_amount),
        created_at=created_at or now_utc(),
    )
    for draft, item in zip(drafts, basket, strict=True):
        order.lines.append(OrderLine(
            sku=draft.sku, name=draft.name, measure="шт", measure_code="796",
            vat_code=draft.vat_code, item_type="commodity", unit_price=draft.unit_price,
            quantity=draft.quantity, total=decimal_to_kopecks(item.total_amount),
            vat=decimal_to_kopecks(item.total_vat_amount)))
    paid = status in ("paid", "partially_refunded", "refunded")
    if status != "new":
        order.payments.append(Payment(
            attempt=1,
            merchant_order_id=f"{order.number}-1",
            invoicebox_order_id=invoicebox_order_id or _uuid(),
            payment_url="http://invoicebox.test/order/" + _uuid(),
            status="completed" if paid else "created",
            amount=order.amount,
            expires_at=now_utc() + timedelta(days=1),
            paid_at=now_utc() if paid else None,
        ))
        if paid:
            order.paid_at = now_utc()
    db.session.add(order)
    db.session.commit()
    return order


def _uuid() -> str:
    return str(uuid.uuid4())


@contextmanager
def statements(app: Flask) -> Iterator[list[tuple[str, object]]]:
    """Collect (SQL, parameters) of every statement ``app`` sends while the block runs."""
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)

