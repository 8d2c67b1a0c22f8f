"""The buyer of an order that cannot be delivered (shipment control answered
``shipping_unavailable``) is told so by e-mail: queued in the transaction that makes the
order ``undeliverable``, once however many copies of the notification arrive, in the
order's language, saying the money comes back in full; never "payment received"."""

from __future__ import annotations

import pytest

from storefront.extensions import db
from storefront.mail import deliver_due, queue_order_undeliverable
from storefront.mail.render import render
from storefront.models import Order, OutboxMessage, Payment
from tests.support.mail import Catcher, smtp_settings

from .conftest import awaiting_order, notify_paid, order_state, set_stock_directly

NBSP = "\u00a0"


@pytest.fixture
def catcher(tmp_path):
    with Catcher(tmp_path / "caught") as running:
        yield running


@pytest.fixture
def app(make_app, catcher):
    return make_app(STOREFRONT_SHIPMENT_CONTROL=True, **smtp_settings(catcher.port))


def queued(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [(row.kind, row.dedupe_key, row.language) for row in db.session.execute(
            db.select(OutboxMessage).order_by(OutboxMessage.id)).scalars()]


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def test_the_buyer_hears_the_money_comes_back_and_never_payment_received(app, client, catcher):
    set_stock_directly(app, "ceramic-mug-300", 0)
    order = awaiting_order(app, {"ceramic-mug-300": 1})
    for _ in range(3):  # Invoicebox repeats a notification until it is answered
        assert notify_paid(client, order).get_json()["code"] == "shipping_unavailable"
    assert order_state(app, order.order_id)["status"] == "undeliverable"

    assert queued(app) == [("order_undeliverable", f"order_undeliverable:{order.order_id}",
                            "ru")]
    with app.app_context():
        token = db.session.get(Order, order.order_id).public_token
        assert deliver_due("runner-a").sent == 1
    [mail] = catcher.messages()
    assert mail["Subject"] == f"Заказ {order.number} не может быть доставлен"
    assert mail["To"] == "anna@example.ru" and mail["Content-Language"] == "ru"
    text = text_of(mail)
    assert "товар закончился, пока вы оплачивали заказ" in text
    assert f"Ваш платёж 1{NBSP}190,00{NBSP}₽ вернётся вам полностью" in text
    assert "1–5 рабочих дней" in text
    assert f"http://shop.test/orders/{token}" in text
    assert "Оплата" not in mail["Subject"]


def test_in_english_when_the_buyer_shopped_in_english(app, client, catcher):
    set_stock_directly(app, "ceramic-mug-300", 1)
    order = awaiting_order(app, {"ceramic-mug-300": 2})
    with app.app_context():
        db.session.execute(db.update(Order).where(Order.id == order.order_id)
                           .values(language="en"))
        db.session.commit()
    notify_paid(client, order)
    with app.app_context():
        assert deliver_due("runner-a").sent == 1
    [mail] = catcher.messages()
    assert mail["Subject"] == f"Order {order.number} cannot be delivered"
    text = text_of(mail)
    assert "an item ran out while you were paying. Nothing will be shipped." in text
    assert f"Your payment of 2,380.00{NBSP}₽ comes back to you in full" in text


def test_a_buyer_whose_goods_are_there_gets_payment_received_only(app, client):
    order = awaiting_order(app, {"ceramic-mug-300": 1})
    assert notify_paid(client, order).get_json() == {"status": "success"}
    assert [kind for kind, _, _ in queued(app)] == ["payment_received"]


def test_a_guarantee_is_released_not_refunded(app):
    """The same message for a payment only reserved (a hold): it speaks of a release."""
    order = awaiting_order(app, {"ceramic-mug-300": 1})
    with app.app_context():
        payment = db.session.get(Payment, db.session.get(Order, order.order_id).payments[0].id)
        payment.status = "hold"
        assert queue_order_undeliverable(db.session.get(Order, order.order_id), payment)
        db.session.commit()
        row = db.session.execute(db.select(OutboxMessage)).scalar_one()
        assert row.context["guarantee"] is True
        text = render(row).text
    assert f"Сумма 1{NBSP}190,00{NBSP}₽, зарезервированная на вашей карте, освобождается" in text
    assert "вернётся" not in text
