"""A company buyer types the INN, gets name, KPP and legal address filled in, and pays.

The sandbox's demo registry answers (``sandbox/companies.py``). With scripts the fields fill
in as the buyer moves on from the INN (or presses Enter in it); without them "Find company"
brings the page back filled in.
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from storefront.extensions import db
from storefront.models import Order
from tests.support.shop import LiveShop

from .conftest import order_token_in, press

PAID_TIMEOUT = 20_000  # ms: the notification is asynchronous
GUILD_ADDRESS = "101000, г. Москва, ул. Мясницкая, д. 24, стр. 1, офис 3"


def open_checkout_as_company(page: Page, shop: LiveShop) -> None:
    page.goto(f"{shop.url}/products/barista-guide-book")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_text("Added to your cart")).to_be_visible()
    page.get_by_role("link", name="Cart", exact=True).click()
    page.get_by_role("button", name="Checkout").click()
    page.get_by_label("Company", exact=True).check()
    page.get_by_label("Email").fill("buh@coffee-guild.example")
    page.get_by_label("Phone").fill("+7 495 123-45-67")
    page.get_by_label("I consent to the processing").check()


def paid_order(shop: LiveShop, page: Page) -> Order:
    with shop.app.app_context():
        order = db.session.execute(db.select(Order).where(
            Order.public_token == order_token_in(page.url))).scalar_one()
        db.session.expunge(order)
        return order


def test_the_inn_fills_in_the_company_and_the_company_pays(page: Page, shop, sandbox):
    open_checkout_as_company(page, shop)
    page.get_by_label("INN").fill("7701 456 203")
    page.get_by_label("KPP").click()  # moving on to the next field looks it up

    expect(page.get_by_role("status")).to_have_text(
        "Found: ООО «Кофейная гильдия», KPP 770101001, registered Jun 18, 2015 "
        "(OGRN 1157746123457). You can still edit the details below.")
    expect(page.get_by_label("Full name")).to_have_value("ООО «Кофейная гильдия»")
    expect(page.get_by_label("KPP")).to_have_value("770101001")
    expect(page.get_by_label("Legal address")).to_have_value(GUILD_ADDRESS)

    page.get_by_role("button", name="Pay with Invoicebox").click()
    expect(page).to_have_url(re.compile(re.escape(sandbox.url) + r"/order/"))
    press(page, "pay")
    expect(page.get_by_role("heading", name="Payment received")).to_be_visible(
        timeout=PAID_TIMEOUT)

    order = paid_order(shop, page)
    assert (order.status, order.customer_type, order.customer_name, order.customer_inn,
            order.customer_kpp, order.customer_address) == (
        "paid", "legal", "ООО «Кофейная гильдия»", "7701456203", "770101001", GUILD_ADDRESS)


def test_a_liquidated_company_is_shown_and_cannot_pay(page: Page, shop):
    open_checkout_as_company(page, shop)
    page.get_by_label("Full name").fill("ООО «Старый самовар»")
    page.get_by_label("INN").fill("5003126586")
    page.get_by_role("button", name="Find company").click()

    expect(page.get_by_role("status")).to_contain_text(
        "ООО «Старый самовар» (INN 5003126586) was liquidated on Sep 30, 2022")
    expect(page.get_by_label("KPP")).to_have_value("")  # nothing is filled in from it

    page.get_by_label("KPP").fill("500301001")
    page.get_by_label("Legal address").fill("Видное")
    page.get_by_role("button", name="Pay with Invoicebox").click()
    expect(page.get_by_text("The registry says this company was liquidated.")).to_be_visible()
    expect(page).to_have_url(f"{shop.url}/checkout")


def test_without_scripts_find_company_brings_the_form_back_filled_in(browser: Browser,
                                                                     shop, sandbox):
    context = browser.new_context(java_script_enabled=False, locale="en-US")
    try:
        page = context.new_page()
        open_checkout_as_company(page, shop)
        page.get_by_label("INN").fill("7810347123")
        page.get_by_role("button", name="Find company").click()

        expect(page.get_by_role("status")).to_contain_text(
            "Found: АО «Северная обжарка», KPP 781001001")
        expect(page.get_by_label("Full name")).to_have_value("АО «Северная обжарка»")
        expect(page.get_by_label("KPP")).to_have_value("781001001")
        expect(page.get_by_label("Email")).to_have_value("buh@coffee-guild.example")

        page.get_by_role("button", name="Pay with Invoicebox").click()
        expect(page).to_have_url(re.compile(re.escape(sandbox.url) + r"/order/"))
        press(page, "pay")
        expect(page).to_have_url(re.compile(re.escape(shop.url) + r"/orders/.+/success$"))
        heading = page.get_by_role("heading", name="Payment received")
        for _ in range(40):  # without scripts the page does not update itself
            if heading.count():
                break
            page.wait_for_timeout(500)
            page.reload()
        expect(heading).to_be_visible()
        order = paid_order(shop, page)
        assert (order.customer_inn, order.customer_kpp) == ("7810347123", "781001001")
    finally:
        context.close()
