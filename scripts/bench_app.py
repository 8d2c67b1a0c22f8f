"""The shop as ``make bench`` serves it: ``storefront.create_app()``, with switches.

``BENCH_WITHOUT`` (comma-separated) turns off, for one benchmark run, optimisations that
the shop keeps only for their measured gain, to measure that gain again:

* ``catalog_cache``: the catalog page is rendered for every request
  (``STOREFRONT_CATALOG_CACHE_SECONDS=0``).
* ``first_visit_page``: a first visit gets a session and a signed CSRF token, as every
  other page does, instead of the cookie-free page (``storefront/shop/catalog_page.py``).
* ``product_snapshot``: the product and cart pages read the products from the database
  for every request, instead of the process's catalog snapshot
  (``storefront/shop/catalog_page.py``'s ``on_sale``).
* ``product_details``: a product page is rendered whole for every request, instead of
  its own part being kept per product and language (``catalog_page.product_page``).
* ``replay_memory``: every copy of a notification takes the full path through the
  database, instead of being answered from the worker's memory
  (``storefront/payments/replays.py``).
* ``template_gettext``: templates translate through Flask-Babel's own callables, which
  find the translations again for every string, instead of callables bound to them once
  per render (``storefront/i18n.py``'s ``_template_gettext``).

Nothing else differs from ``make serve``.
"""

import logging
import os

from flask import request
from flask_wtf.csrf import generate_csrf

from storefront import create_app

SWITCHES = ("catalog_cache", "first_visit_page", "product_details", "product_snapshot",
            "replay_memory", "template_gettext")
WITHOUT = {name.strip() for name in os.environ.get("BENCH_WITHOUT", "").split(",")
           if name.strip()}
if unknown := WITHOUT - set(SWITCHES):
    raise SystemExit(f"BENCH_WITHOUT: unknown {sorted(unknown)}; known: {SWITCHES}")

app = create_app()
log = logging.getLogger("bench")

if "catalog_cache" in WITHOUT:
    app.config["STOREFRONT_CATALOG_CACHE_SECONDS"] = 0

if "first_visit_page" in WITHOUT:
    @app.before_request
    def session_for_everybody() -> None:
        if request.endpoint == "shop.catalog":
            generate_csrf()  # puts the raw token in the session: a cookie for every visitor

if "product_snapshot" in WITHOUT:
    from storefront.shop import catalog_page, routes

    catalog_page.on_sale = catalog_page._read_products  # what the snapshot holds, read each time
    # The cart page: the products so, and no stock given, so the cart reads it itself.
    routes.on_sale_with_stock = lambda slugs: (catalog_page._read_products(), None)

if "product_details" in WITHOUT:
    from flask import render_template
    from markupsafe import Markup

    from storefront.shop import catalog_page, routes

    def product_page(slug: str) -> str | None:
        product = catalog_page.on_sale().get(slug)
        if product is None:
            return None
        details = render_template("shop/_product_details.html", product=product)
        return render_template("shop/product.html", product=product, details=Markup(details))

    routes.product_page = product_page

if "replay_memory" in WITHOUT:
    from storefront.payments.notifications import REPLAYS
    from storefront.payments.replays import ReplayMemory

    # A memory that keeps nothing: the handler finds no copy and takes the full path.
    app.extensions[REPLAYS] = ReplayMemory(capacity=0)

if "template_gettext" in WITHOUT:
    from storefront import i18n

    app.template_context_processors[None].remove(i18n._template_gettext)

if WITHOUT:
    log.warning("bench: serving without %s", ", ".join(sorted(WITHOUT)))
