"""Buyer and staff journey: the buyer asks for a refund of one line on their order page,
staff open "Refund requests", issue it from the pre-filled refund screen, and the buyer's
page shows it refunded; in Russian and English.

The order is bought and paid the buyer's way (``paid_order``). The sandbox completes
refunds by itself a moment after it accepts them; nobody presses Sync: the buyer's page
follows the refund until it ends.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from .conftest import (
    LOCALES,
    PHONE,
    WORDS,
    fits_the_screen,
    order_ids,
    refundable,
    sign_in,
    staff_member,
)

EMAIL, PASSWORD = "irina@sever-coffee.ru", "e2e refund requests passphrase"
PRESS_SKU = "FP-GLS-350"
PRESS = {"ru": "Френч-пресс из боросиликатного стекла, 350 мл",  # the buyer's page's name
         "en": "Glass French press, 350 ml"}
PRESS_RECEIPT = "Френч-пресс из боросиликатного стекла, 350 мл"  # staff read the receipt's
PRICE = {"ru": "2\u00a0490,00\u00a0₽", "en": "2,490.00\u00a0₽"}
REQUEST_WORDS = {
    "en": {"request": "Request a refund", "how_many": "How many to refund: ",
           "why": "Why do you want a refund?", "send": "Send the refund request",
           "sent": "Your refund request is sent", "waiting": "waiting for the shop's answer",
           "requests": "Refund requests", "buyer_reason": "The buyer's reason:",
           "refunded": "refund completed", "was_refunded": "was refunded"},
    "ru": {"request": "Попросить возврат", "how_many": "Сколько вернуть: ",
           "why": "Почему вы хотите вернуть деньги?", "send": "Отправить заявку на возврат",
           "sent": "Заявка на возврат отправлена", "waiting": "ждёт ответа магазина",
           "requests": "Заявки на возврат", "buyer_reason": "Причина покупателя:",
           "refunded": "возврат выполнен", "was_refunded": "возвращено на карту"},
}
REASON = "The glass arrived cracked"


@pytest.mark.parametrize("language", ["ru", "en"])
def test_buyer_requests_a_refund_staff_issue_it_buyer_sees_it_refunded(
        page: Page, shop, sandbox, paid_order, language):
    words, mine, price = WORDS[language], REQUEST_WORDS[language], PRICE[language]
    staff_member(shop, EMAIL, PASSWORD)
    number, invoicebox_id = order_ids(shop, paid_order)
    before = refundable(sandbox, invoicebox_id)
    buyer_url = f"{shop.url}/orders/{paid_order}"

    # The buyer asks for the press back, and says why.
    page.goto(buyer_url)
    page.get_by_role("link", name=mine["request"]).click()
    page.get_by_label(mine["how_many"] + PRESS[language]).fill("1")
    page.get_by_label(mine["why"]).fill(REASON)
    page.get_by_role("button", name=mine["send"]).click()
    expect(page).to_have_url(buyer_url)
    expect(page.locator(".flash").filter(has_text=mine["sent"])).to_be_visible()
    requests = page.locator("section.refund-requests")
    expect(requests).to_contain_text(mine["waiting"])
    expect(requests).to_contain_text(REASON)
    expect(page.get_by_role("link", name=mine["request"])).to_have_count(0)
    assert refundable(sandbox, invoicebox_id) == before  # a request refunds nothing

    # Staff see it in "Refund requests" (counted in the navigation) and open it.
    staff = page.context.new_page()
    staff.goto(f"{shop.url}/staff/login")
    sign_in(staff, words, EMAIL, PASSWORD)
    nav_link = staff.get_by_role("link", name=re.compile("^" + mine["requests"]))
    expect(nav_link.locator(".nav-count")).to_have_text(re.compile(r"^\d+"))
    nav_link.click()
    expect(staff.get_by_role("heading", name=mine["requests"])).to_be_visible()
    staff.get_by_role("row").filter(has_text=REASON).get_by_role("link", name=number).click()

    # The refund screen, filled in with what the buyer asked for, says why.
    expect(staff.locator(".buyer-request")).to_contain_text(mine["buyer_reason"] + " " + REASON)
    expect(staff.get_by_label(words["to_refund"] + PRESS_RECEIPT)).to_have_value("1")
    expect(staff.locator("#refund-total")).to_have_text(price)
    expect(staff.get_by_label(words["reason"])).to_have_value(REASON)
    staff.get_by_role("button", name=words["issue"]).click()
    staff.get_by_role("button", name=f"{words['confirm']} {price}").click()
    expect(staff.locator(".flash").filter(has_text=words["created"])).to_be_visible()
    after = refundable(sandbox, invoicebox_id)
    assert after[PRESS_SKU] == before[PRESS_SKU] - Decimal("2490")
    assert after["delivery"] == before["delivery"]
    staff.close()

    # The buyer's page follows the refund by itself until Invoicebox completes it.
    page.goto(buyer_url)
    expect(requests.locator(".badge")).to_have_text(mine["refunded"], timeout=30_000)
    expect(requests).to_contain_text(f"{price} {mine['was_refunded']}")


def test_the_refund_request_pages_fit_a_phone(new_context, shop, sandbox, paid_order):
    words, mine = WORDS["ru"], REQUEST_WORDS["ru"]
    staff_member(shop, EMAIL, PASSWORD)
    phone = new_context(locale=LOCALES["ru"], viewport=PHONE).new_page()
    phone.goto(f"{shop.url}/orders/{paid_order}/refund")
    fits_the_screen(phone)
    phone.get_by_label(mine["how_many"] + PRESS["ru"]).fill("1")
    phone.get_by_label(mine["why"]).fill(REASON)
    phone.get_by_role("button", name=mine["send"]).click()
    expect(phone.locator("section.refund-requests")).to_contain_text(mine["waiting"])
    fits_the_screen(phone)  # the order page with its request

    phone.goto(f"{shop.url}/staff/login")
    sign_in(phone, words, EMAIL, PASSWORD)
    phone.get_by_role("link", name=re.compile("^" + mine["requests"])).click()
    fits_the_screen(phone)  # the list
    number, _ = order_ids(shop, paid_order)
    phone.get_by_role("row").filter(has_text=REASON).get_by_role("link", name=number).click()
    fits_the_screen(phone)  # the refund screen with the buyer's request
    phone.get_by_role("link", name="Отклонить заявку").click()
    fits_the_screen(phone)  # the decline page
