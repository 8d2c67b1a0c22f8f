"""The two refund request messages, queued from plain values: to the buyer when staff
answer, to the staff when a buyer asks."""

from __future__ import annotations

from decimal import Decimal

from storefront.extensions import db
from storefront.mail import queue_refund_request_answered, queue_refund_request_received
from storefront.mail.render import render
from storefront.models import OutboxMessage

from .conftest import outbox

NBSP = "\u00a0"


def answered(**overrides):
    values = dict(request_id=7, order_id=None, order_number="261130-ABCDE",
                  public_token="the-token", email="anna@example.ru", language="ru",
                  issued=False, staff_message="Кружка <b>разбита</b> покупателем")
    return queue_refund_request_answered(**{**values, **overrides})


def test_a_declined_request_tells_the_buyer_why_in_their_language(app):
    with app.app_context():
        assert answered() is True
        db.session.commit()
    [row] = outbox(app)
    assert (row.kind, row.recipient, row.language, row.dedupe_key) == (
        "refund_request_answered", "anna@example.ru", "ru", "refund_request_answered:7")
    assert row.context["link"] == "http://shop.test/orders/the-token"
    with app.app_context():
        text = render(row)
    assert text.subject == "Ваш запрос на возврат по заказу 261130-ABCDE отклонён"
    assert "Кружка <b>разбита</b> покупателем" in text.text
    assert "http://shop.test/orders/the-token" in text.text
    # The staff's words are text in the HTML, never markup.
    assert "Кружка &lt;b&gt;разбита&lt;/b&gt; покупателем" in text.html
    assert "<b>разбита" not in text.html


def test_an_issued_request_names_the_amount_as_money(app):
    with app.app_context():
        answered(language="en", issued=True, staff_message="", amount=Decimal("1234.5"))
        db.session.commit()
    [row] = outbox(app)
    assert row.context["amount"] == "1234.50"  # a Decimal string, never a float
    with app.app_context():
        text = render(row)
    assert text.subject == "Your refund request for order 261130-ABCDE is accepted"
    assert f"We have issued a refund of 1,234.50{NBSP}₽ for order 261130-ABCDE." in text.text


def test_each_answer_is_queued_once(app):
    with app.app_context():
        assert answered() is True
        assert answered(issued=True) is False  # the same request: already queued
        db.session.commit()
    assert len(outbox(app)) == 1


def test_a_new_request_goes_to_the_staff_address(make_app):
    app = make_app(STOREFRONT_STAFF_EMAIL="orders@sever-coffee.example")
    with app.app_context():
        queue_refund_request_received(
            request_id=3, order_id=None, order_number="261130-ABCDE",
            lines=[("Кружка керамическая, 300 мл", 1), ("Кофе «Эфиопия»", 2)],
            reason="Пришла <разбитой>")
        db.session.commit()
    [row] = outbox(app)
    assert (row.recipient, row.language) == ("orders@sever-coffee.example", "ru")
    with app.app_context():
        text = render(row)
    assert text.subject == "Новый запрос на возврат по заказу 261130-ABCDE"
    assert "- Кружка керамическая, 300 мл × 1" in text.text
    assert "- Кофе «Эфиопия» × 2" in text.text
    assert "Пришла <разбитой>" in text.text
    assert "http://shop.test/staff/orders/261130-ABCDE" in text.text
    assert "Пришла &lt;разбитой&gt;" in text.html


def test_without_a_staff_address_nothing_is_queued(app):
    with app.app_context():
        assert queue_refund_request_received(
            request_id=3, order_id=None, order_number="261130-ABCDE", lines=[],
            reason="x") is False
        db.session.commit()
    assert outbox(app) == []


def test_a_message_rolls_back_with_its_change(app):
    with app.app_context():
        answered()
        db.session.rollback()
        assert db.session.execute(db.select(db.func.count(OutboxMessage.id))).scalar_one() == 0
