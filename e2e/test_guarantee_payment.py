"""A buyer pays as a guarantee on the payment page; the order is paid, awaiting shipment;
staff ship everything, and the final shipment charges it: the order turns paid."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from storefront.extensions import db
from storefront.models import Order

from .conftest import SANDBOX_BUTTONS, buy, order_token_in, sign_in, staff_member
from .test_staff_refund import EMAIL, PASSWORD

SIGN_IN = {"email": "Email", "password": "Password", "sign_in": "Sign in"}


def test_a_guarantee_payment_is_charged_by_its_shipment(page: Page, shop, sandbox):
    staff_member(shop, EMAIL, PASSWORD)
    buy(page, shop, [("ceramic-mug-300", 1)])
    language = page.locator("html").get_attribute("lang") or "ru"  # the payment page's own
    page.get_by_role("button", name=SANDBOX_BUTTONS[language]["guarantee"],
                     exact=True).click()
    expect(page.get_by_role("heading", name="Payment received")).to_be_visible(timeout=20_000)
    token = order_token_in(page.url)
    with shop.app.app_context():
        order = db.session.execute(db.select(Order).where(Order.public_token == token)
                                   ).scalar_one()
        number, invoicebox_id = order.number, order.current_payment.invoicebox_order_id
    page.goto(f"{shop.url}/orders/{token}")
    expect(page.get_by_text("paid, awaiting shipment").first).to_be_visible()
    assert sandbox.get(f"api/orders/{invoicebox_id}")["status"] == "hold"

    page.goto(f"{shop.url}/staff/orders/{number}")
    sign_in(page, SIGN_IN, EMAIL, PASSWORD)
    heading = page.get_by_role("heading", name=f"Order {number}")
    expect(heading).to_contain_text("paid, awaiting shipment")
    page.get_by_role("link", name="Ship", exact=True).click()
    page.get_by_label(re.compile("^Quantity to ship: ")).fill("1")
    page.get_by_label("Document number").fill("TN-G1")
    page.get_by_role("button", name="Ship", exact=True).click()
    expect(page.locator(".flash").filter(has_text="registered with Invoicebox")).to_be_visible()

    # The sandbox completes the shipment on its clock; the charge is notified as completed.
    for _ in range(60):
        if sandbox.get(f"api/orders/{invoicebox_id}")["status"] == "completed":
            break
        page.wait_for_timeout(500)
    assert sandbox.get(f"api/orders/{invoicebox_id}")["status"] == "completed"
    with shop.app.app_context():
        for _ in range(40):
            db.session.expire_all()
            status = db.session.execute(db.select(Order.status).where(
                Order.number == number)).scalar_one()
            if status == "paid":
                break
            page.wait_for_timeout(250)
    assert status == "paid"
    page.reload()
    expect(heading).not_to_contain_text("awaiting shipment")
    expect(heading).to_contain_text("paid")
    expect(page.get_by_role("link", name="Refund", exact=True)).to_be_visible()
