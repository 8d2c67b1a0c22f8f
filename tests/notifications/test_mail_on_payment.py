"""The paid transition queues "payment received" once, however often the news comes."""

from __future__ import annotations

from storefront.extensions import db
from storefront.mail.render import render
from storefront.models import OutboxMessage

from .conftest import post_signed

NBSP = "\u00a0"


def messages(app) -> list[OutboxMessage]:
    with app.app_context():
        found = list(db.session.execute(db.select(OutboxMessage)).scalars())
        db.session.expunge_all()
        return found


def test_payment_received_is_queued_once_with_the_paid_transition(app, client, awaiting):
    for _ in range(2):  # the notification, then its copy
        assert post_signed(client, awaiting.body()).get_json() == {"status": "success"}
    [message] = messages(app)
    assert (message.kind, message.recipient, message.language, message.order_id) == (
        "payment_received", "anna@example.ru", "ru", awaiting.order_id)
    assert message.context["amount"] == "2490.00"
    with app.app_context():
        text = render(message)
    assert text.subject == f"Оплата заказа {awaiting.number} получена"
    assert f"Мы получили оплату 2{NBSP}490,00{NBSP}₽ по заказу {awaiting.number}" in text.text


def test_a_refused_notification_queues_nothing(app, client, awaiting):
    post_signed(client, awaiting.body(amount="1.00"))  # the wrong amount: not paid
    assert messages(app) == []
