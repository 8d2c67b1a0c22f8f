"""The buyer is back before the notification: the shop waits, then shows the payment."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from storefront.extensions import db
from storefront.models import Order

from .conftest import buy, order_token_in, press


def test_waiting_for_confirmation_then_payment_received(page: Page, shop, sandbox):
    sandbox.scenario("notification_delay", seconds=5)
    buy(page, shop, [("coffee-subscription-month", 3)])
    press(page, "pay")

    expect(page.get_by_role("heading", name="Waiting for payment confirmation")).to_be_visible()
    with shop.app.app_context():
        status = db.session.execute(db.select(Order.status).where(
            Order.public_token == order_token_in(page.url))).scalar_one()
    assert status == "awaiting_payment"  # the redirect alone proves nothing

    expect(page.get_by_role("heading", name="Payment received")).to_be_visible(timeout=20_000)
    with shop.app.app_context():
        status = db.session.execute(db.select(Order.status).where(
            Order.public_token == order_token_in(page.url))).scalar_one()
    assert status == "paid"
