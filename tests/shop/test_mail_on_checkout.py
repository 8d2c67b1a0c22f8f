"""Checkout queues the "order placed" message with the order, in the buyer's language."""

from __future__ import annotations

from decimal import Decimal

import pytest

from storefront.extensions import db
from storefront.mail.render import render
from storefront.models import Order, OutboxMessage

from .conftest import BUYER, add_to_cart, open_checkout, submit_checkout

NBSP = "\u00a0"


def rows(app) -> list[tuple[Order, OutboxMessage]]:
    with app.app_context():
        found = list(db.session.execute(
            db.select(Order, OutboxMessage).join(OutboxMessage,
                                                 OutboxMessage.order_id == Order.id)).all())
        db.session.expunge_all()
        return [tuple(row) for row in found]


@pytest.mark.parametrize(("accept", "subject", "total", "intro"), [
    ("ru-RU,ru;q=0.9", "Заказ {} оформлен", f"1{NBSP}190,00{NBSP}₽",
     "Спасибо за заказ, Анна Смирнова!"),
    ("en-US,en;q=0.9", "Order {} is placed", f"1,190.00{NBSP}₽",
     "Thank you for your order, Анна Смирнова!"),
])
def test_the_order_placed_message_speaks_the_buyers_language(app, invoicebox, accept,
                                                             subject, total, intro):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = accept
    add_to_cart(client, "ceramic-mug-300")
    token = open_checkout(client)
    assert submit_checkout(client, token).status_code == 303
    assert submit_checkout(client, token).status_code == 303  # the form sent again
    [(order, message)] = rows(app)
    assert (message.kind, message.recipient, message.language) == (
        "order_placed", BUYER["email"], order.language)
    assert message.dedupe_key == f"order_placed:{order.id}"
    assert message.context["link"] == f"http://shop.test/orders/{order.public_token}"
    assert Decimal(message.context["amount"]) * 100 == order.amount
    with app.app_context():
        text = render(message)
    assert text.subject == subject.format(order.number)
    assert intro in text.text and total in text.text
    assert f"http://shop.test/orders/{order.public_token}" in text.text
    assert message.sent_at is None  # sent by the runner, never by the request
