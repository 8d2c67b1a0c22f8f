"""The buyer's side: catalog, cart, checkout and the pages Invoicebox sends buyers back to."""

from flask import Blueprint

from .cart import item_count
from .formatting import (
    day,
    line_name,
    money,
    order_status_label,
    product_description,
    product_name,
    refund_request_outcome,
    unit,
    vat_label,
    vat_rate_label,
    when,
)

bp = Blueprint("shop", __name__)

# Template helpers for every area (``_macros.html`` formats money with the filter). They
# are globals rather than context variables so that imported macros can use them too.
bp.add_app_template_filter(money, "money")
bp.add_app_template_global(item_count, "cart_count")
for helper in (order_status_label, vat_label, vat_rate_label, product_name,
               product_description, line_name, when, day, unit,
               refund_request_outcome):
    bp.add_app_template_global(helper)

from . import checkout, legal, orders, refund_requests, routes  # noqa: E402,F401  (attach the views)
