"""The buyer's refund request, behind the order's unguessable token.

The form asks which lines, how many units and why; the request is stored for staff and
refunds nothing by itself. Whatever is sent, a refusal is a 400 page with the reason, or
(a request already open) the order page saying so.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext

from ..models import Order
from ..payments import RefundRequestError, can_request_refund, request_refund, requestable_lines
from . import bp
from .forms import RefundRequestForm
from .orders import order_or_404, private


@bp.route("/orders/<token>/refund", methods=["GET", "POST"])
def request_refund_page(token: str):
    order = order_or_404(token)
    if not can_request_refund(order):
        flash(gettext("This order cannot be refunded on request now."), "warning")
        return _to_order(order)
    form = RefundRequestForm()
    status = 200
    if form.is_submitted():
        status = 400
        if not form.validate():
            if any(line.sku.errors for line in form.lines):
                form.form_errors.append(gettext("This form does not match the order any more. "
                                                "Reload the page and try again."))
        else:
            quantities: dict[str, int] = {}
            for line in form.lines:
                if line.sku.data in quantities:
                    form.form_errors.append(gettext("An item is listed twice. Reload the "
                                                    "page and try again."))
                    break
                quantities[line.sku.data] = line.quantity.data or 0
            else:
                try:
                    request_refund(order, quantities, form.reason.data)
                except RefundRequestError as error:
                    form.form_errors.append(str(error))
                else:
                    flash(gettext("Your refund request is sent. We will answer it here."),
                          "success")
                    return _to_order(order)
    chosen = {line.sku.data: line for line in form.lines} if form.is_submitted() else {}
    return private(render_template(
        "shop/refund_request.html", order=order, form=form, chosen=chosen,
        lines=[line for line in requestable_lines(order) if line.units > 0])), status


def _to_order(order: Order):
    return redirect(url_for("shop.order", token=order.public_token), 303)
