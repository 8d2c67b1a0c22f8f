"""Staff journey: sign in, open a paid order, refund one position, watch it complete.

The order is bought and paid the buyer's way (``paid_order``); the refund goes through
the staff screens in Chromium, and the sandbox's own refundable amounts are checked.
"""

from __future__ import annotations

import re
from decimal import Decimal

from playwright.sync_api import Page, expect

from storefront.extensions import db
from storefront.invoicebox import InvoiceboxClient
from storefront.models import Order
from storefront.staff.accounts import StaffAccountError, create_staff

EMAIL, PASSWORD = "olga@sever-coffee.ru", "e2e staff passphrase"
PRESS = "Френч-пресс из боросиликатного стекла, 350 мл"
PRESS_SKU = "FP-GLS-350"


def _staff_member(shop) -> None:
    with shop.app.app_context():
        try:
            create_staff(EMAIL, PASSWORD)
        except StaffAccountError:  # made by an earlier test of this session
            db.session.rollback()
        else:
            db.session.commit()


def _order(shop, public_token: str) -> tuple[str, str]:
    """The order's number and its Invoicebox id."""
    with shop.app.app_context():
        order = db.session.execute(
            db.select(Order).where(Order.public_token == public_token)).scalar_one()
        return order.number, order.paid_payment.invoicebox_order_id


def _refundable(sandbox, invoicebox_id: str) -> dict[str, Decimal]:
    gateway = InvoiceboxClient(sandbox.url, sandbox.token)
    return {item.sku: item.available_amount
            for item in gateway.get_refundable_items(invoicebox_id)}


def test_refund_one_position_and_see_it_complete(page: Page, shop, sandbox, paid_order):
    _staff_member(shop)
    number, invoicebox_id = _order(shop, paid_order)
    before = _refundable(sandbox, invoicebox_id)

    page.goto(f"{shop.url}/staff/orders")
    expect(page).to_have_url(re.compile(r"/staff/login\?next="))
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Orders")).to_be_visible()

    page.get_by_role("link", name=number).click()
    expect(page.get_by_role("heading", name=f"Order {number}")).to_contain_text("paid")
    page.get_by_role("link", name="Refund", exact=True).click()

    press_row = page.get_by_role("row").filter(has_text=PRESS)
    expect(press_row).to_contain_text("2\u00a0490,00\u00a0₽")  # still refundable
    quantity = page.get_by_label(f"Quantity to refund: {PRESS}")
    quantity.fill("1")
    expect(page.locator("#refund-total")).to_have_text("2\u00a0490,00\u00a0₽")
    page.get_by_label("Reason").fill("The glass arrived cracked")
    page.get_by_role("button", name="Issue refund").click()

    expect(page.get_by_text("Refund created")).to_be_visible()
    after = _refundable(sandbox, invoicebox_id)
    assert after[PRESS_SKU] == before[PRESS_SKU] - Decimal("2490")
    assert after["delivery"] == before["delivery"]
    expect(page.get_by_role("heading", name=f"Order {number}")).to_contain_text(
        "partially refunded")

    # The refund screen now shows nothing left on the press.
    page.get_by_role("link", name="Refund", exact=True).click()
    expect(page.get_by_role("row").filter(has_text=PRESS)).to_contain_text("fully refunded")
    page.get_by_role("link", name=f"Order {number}").click()

    # Invoicebox completes refunds asynchronously (the sandbox after a second).
    refunds = page.locator("section", has=page.get_by_role("heading", name="Refunds"))
    for _ in range(20):
        page.get_by_role("button", name="Sync with Invoicebox").click()
        expect(page.get_by_text("Synced with Invoicebox")).to_be_visible()
        try:
            expect(refunds.get_by_text("completed", exact=True)).to_be_visible(timeout=1000)
            break
        except AssertionError:
            continue
    expect(refunds.get_by_text("completed", exact=True)).to_be_visible()
