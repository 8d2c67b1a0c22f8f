"""A declined card: the buyer sees "Payment failed", pays again and succeeds."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from storefront.extensions import db
from storefront.models import Order

from .conftest import buy, order_token_in, press


def test_decline_then_pay_again_with_the_same_invoicebox_order(page: Page, shop, sandbox):
    buy(page, shop, [("french-press-350", 1)])
    payment_page = page.url
    press(page, "decline")

    expect(page.get_by_role("heading", name="Payment failed")).to_be_visible()
    token = order_token_in(page.url)
    page.get_by_role("button", name="Pay again").click()

    expect(page).to_have_url(payment_page)  # the same Invoicebox order, not a second one
    press(page, "pay")
    expect(page.get_by_role("heading", name="Payment received")).to_be_visible(timeout=20_000)

    with shop.app.app_context():
        order = db.session.execute(db.select(Order).where(Order.public_token == token)
                                   ).scalar_one()
        assert order.status == "paid"
        assert [(p.attempt, p.status) for p in order.payments] == [(1, "completed")]
    number = order.number
    remote = [o for o in sandbox.get("api/orders")["data"]
              if o["merchantOrderId"].startswith(f"{number}-")]
    assert [o["status"] for o in remote] == ["completed"]


def test_back_to_shop_shows_the_unpaid_order_with_a_pay_button(page: Page, shop, sandbox):
    buy(page, shop, [("tieguanyin-oolong-100", 1)])
    press(page, "back")
    expect(page).to_have_url(re.compile(re.escape(shop.url) + r"/orders/[A-Za-z0-9_-]+$"))
    expect(page.get_by_text("awaiting payment")).to_be_visible()
    page.get_by_role("button", name="Pay", exact=True).click()  # the shop's button
    expect(page).to_have_url(re.compile(re.escape(sandbox.url) + r"/order/"))
