"""The catalog's version: one number in the database that goes up whenever something the
catalog shows changes, on any instance of the shop.

Each worker keeps the rendered catalog in memory (``storefront/shop/catalog_page.py``)
under the version it read *before* rendering; a request reads the version (one lookup by
primary key) and renders again when it moved. So a change is on every instance's next
page once it is committed, however many instances share the database.

What counts as a change is what a visitor can see: a product added or removed, its name,
description, price, picture, position or active flag changed, or its stock crossing
zero (in or out of stock). A sale that leaves stock above zero does not count, so the
busiest row of the shop is not written on every payment.

ORM changes to products are caught by a ``before_flush`` hook, in the same transaction
(the staff's products page, ``flask seed``, a shell). Code that changes products with
Core ``UPDATE`` statements (the stock taken at payment, :mod:`storefront.payments.stock`)
calls :func:`bump` itself. Lock order: the version row is always the last row a
transaction locks (after order, payment, product).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, event, inspect, select, update
from sqlalchemy.orm import Session

from .extensions import db
from .models import CatalogVersion, Product

ROW_ID = 1
# The product columns a catalog page shows (stock only as "in stock" or "out of stock").
SHOWN = ("slug", "sku", "name", "name_en", "description", "description_en", "price",
         "vat_code", "measure", "measure_code", "item_type", "image", "active", "position")


_CURRENT = select(CatalogVersion.version).where(CatalogVersion.id == ROW_ID)
# SELECT (SELECT version FROM catalog_version WHERE id = 1), slug, stock FROM product
# WHERE slug IN (...): built once, the slugs bound on each call.
_CURRENT_WITH_STOCK = select(_CURRENT.scalar_subquery(), Product.slug, Product.stock).where(
    Product.slug.in_(bindparam("slugs", expanding=True)))


def current() -> int:
    """The version as committed now (0 if the row is missing).

    Read on every catalog request, so it is one plain statement on a connection in
    autocommit: no ``BEGIN``/``ROLLBACK`` around it and no session, half the round trips
    of a read through the request's session. It is read before anything the page shows,
    so what is rendered under it is at least as new as it.
    """
    with _autocommit() as connection:
        return connection.execute(_CURRENT).scalar() or 0


def current_with_stock(slugs: list[str]) -> tuple[int, dict[str, int | None]]:
    """The version as :func:`current` reads it, and the stock of the products named by
    ``slugs`` (those that exist) as the database says at the same moment.

    For the cart page, which shows both: one statement on a connection in autocommit,
    where reading them apart cost a second statement (and, through the request's
    session, a second pool checkout and ``BEGIN``/``ROLLBACK``).
    """
    if not slugs:
        return current(), {}
    with _autocommit() as connection:
        rows = connection.execute(_CURRENT_WITH_STOCK, {"slugs": slugs}).all()
    if not rows:  # none of them is a product: the version alone
        return current(), {}
    return rows[0][0] or 0, {slug: stock for _version, slug, stock in rows}


def _autocommit() -> Connection:
    return db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def bump(session: Session | None = None) -> None:
    """Count the version up inside the current transaction; the caller commits."""
    connection = (session or db.session).connection()
    connection.execute(update(CatalogVersion.__table__)
                       .where(CatalogVersion.__table__.c.id == ROW_ID)
                       .values(version=CatalogVersion.__table__.c.version + 1))


def _in_stock(stock: int | None) -> bool:
    return stock is None or stock > 0


def _changes_catalog(product: Product) -> bool:
    state = inspect(product)
    for name in SHOWN:
        if state.attrs[name].history.has_changes():
            return True
    history = state.attrs["stock"].history
    if history.has_changes():
        before = history.deleted[0] if history.deleted else None
        after = history.added[0] if history.added else None
        return _in_stock(before) != _in_stock(after)
    return False


@event.listens_for(Session, "before_flush")
def _bump_on_product_change(session: Session, _context: Any, _instances: Any) -> None:
    touched = any(isinstance(obj, Product) for obj in (*session.new, *session.deleted)) or any(
        isinstance(obj, Product) and _changes_catalog(obj) for obj in session.dirty)
    if touched:
        bump(session)
