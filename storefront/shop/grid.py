"""The catalog grid, rendered once per process and reused for a short while.

Rendering eleven product cards (a query, fifty ``url_for`` calls, the money
formatting) is most of what the catalog page costs, and its HTML is the same for
every buyer except for the CSRF token in the "Add to cart" forms. So the grid is
rendered with a placeholder where the token goes, kept for
``STOREFRONT_CATALOG_CACHE_SECONDS`` (default 30; 0 turns caching off), and each
request fills in its own token. A product change shows within that many seconds.
"""

from __future__ import annotations

import time

from flask import current_app, render_template
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from ..extensions import db
from ..models import Product

# Cannot occur in rendered HTML by accident: it is not a word, and the token
# alphabet (URL-safe base64 and ".") does not produce it.
_TOKEN_SLOT = "@@csrf-token-slot@@"
_CACHE_KEY = "storefront.catalog_grid"


def catalog_grid() -> Markup:
    """The product grid's HTML, with this request's CSRF token in every form."""
    ttl = float(current_app.config.get("STOREFRONT_CATALOG_CACHE_SECONDS", 30))
    cached = current_app.extensions.get(_CACHE_KEY)
    now = time.monotonic()
    if cached is None or now - cached[0] >= ttl:
        cached = (now, _render())
        current_app.extensions[_CACHE_KEY] = cached
    return Markup(cached[1].replace(_TOKEN_SLOT, generate_csrf()))


def _render() -> str:
    products = db.session.execute(
        db.select(Product).where(Product.active.is_(True)).order_by(Product.position, Product.id)
    ).scalars().all()
    return render_template(
        "shop/_product_grid.html", products=products, csrf_token=lambda: _TOKEN_SLOT
    )
