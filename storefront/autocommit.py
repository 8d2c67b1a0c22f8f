"""One database connection in autocommit for the request's plain reads.

A page that only shows what the database says now needs no transaction: each read is one
statement, and ``BEGIN``/``ROLLBACK`` around it through the ORM session would double its
round trips. Such reads (the catalog's version, :mod:`storefront.catalog_version`; the
stock the cart page shows, :mod:`storefront.shop.cart`) run on :func:`connection`, checked
out of the pool on the first of them, with its pre-ping, and shared by the rest of the
request, then given back when the app context ends.

Nothing is written on it: writes, and reads that decide a write, go through
``db.session`` and its transaction. A request that uses both holds two connections
while it runs; with gunicorn's four threads per worker that is well within the pool's
fifteen.
"""

from __future__ import annotations

from flask import Flask, g
from sqlalchemy import Connection

from .extensions import db

_KEY = "autocommit_connection"


def connection() -> Connection:
    """The request's connection in autocommit (needs an app context)."""
    existing = g.get(_KEY)
    if existing is None:
        existing = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        setattr(g, _KEY, existing)
    return existing


def _give_back(_error: BaseException | None) -> None:
    existing = g.pop(_KEY, None)
    if existing is not None:
        existing.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_give_back)
