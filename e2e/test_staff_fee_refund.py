"""Staff journey: refund one position keeping a fee, in Chromium. The confirmation restates
what the buyer gets; the sandbox's own record of the refund says the same (``netAmount``),
and the order page shows the refund, the fee and the correction order that keeps it.
"""

from __future__ import annotations

import re
from decimal import Decimal

from playwright.sync_api import Page, expect

from .conftest import WORDS, order_ids, sign_in, staff_member
from .test_staff_refund import EMAIL, PASSWORD, PRESS

NET, FEE = "2,000.00\u00a0₽", "490.00\u00a0₽"  # the press (2 490.00) less the fee


def test_refund_a_position_keeping_a_fee(page: Page, shop, sandbox, paid_order):
    words = WORDS["en"]
    staff_member(shop, EMAIL, PASSWORD)
    number, invoicebox_id = order_ids(shop, paid_order)

    page.goto(f"{shop.url}/staff/orders")
    expect(page).to_have_url(re.compile(r"/staff/login\?next="))
    sign_in(page, words, EMAIL, PASSWORD)
    page.get_by_role("link", name=number).click()
    page.get_by_role("link", name=words["refund"], exact=True).click()

    page.get_by_label(words["to_refund"] + PRESS).fill("1")
    page.get_by_label(words["reason"], exact=True).fill("The buyer changed their mind")
    page.get_by_label("Fee to keep, ₽").fill("490")
    page.get_by_label("Why the fee is kept").fill("Restocking fee")
    page.get_by_role("button", name=words["issue"]).click()

    expect(page.locator(".confirm-amount")).to_contain_text(f"{NET} goes back to the buyer")
    expect(page.locator(".confirm-amount")).to_contain_text(f"after a fee of {FEE}")
    assert sandbox.get(f"api/refunds?parentId={invoicebox_id}")["data"] == []
    page.get_by_role("button", name=f"{words['confirm']} {NET}").click()

    expect(page.locator(".flash")).to_contain_text(f"A fee of {FEE} is kept")
    [remote] = sandbox.get(f"api/refunds?parentId={invoicebox_id}")["data"]
    assert remote["status"] in ("created", "completed")
    assert Decimal(str(remote["netAmount"])) == Decimal("2000")
    refunds = page.locator("section", has=page.get_by_role("heading", name=words["refunds"]))
    expect(refunds).to_contain_text(f"fee {FEE} kept: Restocking fee")
    expect(refunds).to_contain_text(f"to the buyer {NET}")
    expect(refunds).to_contain_text("Correction order R-")
