"""Fulfilment journey: a buyer pays, staff ship the order's two lines in two shipments under
two document numbers, and the buyer's order page says what was shipped; in Russian and
English. The sandbox's own records of the shipments are checked too."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import buy, order_ids, order_token_in, press, sign_in, staff_member
from .test_staff_refund import EMAIL, PASSWORD

# The Ship screen shows the names the lines were sold under (the receipt's), in both languages.
COFFEE = "Кофе в зёрнах «Эфиопия Иргачеффе», свежая обжарка, 250 г"
MUG = "Кружка керамическая ручной работы, глазурь «Северное море», 300 мл"
WORDS = {
    "en": {"paid": "Payment received", "email": "Email", "password": "Password",
           "sign_in": "Sign in", "order": "Order", "ship": "Ship",
           "quantity": "Quantity to ship: ", "number": "Document number",
           "registered": "registered with Invoicebox", "fully": "fully shipped",
           "shipments": "Shipments", "shipped": "Shipped"},
    "ru": {"paid": "Оплата получена", "email": "Эл. почта", "password": "Пароль",
           "sign_in": "Войти", "order": "Заказ", "ship": "Отгрузить",
           "quantity": "Количество к отгрузке: ", "number": "Номер документа",
           "registered": "зарегистрирована в Инвойсбоксе", "fully": "отгружено полностью",
           "shipments": "Отгрузки", "shipped": "Отгружено"},
}


def _ship(page: Page, words: dict[str, str], name: str, quantity: int, document: str) -> None:
    page.get_by_role("link", name=words["ship"], exact=True).click()
    page.get_by_label(words["quantity"] + name).fill(str(quantity))
    page.get_by_label(words["number"]).fill(document)
    page.get_by_role("button", name=words["ship"], exact=True).click()
    expect(page.locator(".flash").filter(has_text=words["registered"])).to_contain_text(document)


@pytest.mark.parametrize("language", ["ru", "en"])
def test_pay_ship_two_lines_in_two_shipments_and_the_buyer_sees_them(page: Page, shop, sandbox,
                                                                     language):
    words = WORDS[language]
    staff_member(shop, EMAIL, PASSWORD)
    buy(page, shop, [("ethiopia-yirgacheffe-250", 2), ("ceramic-mug-300", 1)],
        language=language)
    press(page, "pay")
    expect(page.get_by_role("heading", name=words["paid"])).to_be_visible(timeout=20_000)
    token = order_token_in(page.url)
    number, invoicebox_id = order_ids(shop, token)

    page.goto(f"{shop.url}/staff/orders/{number}")
    sign_in(page, words, EMAIL, PASSWORD)
    expect(page.get_by_role("heading", name=f"{words['order']} {number}")).to_be_visible()

    _ship(page, words, COFFEE, 2, "ТН-1")
    page.get_by_role("link", name=words["ship"], exact=True).click()
    expect(page.get_by_role("row").filter(has_text=COFFEE)).to_contain_text(words["fully"])
    page.go_back()
    _ship(page, words, MUG, 1, "ТН-2")
    shipments = page.locator("section", has=page.get_by_role("heading", name=words["shipments"]))
    expect(shipments.locator("tr.shipment")).to_have_count(2)
    expect(page.get_by_role("link", name=words["ship"], exact=True)).to_have_count(0)

    remote = sandbox.get(f"api/shipments?orderId={invoicebox_id}")["data"]
    assert sorted((s["documentNumber"], [i["quantity"] for i in s["basketItems"]])
                  for s in remote) == [("ТН-1", [2]), ("ТН-2", [1])]

    page.goto(f"{shop.url}/orders/{token}")
    shipped = page.locator("section.shipped")
    expect(shipped.get_by_role("heading", name=words["shipped"])).to_be_visible()
    expect(shipped.locator("li.shipment")).to_have_count(2)
    expect(shipped).to_contain_text(re.compile(r"ТН-1.*× 2", re.S))
    expect(shipped).to_contain_text("ТН-2")
    # in the buyer's language, as the rest of the order page
    expect(shipped).to_contain_text("Ethiopia Yirgacheffe" if language == "en" else "Иргачеффе")
