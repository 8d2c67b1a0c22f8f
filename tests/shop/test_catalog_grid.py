"""The cached catalog grid: one render reused, each buyer's own CSRF token filled in."""

from __future__ import annotations

import re

from storefront.extensions import db
from storefront.models import Product

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _tokens(page: str) -> set[str]:
    return set(TOKEN.findall(page))


def test_each_buyer_gets_their_own_token_in_every_form(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    first = app.test_client().get("/").text
    second = app.test_client().get("/").text
    assert "csrf-token-slot" not in first
    assert len(_tokens(first)) == 1 and len(_tokens(second)) == 1
    assert _tokens(first) != _tokens(second)
    assert first.count("Add to cart") == second.count("Add to cart") >= 8


def test_a_cached_token_is_accepted_by_the_cart(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    client.get("/")  # warms the cache with another session's request
    token = _tokens(client.get("/").text).pop()
    answer = client.post("/cart/add", data={"product": "french-press-350", "quantity": 1,
                                            "csrf_token": token})
    assert answer.status_code == 303
    assert "/products/french-press-350" in client.get("/cart").text


def _rename_first_product(app, name: str) -> None:
    with app.app_context():
        first = db.select(Product).order_by(Product.position, Product.id)
        product = db.session.execute(first).scalars().first()
        product.name = name
        db.session.commit()


def test_a_product_change_shows_once_the_cache_expires(make_app):
    cached = make_app(STOREFRONT_CATALOG_CACHE_SECONDS=3600)
    cached.test_client().get("/")
    _rename_first_product(cached, "Renamed beans")
    assert "Renamed beans" not in cached.test_client().get("/").text

    uncached = make_app(STOREFRONT_CATALOG_CACHE_SECONDS=0)
    assert "Renamed beans" in uncached.test_client().get("/").text
