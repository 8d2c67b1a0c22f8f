"""The buyer's side: catalog, cart, checkout and the pages Invoicebox sends buyers back to."""

from flask import Blueprint

bp = Blueprint("shop", __name__)

from . import routes  # noqa: E402,F401  (attaches the views)
