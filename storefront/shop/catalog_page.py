"""The catalog page, rendered once per process and reused for a short while.

The catalog is the page most visitors see first, and almost all of it is the same for
everyone: eleven product cards (a query, fifty ``url_for`` calls, the money formatting)
inside the layout. It is kept under the catalog's version (:mod:`storefront.catalog_version`),
read by primary key on each request before anything is rendered: when a price, a name,
the active flag or a product's being in stock changes on any instance, the version moves
in the same commit and every worker renders afresh on its next request. It is also
kept no longer than ``STOREFRONT_CATALOG_CACHE_SECONDS`` (default 30; 0 turns caching
off), for a change made behind the shop's back (raw SQL). The product pages and the cart
page read the products from the same snapshot (:func:`on_sale`); the cart page and
checkout read stock afresh (the cart page with the version, :func:`on_sale_with_stock`).
A product page's own part is kept the same way (:func:`product_page`).

A first visit (an empty session: no cart, no message, not signed in) gets the whole
page from the cache and no cookie at all. Its "Add to cart" forms carry an empty CSRF
token: a per-visitor token would need a session, that is a cookie and two signatures,
for every passer-by, and cost more than the page itself. The cart checks where such a
post comes from instead (``routes._first_visit_from_this_site``). Every other visitor
gets the cached grid inside a layout of their own, with their token filled in.

Both are kept per language: a Russian and an English visitor each get their own copy,
and the page says ``Vary: Accept-Language, Cookie`` (see ``storefront/i18n.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from flask import current_app, g, render_template, session
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from .. import catalog_version
from ..extensions import db
from ..i18n import current_language
from ..models import Product

# Cannot occur in rendered HTML by accident: it is not a word, and the token
# alphabet (URL-safe base64 and ".") does not produce it.
_TOKEN_SLOT = "@@csrf-token-slot@@"
_GRID_KEY = "storefront.catalog_grid"
_PAGE_KEY = "storefront.catalog_first_visit"
_PRODUCTS_KEY = "storefront.catalog_products"
_DETAILS_KEY = "storefront.product_details"
T = TypeVar("T")


def catalog_page() -> str:
    """The catalog page's HTML for this request."""
    if not session:
        return _cached(_PAGE_KEY, _first_visit_page)
    page = render_template("shop/catalog.html", grid=Markup(_cached(_GRID_KEY, _grid)))
    return page.replace(_TOKEN_SLOT, generate_csrf())


def product_page(slug: str) -> str | None:
    """The product page's HTML for this request; None for a product not on sale.

    The page's own part (the description, the facts, the add-to-cart form) is the same
    for every visitor: it is kept per product and language like the grid, and the
    visitor's token filled in. The layout around it (the cart, messages) is rendered for
    the visitor.
    """
    product = on_sale().get(slug)
    if product is None:
        return None
    details = _cached(f"{_DETAILS_KEY}.{slug}", lambda: render_template(
        "shop/_product_details.html", product=product, csrf_token=lambda: _TOKEN_SLOT))
    return render_template("shop/product.html", product=product,
                           details=Markup(details.replace(_TOKEN_SLOT, generate_csrf())))


def on_sale() -> dict[str, Product]:
    """The products on sale by slug, in catalog order, as read at most the cache time ago.

    They are detached from any database session and shared by the process's requests:
    read them, never change them or add them to a session.
    """
    return _cached(_PRODUCTS_KEY, _read_products)


def on_sale_with_stock(slugs: list[str]) -> tuple[dict[str, Product], dict[str, int | None]]:
    """:func:`on_sale`, and the stock of the products named by ``slugs`` as the database
    says now (the cart page's lines).

    The catalog's version and the stock are read in one statement
    (:func:`~storefront.catalog_version.current_with_stock`), before the products.
    """
    g.catalog_version, stock = catalog_version.current_with_stock(slugs)
    return on_sale(), stock


def _read_products() -> dict[str, Product]:
    products = db.session.execute(
        db.select(Product).where(Product.active.is_(True)).order_by(Product.position, Product.id)
    ).scalars().all()
    for product in products:
        db.session.expunge(product)
    return {product.slug: product for product in products}


def _cached(key: str, render: Callable[[], T]) -> T:
    ttl = float(current_app.config.get("STOREFRONT_CATALOG_CACHE_SECONDS", 30))
    key = f"{key}.{current_language()}"
    version = _version()
    entry = current_app.extensions.get(key)
    now = time.monotonic()
    if entry is None or entry[1] != version or now - entry[0] >= ttl:
        # The version was read before the products: what is rendered is at least as new
        # as the version it is kept under, never older.
        entry = (now, version, render())
        current_app.extensions[key] = entry
    return entry[2]


def _version() -> int:
    """The catalog's version, read once per request (the grid and the products share it)."""
    if "catalog_version" not in g:
        g.catalog_version = catalog_version.current()
    return g.catalog_version


def _grid() -> str:
    return render_template(
        "shop/_product_grid.html", products=list(on_sale().values()),
        csrf_token=lambda: _TOKEN_SLOT,
    )


def _first_visit_page() -> str:
    grid = _cached(_GRID_KEY, _grid).replace(_TOKEN_SLOT, "")
    return render_template("shop/catalog.html", grid=Markup(grid))
