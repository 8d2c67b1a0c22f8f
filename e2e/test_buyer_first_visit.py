"""A first visit: the catalog comes from the shared cache, and "Add to cart" still works.

The first-visit catalog carries no CSRF token (storefront/shop/catalog_page.py). With
scripts, add-to-cart.js fetches one on the first press; without, the product page asks
the buyer to press once more. Either way the item lands in the cart exactly once.
"""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.support.shop import LiveShop

FRENCH_PRESS = "Френч-пресс из боросиликатного стекла"


def test_adding_from_the_first_visit_catalog(page: Page, shop: LiveShop):
    page.goto(shop.url)
    assert page.context.cookies() == []  # looking costs no cookie
    card = page.locator("article.product-card").filter(has_text=FRENCH_PRESS)
    card.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_text("Added to your cart")).to_be_visible()
    expect(page.locator(".cart-count")).to_have_text("1")
    # Now the page is this visitor's own: a second press needs no extra round trip.
    page.locator("article.product-card").first.get_by_role("button", name="Add to cart").click()
    expect(page.locator(".cart-count")).to_have_text("2")


def test_adding_without_scripts_asks_once_more(browser: Browser, shop: LiveShop):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(shop.url)
        card = page.locator("article.product-card").filter(has_text=FRENCH_PRESS)
        card.get_by_role("button", name="Add to cart").click()
        expect(page.get_by_text("Press “Add to cart” to put it in your cart.")).to_be_visible()
        expect(page.locator(".cart-count")).to_have_count(0)
        page.get_by_role("button", name="Add to cart").click()
        expect(page.get_by_text("Added to your cart")).to_be_visible()
        expect(page.locator(".cart-count")).to_have_text("1")
    finally:
        context.close()
