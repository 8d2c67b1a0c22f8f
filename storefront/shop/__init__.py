"""The buyer's side: catalog, cart, checkout and the pages Invoicebox sends buyers back to."""

from flask import Blueprint

from ..catalog import subtitle_for
from .cart import item_count
from .formatting import money, order_status_label, vat_label

bp = Blueprint("shop", __name__)

# Template helpers for every area (``_macros.html`` formats money with the filter). They
# are globals rather than context variables so that imported macros can use them too.
bp.add_app_template_filter(money, "money")
bp.add_app_template_global(item_count, "cart_count")
bp.add_app_template_global(subtitle_for, "subtitle_for")
bp.add_app_template_global(order_status_label, "order_status_label")
bp.add_app_template_global(vat_label, "vat_label")

from . import checkout, orders, routes  # noqa: E402,F401  (attach the views)
