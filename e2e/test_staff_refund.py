"""Staff journey: sign in, open a paid order, refund one position after a confirmation that
restates it, and watch the refund complete without pressing anything; in Russian and English.

The order is bought and paid the buyer's way (``paid_order``); the refund goes through
the staff screens in Chromium, and the sandbox's own refundable amounts are checked.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from .conftest import WORDS, order_ids, refundable, sign_in, staff_member

EMAIL, PASSWORD = "olga@sever-coffee.ru", "e2e staff passphrase"
PRESS = "Френч-пресс из боросиликатного стекла, 350 мл"  # the receipt's name, in both
PRESS_SKU = "FP-GLS-350"
PRICE = {"ru": "2\u00a0490,00\u00a0₽", "en": "2,490.00\u00a0₽"}


@pytest.mark.parametrize("language", ["ru", "en"])
def test_refund_one_position_and_see_it_complete(page: Page, shop, sandbox, paid_order,
                                                 language):
    words, price = WORDS[language], PRICE[language]
    staff_member(shop, EMAIL, PASSWORD)
    number, invoicebox_id = order_ids(shop, paid_order)
    before = refundable(sandbox, invoicebox_id)

    page.goto(f"{shop.url}/staff/orders")
    expect(page).to_have_url(re.compile(r"/staff/login\?next="))
    sign_in(page, words, EMAIL, PASSWORD)
    expect(page.get_by_role("heading", name=words["orders"])).to_be_visible()

    page.get_by_role("link", name=number).click()
    heading = page.get_by_role("heading", name=f"{words['order']} {number}")
    expect(heading).to_contain_text(words["status_paid"])
    page.get_by_role("link", name=words["refund"], exact=True).click()

    press_row = page.get_by_role("row").filter(has_text=PRESS)
    expect(press_row).to_contain_text(price)  # still refundable
    page.get_by_label(words["to_refund"] + PRESS).fill("1")
    expect(page.locator("#refund-total")).to_have_text(price)
    page.get_by_label(words["reason"]).fill("The glass arrived cracked")
    page.get_by_role("button", name=words["issue"]).click()

    # Nothing is refunded until the confirmation, which restates the amount and the line.
    confirm = page.get_by_role("button", name=f"{words['confirm']} {price}")
    expect(confirm).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=PRESS)).to_contain_text(price)
    assert refundable(sandbox, invoicebox_id) == before
    confirm.click()

    expect(page.locator(".flash").filter(has_text=words["created"])).to_be_visible()
    after = refundable(sandbox, invoicebox_id)
    assert after[PRESS_SKU] == before[PRESS_SKU] - Decimal("2490")
    assert after["delivery"] == before["delivery"]
    expect(heading).to_contain_text(words["status_partial"])

    # Invoicebox completes refunds asynchronously (the sandbox after a second); the order
    # page follows the refund by itself, nobody presses Sync.
    refunds = page.locator("section", has=page.get_by_role("heading", name=words["refunds"]))
    expect(refunds.get_by_text(words["completed"], exact=True)).to_be_visible(timeout=30_000)

    # The refund screen now shows nothing left on the press.
    page.get_by_role("link", name=words["refund"], exact=True).click()
    expect(page.get_by_role("row").filter(has_text=PRESS)).to_contain_text(words["fully"])
