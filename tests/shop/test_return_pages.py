"""The pages Invoicebox sends the buyer back to, and the status they poll.

They never trust the URL: only the database (moved by a notification or a status check
against the API) says an order is paid.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest

from storefront.extensions import db
from storefront.models import GatewayCall, Order
from tests.support.shop import order_snapshot

from .conftest import buy


@pytest.fixture
def placed(app, client, invoicebox):
    """An order sent to (faked) Invoicebox and awaiting payment; returns it."""
    assert buy(client, (("french-press-350", 2),)).status_code == 303
    return order_snapshot(app)


def gateway_reads(app) -> int:
    with app.app_context():
        return db.session.execute(
            db.select(db.func.count(GatewayCall.id)).where(GatewayCall.method == "GET")
        ).scalar_one()


def test_success_page_waits_for_confirmation_and_polls_from_a_static_script(app, client, placed):
    page = client.get(f"/orders/{placed.public_token}/success")
    assert page.status_code == 200
    assert "Waiting for payment confirmation" in page.text
    assert "Payment received" not in page.text
    assert f'data-status-url="/orders/{placed.public_token}/status"' in page.text
    assert '<script src="/static/js/order-status.js" defer></script>' in page.text
    assert re.search(r"<script(?![^>]*\ssrc=)[^>]*>", page.text) is None  # nothing inline
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert order_snapshot(app).status == "awaiting_payment"  # visiting it changed nothing


def test_success_page_shows_payment_received_once_the_database_says_paid(app, client, placed):
    with app.app_context():
        db.session.execute(db.update(Order).values(status="paid"))
        db.session.commit()
    page = client.get(f"/orders/{placed.public_token}/success")
    assert "Payment received" in page.text
    assert "Waiting for payment confirmation" not in page.text
    assert "data-status-url" not in page.text
    assert "Glass French press, 350 ml" in page.text
    assert "4,980.00\u00a0₽" in page.text

    russian = client.get(f"/orders/{placed.public_token}/success",
                         headers={"Accept-Language": "ru"}).text
    assert "Оплата получена" in russian
    assert "Френч-пресс из боросиликатного стекла, 350 мл" in russian
    assert "4\u00a0980,00\u00a0₽" in russian


def test_fail_page_offers_to_pay_again_with_the_same_invoicebox_order(app, client, invoicebox,
                                                                      placed):
    page = client.get(f"/orders/{placed.public_token}/failed")
    assert "Payment failed" in page.text
    assert f'action="/orders/{placed.public_token}/pay"' in page.text and ">Pay again<" in page.text
    again = client.post(f"/orders/{placed.public_token}/pay")
    assert again.status_code == 303
    assert again.headers["Location"] == placed.payments[0].payment_url
    assert len(invoicebox.created) == 1


def test_fail_page_of_a_paid_order_says_it_is_paid(app, client, placed):
    with app.app_context():
        db.session.execute(db.update(Order).values(status="paid"))
        db.session.commit()
    page = client.get(f"/orders/{placed.public_token}/failed")
    assert "Payment received" in page.text and "Payment failed" not in page.text


def test_the_order_page_shows_lines_totals_status_and_a_pay_button(app, client, placed):
    page = client.get(f"/orders/{placed.public_token}")
    assert page.status_code == 200
    assert f"Order {placed.number}" in page.text
    assert "awaiting payment" in page.text
    assert "Glass French press, 350 ml" in page.text
    assert "4,980.00\u00a0₽" in page.text and "898.03\u00a0₽" in page.text
    assert ">Pay</button>" in page.text
    deadline = placed.payments[0].expires_at.astimezone(ZoneInfo("Europe/Moscow"))
    assert f"Please pay by {deadline:%b} {deadline.day}, {deadline:%Y}" in page.text
    assert "MSK" in page.text
    with app.app_context():
        db.session.execute(db.update(Order).values(status="paid"))
        db.session.commit()
    assert ">Pay</button>" not in client.get(f"/orders/{placed.public_token}").text


@pytest.mark.parametrize("token", ["nope", "x" * 43, "a" * 200])
def test_an_unknown_link_is_a_404(client, token):
    for suffix in ("", "/success", "/failed", "/status"):
        assert client.get(f"/orders/{token}{suffix}").status_code == 404
    assert client.post(f"/orders/{token}/pay").status_code == 404


def test_status_answers_from_the_database_without_asking_the_api_at_first(app, client, placed):
    answer = client.get(f"/orders/{placed.public_token}/status?waited=5")
    assert answer.status_code == 200
    assert answer.get_json() == {
        "status": "awaiting_payment", "label": "awaiting payment", "paid": False,
        "payment": "created", "state": "awaiting_payment:1:created"}
    assert gateway_reads(app) == 0


def test_after_thirty_seconds_the_status_asks_the_api_and_applies_a_payment(
    app, client, invoicebox, placed
):
    merchant_order_id = placed.payments[0].merchant_order_id
    invoicebox.set_status(merchant_order_id, "completed", paidAt="2026-01-01T10:05:00+00:00")
    answer = client.get(f"/orders/{placed.public_token}/status?waited=31").get_json()
    assert answer["paid"] is True and answer["status"] == "paid"
    order = order_snapshot(app)
    assert (order.status, order.payments[0].status) == ("paid", "completed")
    assert gateway_reads(app) == 1


def test_the_api_is_asked_at_most_once_per_fifteen_seconds_per_order(app, client, invoicebox,
                                                                      placed):
    for _ in range(3):
        answer = client.get(f"/orders/{placed.public_token}/status?waited=40").get_json()
        assert answer["paid"] is False
    assert gateway_reads(app) == 1


def test_a_wrong_amount_from_the_api_is_not_taken_as_paid(app, client, invoicebox, placed):
    invoicebox.set_status(placed.payments[0].merchant_order_id, "completed", amount=1.0)
    answer = client.get(f"/orders/{placed.public_token}/status?waited=31").get_json()
    assert answer["paid"] is False
    assert order_snapshot(app).status == "awaiting_payment"
