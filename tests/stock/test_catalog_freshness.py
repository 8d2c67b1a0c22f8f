"""Two instances of the shop on one database: what the catalog shows is never staler than
the database once it changes, however long each instance may keep its rendered catalog.

Each instance keeps the catalog under the version it read (storefront/catalog_version.py);
a change of price, name, sale or in-stock moves the version in its own commit.
"""

from __future__ import annotations

import re

import pytest

from storefront.config import normalise_database_url
from storefront.extensions import db
from storefront.models import Product

from .conftest import awaiting_order, notify_paid


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def two_instances(request, make_app):
    """Two apps (two workers, or two machines) on one database, each caching for an hour."""
    overrides = {"STOREFRONT_CATALOG_CACHE_SECONDS": 3600}
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
        overrides["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)
    return make_app(**overrides), make_app(**overrides)


def _price_on(app, slug: str) -> str:
    page = app.test_client().get("/").text
    card = page[page.index(f'/products/{slug}"'):]
    return re.search(r'class="product-price"><span class="money">([^<]+)</span>',
                     card).group(1)


def _change(app, slug: str, **values) -> None:
    with app.app_context():
        product = db.session.execute(db.select(Product).where(Product.slug == slug)).scalar_one()
        for name, value in values.items():
            setattr(product, name, value)
        db.session.commit()


def test_a_price_change_on_one_instance_shows_on_the_other_at_once(two_instances):
    first, second = two_instances
    assert _price_on(first, "french-press-350") == _price_on(second, "french-press-350") \
        == "2,490.00\xa0₽"
    _change(first, "french-press-350", price=279000)
    for _ in range(3):  # no flip-flop: every request on either instance says the new price
        assert _price_on(second, "french-press-350") == "2,790.00\xa0₽"
        assert _price_on(first, "french-press-350") == "2,790.00\xa0₽"


def test_a_change_shows_on_the_product_page_of_every_instance_at_once(two_instances):
    """The product page's own part is kept per product like the grid, under the version."""
    first, second = two_instances
    page = "/products/ceramic-mug-300"
    assert "1,190.00\xa0₽" in second.test_client().get(page).text
    _change(first, "ceramic-mug-300", price=99000, stock=1)
    assert "990.00\xa0₽" in second.test_client().get(page).text
    notify_paid(first.test_client(), awaiting_order(first, {"ceramic-mug-300": 1}))
    sold_out = second.test_client().get(page).text
    assert "Out of stock" in sold_out and "Add to cart" not in sold_out


def test_a_product_taken_off_sale_leaves_every_instance_at_once(two_instances):
    first, second = two_instances
    assert "/products/ceramic-mug-300" in second.test_client().get("/").text
    assert second.test_client().get("/products/ceramic-mug-300").status_code == 200
    _change(first, "ceramic-mug-300", active=False)
    assert "/products/ceramic-mug-300" not in second.test_client().get("/").text
    assert second.test_client().get("/products/ceramic-mug-300").status_code == 404
    _change(first, "ceramic-mug-300", active=True)
    assert "/products/ceramic-mug-300" in second.test_client().get("/").text


def test_out_of_stock_by_a_sale_on_one_instance_shows_on_the_other(two_instances):
    first, second = two_instances
    _change(first, "ceramic-mug-300", stock=1)
    assert "Out of stock" not in second.test_client().get("/").text
    notify_paid(first.test_client(), awaiting_order(first, {"ceramic-mug-300": 1}))
    assert "Out of stock" in second.test_client().get("/").text
    _change(first, "ceramic-mug-300", stock=5)  # restocked by hand
    assert "Out of stock" not in second.test_client().get("/").text


def test_a_sale_that_leaves_stock_does_not_rerender_the_catalog(two_instances):
    """The version moves only when the catalog would look different; a change behind the
    shop's back (raw SQL) is the witness that the other instance kept its copy."""
    first, second = two_instances
    second.test_client().get("/")
    with first.app_context():
        db.session.execute(db.text("UPDATE product SET name_en = 'Behind its back'"))
        db.session.commit()
    notify_paid(first.test_client(), awaiting_order(first, {"ceramic-mug-300": 1}))
    assert "Behind its back" not in second.test_client().get("/").text
