"""The cached catalog page: one page for every first visit, the buyer's own token after."""

from __future__ import annotations

import re

import pytest

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


def test_a_visitor_with_a_session_gets_their_own_token_in_every_form(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    pages = []
    for _ in range(2):
        client = app.test_client()
        client.get("/products/french-press-350")  # a page with a form starts a session
        pages.append(client.get("/").text)
    tokens = [_tokens(page) for page in pages]
    assert all(len(t) == 1 and "" not in t for t in tokens)
    assert tokens[0] != tokens[1]
    assert "csrf-token-slot" not in pages[0]


@pytest.mark.parametrize("language", ["ru", "en"])
def test_a_product_page_is_shared_but_its_form_carries_the_visitors_token(make_app, language):
    app = make_app(WTF_CSRF_ENABLED=True)
    pages, tokens = [], []
    for _ in range(2):
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
        page = client.get("/products/french-press-350").text
        [token] = _tokens(page)
        pages.append(page.replace(token, "TOKEN"))
        tokens.append(token)
        added = client.post("/cart/add", data=dict(ADD, csrf_token=token))
        assert added.status_code == 303  # the token filled in is the one the session holds
    assert tokens[0] != tokens[1] and "" not in tokens
    assert pages[0] == pages[1]
    assert "csrf-token-slot" not in pages[0]
    assert ("В корзину" if language == "ru" else "Add to cart") in pages[0]


@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"},  # a browser today
    {"Origin": "http://localhost"},  # a browser from before Fetch Metadata
    {},  # not a browser: no cookie of anybody's can ride on it
], ids=["fetch-metadata", "origin", "no-browser"])
def test_a_first_visit_adds_from_the_cached_page(make_app, headers):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    assert _tokens(client.get("/").text) == {""}
    added = client.post("/cart/add", data=dict(ADD, csrf_token=""), headers=headers)
    assert added.status_code == 303 and added.headers["Location"] == "/"
    assert "session=" in added.headers["Set-Cookie"]
    assert "/products/french-press-350" in client.get("/cart").text
    # From now on this visitor has a session, and its forms need its token.
    again = client.post("/cart/add", data=dict(ADD, csrf_token=""), headers=headers)
    assert again.status_code == 400
    [token] = _tokens(client.get("/").text)
    assert client.post("/cart/add", data=dict(ADD, csrf_token=token),
                       headers=headers).status_code == 303


@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "cross-site", "Origin": "https://elsewhere.example"},
    {"Sec-Fetch-Site": "same-site", "Origin": "https://shop.localhost"},
    {"Origin": "https://elsewhere.example"},
    {"Origin": "null"},
], ids=["cross-site", "same-site", "foreign-origin", "opaque-origin"])
def test_another_site_cannot_post_a_first_visit_form(make_app, headers):
    """Such a post is refused and sets no cookie: it cannot reset anybody's session."""
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    answer = client.post("/cart/add", data=dict(ADD, csrf_token=""), headers=headers)
    assert answer.status_code == 400
    assert "This form has expired" in answer.text
    assert "Set-Cookie" not in answer.headers
    assert "french-press-350" not in client.get("/cart").text


def _rename_first_product(app, name: str) -> None:
    with app.app_context():
        first = db.select(Product).order_by(Product.position, Product.id)
        product = db.session.execute(first).scalars().first()
        product.name = product.name_en = name
        db.session.commit()


def test_a_product_change_shows_at_once_however_long_the_cache(make_app):
    cached = make_app(STOREFRONT_CATALOG_CACHE_SECONDS=3600)
    cached.test_client().get("/")
    _rename_first_product(cached, "Renamed beans")
    assert "Renamed beans" in cached.test_client().get("/").text


def test_an_unchanged_catalog_is_served_from_the_cache(make_app):
    """Only the version is read: a change made behind the shop's back (raw SQL, no version)
    is not seen until the cache time runs out."""
    app = make_app(STOREFRONT_CATALOG_CACHE_SECONDS=3600)
    app.test_client().get("/")
    with app.app_context():
        db.session.execute(db.text("UPDATE product SET name_en = 'Behind its back'"))
        db.session.commit()
    assert "Behind its back" not in app.test_client().get("/").text


def test_a_withdrawn_product_shows_until_the_cache_expires_but_is_never_sold(make_app):
    app = make_app(STOREFRONT_CATALOG_CACHE_SECONDS=3600)
    client = app.test_client()
    mug = {"product": "ceramic-mug-300", "quantity": 1}
    assert client.post("/cart/add", data=mug).status_code == 303
    assert client.get("/products/ceramic-mug-300").status_code == 200
    with app.app_context():
        db.session.execute(
            db.update(Product).where(Product.slug == "ceramic-mug-300").values(active=False))
        db.session.commit()
    # The product page and the cart show the process's snapshot of the catalog ...
    assert client.get("/products/ceramic-mug-300").status_code == 200
    assert "/products/ceramic-mug-300" in client.get("/cart").text
    # ... but adding and checking out read the database.
    assert client.post("/cart/add", data=mug).status_code == 404
    checkout = client.get("/checkout")
    assert checkout.status_code == 302 and checkout.headers["Location"] == "/cart"

