"""A first visit: the catalog comes from the shared cache, and "Add to cart" still works.

The first-visit catalog carries no CSRF token (storefront/shop/catalog_page.py); the cart
accepts its first post because Chromium says it comes from the shop itself
(``Sec-Fetch-Site: same-origin``). Scripts play no part, so it works without them too.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.support.shop import LiveShop

FRENCH_PRESS = "Glass French press"


@pytest.mark.parametrize("scripts", [True, False], ids=["scripts", "no-scripts"])
def test_adding_from_the_first_visit_catalog(browser: Browser, shop: LiveShop, scripts: bool):
    context = browser.new_context(java_script_enabled=scripts, locale="en-US")
    try:
        page = context.new_page()
        page.goto(shop.url)
        assert context.cookies() == []  # looking costs no cookie
        card = page.locator("article.product-card").filter(has_text=FRENCH_PRESS)
        card.get_by_role("button", name="Add to cart").click()
        expect(page.get_by_text("Added to your cart")).to_be_visible()
        expect(page.locator(".cart-count")).to_have_text("1")
        # Now the page is this visitor's own, with their token in every form.
        first_card = page.locator("article.product-card").first
        first_card.get_by_role("button", name="Add to cart").click()
        expect(page.get_by_text("Added to your cart")).to_be_visible()
        expect(page.locator(".cart-count")).to_have_text("2")
    finally:
        context.close()
