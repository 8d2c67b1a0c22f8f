"""Invoicebox fails at checkout: a calm message, nothing lost, and a retry that works."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from storefront.extensions import db
from storefront.models import Order

from .conftest import buy, order_token_in, press


def test_invoicebox_down_keeps_the_order_and_the_retry_succeeds(page: Page, shop, sandbox):
    sandbox.scenario("api_500", method="POST", path="/billing/api/order/order")
    buy(page, shop, [("demerara-sugar-500", 4), ("french-press-350", 1)])

    expect(page.get_by_text("We could not reach Invoicebox")).to_be_visible()
    expect(page.get_by_text("nothing has been charged")).to_be_visible()
    token = order_token_in(page.url)
    with shop.app.app_context():
        order = db.session.execute(db.select(Order).where(Order.public_token == token)
                                   ).scalar_one()
        assert order.status == "new" and [ln.quantity for ln in order.lines] == [4, 1]
    expect(page.get_by_text("Demerara cane sugar, 500 g")).to_be_visible()

    page.get_by_role("button", name="Try again").click()
    expect(page).to_have_url(re.compile(re.escape(sandbox.url) + r"/order/"))
    press(page, "pay")
    expect(page.get_by_role("heading", name="Payment received")).to_be_visible(timeout=20_000)
    with shop.app.app_context():
        order = db.session.execute(db.select(Order).where(Order.public_token == token)
                                   ).scalar_one()
        assert order.status == "paid"
        assert [(p.attempt, p.status) for p in order.payments] == [(1, "failed"),
                                                                  (2, "completed")]
