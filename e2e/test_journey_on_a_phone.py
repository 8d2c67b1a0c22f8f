"""The whole journey on a 390 × 844 phone, in Russian and in English: the buyer's pages,
the Invoicebox payment page and the staff pages never scroll sideways, the checkout shows
the total before the pay button, and each page speaks the browser's language."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.shop import COMPANY_BUYER, checkout

from .conftest import LOCALES, PHONE, WORDS, buy, fits_the_screen, press

STAFF_EMAIL, STAFF_PASSWORD = "phone@sever-coffee.ru", "e2e phone passphrase"


@pytest.fixture
def context(new_context, language: str):
    return new_context(locale=LOCALES[language], viewport=PHONE)


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_buyers_journey_fits_a_phone(page: Page, shop, sandbox, language):
    words = WORDS[language]
    page.goto(shop.url)
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_role("heading", level=1)).to_contain_text(words["hero"])
    fits_the_screen(page)

    buy(page, shop, [("ethiopia-yirgacheffe-250", 2), ("ceramic-mug-300", 1)], COMPANY_BUYER,
        language=language, on_each_page=_total_before_pay_button(words))
    expect(page).to_have_url(re.compile(re.escape(sandbox.url) + r"/order/"))
    fits_the_screen(page)  # the Invoicebox payment page
    press(page, "pay")
    expect(page.get_by_role("heading", name=words["paid"])).to_be_visible(timeout=20_000)
    fits_the_screen(page)


def _total_before_pay_button(words: dict[str, str]):
    def check(page: Page) -> None:
        fits_the_screen(page)
        if "/checkout" not in page.url:
            return
        total = page.locator(".checkout-total").bounding_box()
        button = page.get_by_role("button", name=words["pay_with"]).bounding_box()
        assert total and button and total["y"] + total["height"] <= button["y"]
        assert total["y"] < 2 * PHONE["height"]  # reached before the summary, not after it
    return check


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_staff_pages_fit_a_phone(page: Page, shop, sandbox, paid_order, language):
    from storefront.extensions import db
    from storefront.staff.accounts import StaffAccountError, create_staff

    words = WORDS[language]
    with shop.app.app_context():
        try:
            create_staff(STAFF_EMAIL, STAFF_PASSWORD)
            db.session.commit()
        except StaffAccountError:
            db.session.rollback()
    unpaid = checkout(shop.url, [("french-press-350", 1)])
    assert unpaid.status_code == 303

    page.goto(f"{shop.url}/staff/login")
    fits_the_screen(page)
    page.get_by_label(words["email"]).fill(STAFF_EMAIL)
    page.get_by_label(words["password"]).fill(STAFF_PASSWORD)
    page.get_by_role("button", name=words["sign_in"]).click()
    expect(page.get_by_role("heading", name=words["orders"])).to_be_visible()
    fits_the_screen(page)  # the orders list

    hrefs = [link.get_attribute("href") for link in page.locator("table a").all()[:2]]
    for href in hrefs:
        page.goto(f"{shop.url}{href}")
        fits_the_screen(page)  # an order; one of them unpaid, with its cancel step
        cancel = page.locator(f'a[href="{href}/cancel"]')
        if cancel.count():
            cancel.click()
            fits_the_screen(page)
        refund = page.locator(f'a[href="{href}/refund"]')
        if refund.count():
            refund.click()
            fits_the_screen(page)
            page.locator("input.qty").first.fill("1")
            page.get_by_label(words["reason"]).fill("Phone check")
            page.get_by_role("button", name=words["issue"]).click()
            expect(page.get_by_role("button", name=re.compile(words["confirm"]))).to_be_visible()
            fits_the_screen(page)
