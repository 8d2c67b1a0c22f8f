"""Orders, their history, and the actions staff take on them."""

from __future__ import annotations

import logging
import secrets

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..invoicebox import InvoiceboxError
from ..models import Order, Refund
from ..payments import (
    LineChoice,
    RefundError,
    RefundSelection,
    cancel_order,
    create_refund,
    refresh_refunds,
    refundable_positions,
    refunds_of,
    sync_payment,
)
from ..shop.formatting import money
from ..states import ORDER_CANCELABLE, ORDER_REFUNDABLE, RefundStatus
from . import bp
from .forms import ActionForm, OrderFilterForm, RefundForm
from .queries import order_by_number, orders_page
from .timeline import order_timeline

log = logging.getLogger(__name__)

UNREACHABLE = "Invoicebox could not be reached. Nothing was changed; try again in a moment."


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
    )
    return render_template("staff/orders.html", filters=filters, page=page)


@bp.get("/orders/<number>")
def order(number: str):
    order = order_by_number(number)
    try:
        refresh_refunds(order)  # rate-limited; only while a refund is unfinished
    except InvoiceboxError:
        log.warning("order %s: could not refresh refunds", order.number)
        flash("Invoicebox could not be reached to refresh the refunds; "
              "this page shows what the shop knew before.", "warning")
    refunds = refunds_of(order)
    return render_template(
        "staff/order.html",
        order=order,
        refunds=refunds,
        timeline=order_timeline(order, refunds),
        action_form=ActionForm(),
        can_refund=order.status in ORDER_REFUNDABLE,
        can_cancel=order.status in ORDER_CANCELABLE,
    )


@bp.post("/orders/<number>/sync")
def sync(number: str):
    order = order_by_number(number)
    if ActionForm().validate_on_submit():
        try:
            payment_changed = sync_payment(order)
            refunds_changed = refresh_refunds(order, force=True)
        except InvoiceboxError:
            flash("Invoicebox could not be reached to read the refunds; try again in a moment.",
                  "error")
        else:
            changed = payment_changed or refunds_changed
            flash("Synced with Invoicebox: " + ("the order was updated." if changed
                                                else "nothing had changed."), "success")
    return redirect(url_for("staff.order", number=order.number))


@bp.post("/orders/<number>/cancel")
def cancel(number: str):
    order = order_by_number(number)
    if ActionForm().validate_on_submit():
        outcome = cancel_order(order, current_user)
        flash(outcome.message, "success" if outcome.canceled else "error")
    return redirect(url_for("staff.order", number=order.number))


@bp.route("/orders/<number>/refund", methods=["GET", "POST"])
def refund(number: str):
    order = order_by_number(number)
    if order.status not in ORDER_REFUNDABLE:
        flash("Only a paid order can be refunded.", "error")
        return redirect(url_for("staff.order", number=order.number))
    form = RefundForm()
    status = 200
    if form.validate_on_submit():
        try:
            issued = create_refund(order, _selection(form), form.reason.data,
                                   form.form_token.data, current_user)
        except RefundError as error:
            form.form_errors.append(str(error))
            status = 422
        except InvoiceboxError:
            form.form_errors.append(UNREACHABLE)
            status = 503
        else:
            return _after_refund(order, issued)
    elif form.is_submitted():
        status = 422
    else:
        form.form_token.data = secrets.token_urlsafe(24)
    try:
        positions = refundable_positions(order)
    except InvoiceboxError:
        positions = None
        form.form_errors.append("Invoicebox could not be reached to read what is refundable.")
        status = 503
    chosen = {line.sku.data: line for line in form.lines} if form.is_submitted() else {}
    return render_template("staff/refund.html", order=order, form=form, positions=positions,
                           chosen=chosen), status


def _selection(form: RefundForm) -> RefundSelection:
    return RefundSelection(
        lines=tuple(
            LineChoice(line.sku.data, line.quantity.data or 0, bool(line.remainder.data))
            for line in form.lines
        ),
        everything=bool(form.everything.data),
    )


def _after_refund(order: Order, issued: Refund):
    """Where staff land once a refund was sent (or found sent by the same form)."""
    label = f"{issued.merchant_order_id} for {money(issued.amount)}"
    status = RefundStatus(issued.status)
    if status in (RefundStatus.CREATED, RefundStatus.COMPLETED):
        flash(f"Refund created: {label}. Invoicebox returns the money to the buyer.", "success")
    elif status == RefundStatus.PENDING:
        flash(f"Refund {label} was sent, but Invoicebox's answer was lost. "
              "It is checked by its number before anything else is done.", "warning")
    else:
        message = issued.error or "Invoicebox refused the refund."
        if issued.request_id:
            message += f" Invoicebox request id: {issued.request_id}."
        flash(message, "error")
        return redirect(url_for("staff.refund", number=order.number))
    return redirect(url_for("staff.order", number=order.number))
