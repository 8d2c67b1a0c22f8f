"""Orders, their history, and the actions staff take on them."""

from __future__ import annotations

import logging

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..budget import setting
from ..invoicebox import InvoiceboxError
from ..payments import (
    hold_overdue,
    refresh_refunds,
    refresh_shipments,
    refund_requests_of,
    refunds_of,
    shipments_of,
    sync_payment,
)
from ..states import (
    ORDER_CANCELABLE,
    ORDER_REFUNDABLE,
    ORDER_REVERSIBLE,
    ORDER_SHIPPABLE,
    REFUND_PAID_OUT,
    SHIPMENT_OPEN,
    RefundRequestStatus,
)
from . import bp
from .actions import has_unfinished_refund, refunds_state
from .forms import ActionForm, OrderFilterForm
from .queries import order_by_number, orders_page
from .timeline import order_timeline

log = logging.getLogger(__name__)


@bp.get("/")
def index():
    return redirect(url_for("staff.orders"))


@bp.get("/orders")
def orders():
    filters = OrderFilterForm(request.args)
    filters.validate()
    page = orders_page(
        filters.status.data,
        filters.q.data,
        after=request.args.get("after"),
        before=request.args.get("before"),
        oldest=request.args.get("oldest") == "1",
        overdue=bool(filters.overdue.data),
    )
    return render_template("staff/orders.html", filters=filters, page=page,
                           hold_days=setting("STOREFRONT_HOLD_SHIP_DAYS"))


@bp.get("/orders/<number>")
def order(number: str):
    order = order_by_number(number)
    try:
        refresh_refunds(order)  # rate-limited; only while a refund is unfinished
    except InvoiceboxError:
        log.warning("order %s: could not refresh refunds", order.number)
        flash(_("Invoicebox could not be reached to refresh the refunds; "
                "this page shows what the shop knew before."), "warning")
    refunds = refunds_of(order)
    # Money on its way back or back already; a refund Invoicebox refused or canceled is
    # not, nor a draft whose fee is not kept yet. A fee kept stays with the shop.
    paid_out = [r for r in refunds if r.status in REFUND_PAID_OUT]
    refunded = sum(r.net_amount for r in paid_out)
    return render_template(
        "staff/order.html",
        order=order,
        refunds=refunds,
        refunded=refunded,
        fees_kept=sum(r.fee_amount or 0 for r in paid_out),
        net=order.amount - refunded if order.paid_at else 0,
        polling=has_unfinished_refund(refunds),
        refunds_state=refunds_state(order, refunds),
        timeline=order_timeline(order, refunds),
        action_form=ActionForm(),
        can_refund=order.status in ORDER_REFUNDABLE,
        can_ship=order.status in ORDER_SHIPPABLE and any(
            line.shipped_quantity < line.quantity for line in order.lines),
        shipments=shipments_of(order),
        can_cancel=order.status in ORDER_CANCELABLE or order.status in ORDER_REVERSIBLE,
        hold_cancelable=order.status in ORDER_REVERSIBLE,
        open_request=next((r for r in refund_requests_of(order)
                           if r.status == RefundRequestStatus.OPEN), None),
        hold_overdue=hold_overdue(order),
        hold_days=setting("STOREFRONT_HOLD_SHIP_DAYS"),
    )


@bp.get("/orders/<number>/packing-list")
def packing_list(number: str):
    """A printable list of the order's goods, with how they reach the buyer."""
    order = order_by_number(number)
    goods = [line for line in order.lines if line.item_type == "commodity"]
    return render_template("staff/packing_list.html", order=order, goods=goods)


@bp.post("/orders/<number>/sync")
def sync(number: str):
    order = order_by_number(number)
    if ActionForm().validate_on_submit():
        try:
            payment_changed = sync_payment(order)
            refunds_changed = refresh_refunds(order, force=True)
            refunds_changed = _refresh_shipments(order) or refunds_changed
        except InvoiceboxError:
            flash(_("Invoicebox could not be reached to read the refunds; try again in a "
                    "moment."), "error")
        else:
            changed = payment_changed or refunds_changed
            flash(_("Synced with Invoicebox: the order was updated.") if changed
                  else _("Synced with Invoicebox: nothing had changed."), "success")
    return redirect(url_for("staff.order", number=order.number))


def _refresh_shipments(order) -> bool:
    """Staff's Sync also reads the shipments that have not ended."""
    payment = order.paid_payment
    if payment is None or not payment.invoicebox_order_id:
        return False
    if not any(s.status in SHIPMENT_OPEN for s in shipments_of(order)):
        return False
    return refresh_shipments(order.id, payment.invoicebox_order_id)
