"""A buyer chooses, checks out, pays at Invoicebox and sees "Payment received"."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from storefront.extensions import db
from storefront.models import Order, Payment
from tests.support.shop import COMPANY_BUYER

from .conftest import buy, order_token_in, press

PAID_TIMEOUT = 20_000  # ms: the notification is asynchronous


def test_an_individual_pays_and_sees_payment_received(page: Page, shop, sandbox):
    page.goto(shop.url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Freshly roasted coffee")
    buy(page, shop, [("ethiopia-yirgacheffe-250", 2), ("courier-delivery-moscow", 1)])

    expect(page).to_have_url(re.compile(re.escape(sandbox.url) + r"/order/"))
    # 2 x 890 + 390, on Invoicebox's page, which speaks the buyer's language (English here)
    expect(page.get_by_text("2,170.00")).to_be_visible()
    press(page, "pay")

    expect(page).to_have_url(re.compile(re.escape(shop.url) + r"/orders/.+/success$"))
    expect(page.get_by_role("heading", name="Payment received")).to_be_visible(
        timeout=PAID_TIMEOUT)
    expect(page.get_by_text("Ethiopia Yirgacheffe coffee beans, 250 g")).to_be_visible()

    with shop.app.app_context():
        order = db.session.execute(db.select(Order).where(
            Order.public_token == order_token_in(page.url))).scalar_one()
        assert (order.status, order.amount, order.customer_phone) == ("paid", 217000,
                                                                      "79001112233")
        assert [(p.attempt, p.status) for p in order.payments] == [(1, "completed")]


def test_a_company_pays_with_its_inn_and_kpp(page: Page, shop, sandbox):
    buy(page, shop, [("barista-guide-book", 3)], COMPANY_BUYER)
    press(page, "pay")
    expect(page.get_by_role("heading", name="Payment received")).to_be_visible(
        timeout=PAID_TIMEOUT)
    token = order_token_in(page.url)
    with shop.app.app_context():
        order = db.session.execute(db.select(Order).where(Order.public_token == token)
                                   ).scalar_one()
        assert (order.customer_type, order.customer_inn, order.customer_kpp) == (
            "legal", "7707083893", "773601001")
        payment = db.session.execute(db.select(Payment).where(Payment.order_id == order.id)
                                     ).scalar_one()
    remote = sandbox.get(f"api/orders/{payment.invoicebox_order_id}")
    assert remote["customer"]["vatNumber"] == "7707083893"
    assert remote["customer"]["taxRegistrationReasonCode"] == "773601001"


def test_checkout_errors_are_shown_next_to_the_fields(page: Page, shop):
    page.goto(f"{shop.url}/products/ceramic-mug-300")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_role("link", name="Cart", exact=True).click()
    page.get_by_role("button", name="Checkout").click()
    page.get_by_label("Company", exact=True).check()
    page.get_by_label("Full name").fill("ООО «Ромашка»")
    page.get_by_label("Email").fill("buh@romashka.example")
    page.get_by_label("Phone").fill("+7 495 123 45 67")
    page.get_by_label("INN").fill("7707083894")
    page.get_by_role("button", name="Pay with Invoicebox").click()
    expect(page.get_by_text("This INN's check digits do not match")).to_be_visible()
    expect(page.get_by_text("Enter the organisation's KPP")).to_be_visible()
    expect(page.get_by_label("Full name")).to_have_value("ООО «Ромашка»")
    expect(page.get_by_label("Company", exact=True)).to_be_checked()
