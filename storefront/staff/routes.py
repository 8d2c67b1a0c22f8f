"""Orders, their history, and the actions staff take on them."""

from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..extensions import db
from ..invoicebox import InvoiceboxError
from ..numbers import whole_number
from ..payments.cancel import CANCELABLE
from ..payments.refunds import REFUNDABLE, refresh_refunds, refunds_of
from ..payments.sync import sync_payment
from ..states import OrderStatus, RefundStatus
from . import bp
from .actions import has_unfinished_refund, refunds_state
from .forms import ActionForm, OrderFilterForm
from .queries import MAX_PAGE, ORDERS_PER_PAGE, order_by_number, orders_query
from .timeline import order_timeline

log = logging.getLogger(__name__)


@bp.get("/")
def index():
    return redirect(url_for("staff.orders"))


@bp.get("/orders")
def orders():
    filters = OrderFilterForm(request.args)
    filters.validate()
    number = whole_number(request.args.get("page", "1"), MAX_PAGE)
    if not number:
        abort(404)  # the list has no such page
    page = db.paginate(
        orders_query(filters.status.data, filters.q.data),
        page=number,
        per_page=ORDERS_PER_PAGE,
        error_out=False,
        max_per_page=ORDERS_PER_PAGE,
    )
    return render_template("staff/orders.html", filters=filters, page=page)


@bp.get("/orders/<number>")
def order(number: str):
    order = order_by_number(number)
    try:
        refresh_refunds(order)  # rate-limited; only while a refund is unfinished
    except InvoiceboxError:
        log.warning("order %s: could not refresh refunds", order.number)
        flash(_("Invoicebox could not be reached to refresh the refunds; "
                "this page shows what the shop knew before."), "warning")
    status = OrderStatus(order.status)
    refunds = refunds_of(order)
    # Money on its way back or back already; a refund Invoicebox refused or canceled is not.
    refunded = sum(r.amount for r in refunds
                   if RefundStatus(r.status) in (RefundStatus.CREATED, RefundStatus.COMPLETED))
    return render_template(
        "staff/order.html",
        order=order,
        refunds=refunds,
        refunded=refunded,
        net=order.amount - refunded if order.paid_at else 0,
        polling=has_unfinished_refund(refunds),
        refunds_state=refunds_state(order),
        timeline=order_timeline(order),
        action_form=ActionForm(),
        can_refund=status in REFUNDABLE,
        can_cancel=status in CANCELABLE,
    )


@bp.post("/orders/<number>/sync")
def sync(number: str):
    order = order_by_number(number)
    if ActionForm().validate_on_submit():
        try:
            payment_changed = sync_payment(order)
            refunds_changed = refresh_refunds(order, force=True)
        except InvoiceboxError:
            flash(_("Invoicebox could not be reached to read the refunds; try again in a "
                    "moment."), "error")
        else:
            changed = payment_changed or refunds_changed
            flash(_("Synced with Invoicebox: the order was updated.") if changed
                  else _("Synced with Invoicebox: nothing had changed."), "success")
    return redirect(url_for("staff.order", number=order.number))
