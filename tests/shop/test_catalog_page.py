"""The cached catalog page: one page for every first visit, the buyer's own token after."""

from __future__ import annotations

import re

from storefront.extensions import db
from storefront.models import Product

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]*)"')
ADD = {"product": "french-press-350", "quantity": 1, "next": "/"}


def _tokens(page: str) -> set[str]:
    return set(TOKEN.findall(page))


def test_a_first_visit_gets_the_same_page_as_everyone_and_no_cookie(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    first, second = app.test_client().get("/"), app.test_client().get("/")
    assert first.text == second.text
    assert _tokens(first.text) == {""}  # every form, and no token in any
    assert first.text.count("Add to cart") >= 8
    assert "Set-Cookie" not in first.headers
    assert "Cookie" in first.headers["Vary"]
    assert "csrf-token-slot" not in first.text
    assert 'src="/static/js/add-to-cart.js"' in first.text


def test_a_visitor_with_a_session_gets_their_own_token_in_every_form(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    pages = []
    for _ in range(2):
        client = app.test_client()
        client.get("/csrf-token")  # any page that starts a session
        pages.append(client.get("/").text)
    tokens = [_tokens(page) for page in pages]
    assert all(len(t) == 1 and "" not in t for t in tokens)
    assert tokens[0] != tokens[1]
    assert "csrf-token-slot" not in pages[0]


def test_the_fetched_token_is_accepted_by_the_cart(make_app):
    """What add-to-cart.js does: fetch a token, then send the first-visit form with it."""
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    assert _tokens(client.get("/").text) == {""}
    answer = client.get("/csrf-token")
    assert answer.headers["Cache-Control"] == "no-store"
    added = client.post("/cart/add", data=dict(ADD, csrf_token=answer.json["csrf_token"]))
    assert added.status_code == 303 and added.headers["Location"] == "/"
    assert "/products/french-press-350" in client.get("/cart").text


def test_a_first_add_without_a_token_asks_once_more_and_changes_nothing(make_app):
    """No scripts: the form arrives without a token; the product page asks again."""
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    answer = client.post("/cart/add", data=dict(ADD, csrf_token=""))
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/products/french-press-350?confirm=add"
    assert "Set-Cookie" not in answer.headers  # a forged copy cannot reset a session
    page = client.get(answer.headers["Location"]).text
    assert "Press “Add to cart” to put it in your cart." in page
    [token] = _tokens(page)
    added = client.post("/cart/add", data=dict(ADD, csrf_token=token))
    assert added.status_code == 303
    assert "/products/french-press-350" in client.get("/cart").text


def test_a_missing_token_with_a_session_is_still_refused(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    client.get("/csrf-token")
    answer = client.post("/cart/add", data=dict(ADD, csrf_token=""))
    assert answer.status_code == 400
    assert "This form has expired" in answer.text
    assert "french-press-350" not in client.get("/cart").text


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
