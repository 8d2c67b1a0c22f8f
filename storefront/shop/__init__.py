"""The buyer's side: catalog, cart, checkout and the pages Invoicebox sends buyers back to."""

from flask import Blueprint

from ..catalog import subtitle_for
from .cart import item_count
from .formatting import money, order_status_label, vat_label

bp = Blueprint("shop", __name__)

# Shared with every area's templates (``_macros.html`` formats money with it).
bp.add_app_template_filter(money, "money")


@bp.app_context_processor
def _shop_context() -> dict[str, object]:
    return {
        "cart_count": item_count,
        "subtitle_for": subtitle_for,
        "order_status_label": order_status_label,
        "vat_label": vat_label,
    }


from . import checkout, orders, routes  # noqa: E402,F401  (attach the views)
