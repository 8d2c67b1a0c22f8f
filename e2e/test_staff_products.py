"""Staff count stock on the Products page in Chromium; the shop follows at once.

On a phone as well as a desktop: staff set a good to 0, the catalog says "Out of stock" and
offers no button for it; they take a product off sale and it leaves the catalog; the
checkout asks how the goods reach the buyer. No page scrolls sideways.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from storefront.extensions import db
from storefront.models import Product

from .conftest import LOCALES, PHONE, fits_the_screen, sign_in, staff_member

EMAIL, PASSWORD = "ivan@sever-coffee.ru", "e2e products passphrase"


@pytest.fixture(params=["desktop", "phone"])
def context(request, new_context, language: str) -> BrowserContext:
    extra = {"viewport": PHONE} if request.param == "phone" else {}
    return new_context(locale=LOCALES[language], **extra)


@pytest.fixture(autouse=True)
def _fresh_products(shop):
    """Every product on sale and in stock, before and after: the shop is the session's."""
    staff_member(shop, EMAIL, PASSWORD)
    _restock(shop)
    yield
    _restock(shop)


def _restock(shop) -> None:
    with shop.app.app_context():
        for product in db.session.execute(db.select(Product)).scalars():
            product.active = True
            if product.item_type == "commodity":
                product.stock = 100
        db.session.commit()


def _sign_in(page: Page, shop) -> None:
    page.goto(f"{shop.url}/staff/login")
    sign_in(page, {"email": "Email", "password": "Password", "sign_in": "Sign in"},
            EMAIL, PASSWORD)


def test_staff_set_stock_and_sale_and_the_catalog_follows(page: Page, shop, context):
    _sign_in(page, shop)
    page.get_by_role("link", name="Products").click()
    expect(page.get_by_role("heading", name="Products")).to_be_visible()
    fits_the_screen(page)

    page.get_by_label("Stock of MUG-CER-300").fill("0")
    page.locator("#product-" + _id(shop, "ceramic-mug-300")).get_by_role(
        "button", name="Set").click()
    expect(page.get_by_text("MUG-CER-300: 0 in stock.")).to_be_visible()
    page.locator("#product-" + _id(shop, "french-press-350")).get_by_role(
        "button", name="Take off sale").click()
    expect(page.get_by_text("FP-GLS-350 is off sale.")).to_be_visible()
    fits_the_screen(page)

    buyer = context.new_page()
    buyer.goto(shop.url)
    mug = buyer.locator("article.product-card", has_text="Handmade ceramic mug")
    expect(mug.get_by_text("Out of stock")).to_be_visible()
    expect(mug.get_by_role("button", name="Add to cart")).to_have_count(0)
    expect(buyer.get_by_text("Glass French press")).to_have_count(0)
    fits_the_screen(buyer)

    buyer.goto(f"{shop.url}/products/tieguanyin-oolong-100")
    buyer.get_by_role("button", name="Add to cart").click()
    buyer.goto(f"{shop.url}/checkout")
    expect(buyer.get_by_label("Pickup from the shop (free)")).to_be_checked()
    buyer.get_by_label("Courier within Moscow").check()
    expect(buyer.get_by_label("Delivery address")).to_be_visible()
    fits_the_screen(buyer)


def _id(shop, slug: str) -> str:
    with shop.app.app_context():
        return str(db.session.execute(
            db.select(Product.id).where(Product.slug == slug)).scalar_one())
