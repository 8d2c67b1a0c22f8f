"""The staff actions that move money or close an order: cancel and refund, each confirmed.

Both take two steps, rendered by the server so that they work without scripts: the first
page asks (what to refund, or why to cancel), the second restates exactly what will happen
(the amount, the lines) and only its button acts. A slip of the mouse never refunds.
"""

from __future__ import annotations

import logging
import secrets

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..invoicebox import InvoiceboxError
from ..models import Order, Refund
from ..numbers import whole_number
from ..payments import (
    Fee,
    LineChoice,
    RefundError,
    RefundSelection,
    cancel_order,
    check_fee,
    create_refund,
    plan_refund,
    refresh_refunds,
    refund_request,
    refundable_positions,
    refunds_of,
    reverse_hold,
)
from ..shop.formatting import money
from ..states import (
    ORDER_CANCELABLE,
    ORDER_REFUNDABLE,
    ORDER_REVERSIBLE,
    REFUND_OPEN,
    RefundRequestStatus,
    RefundStatus,
)
from . import bp
from .forms import CancelForm, RefundForm
from .queries import order_by_number

log = logging.getLogger(__name__)


def unreachable() -> str:
    return _("Invoicebox could not be reached. Nothing was changed; try again in a moment.")


@bp.route("/orders/<number>/cancel", methods=["GET", "POST"])
def cancel(number: str):
    """Ask why, restate what canceling does, then cancel; the reason goes into the history."""
    order = order_by_number(number)
    held = order.status in ORDER_REVERSIBLE
    if order.status not in ORDER_CANCELABLE and not held:
        flash(_("Only an unpaid order can be canceled; a paid one is refunded instead."),
              "error")
        return redirect(url_for("staff.order", number=order.number))
    form = CancelForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("staff/cancel.html", order=order, form=form,
                               held=held), status
    if held:  # paid as a guarantee: canceling reverses it (refused once shipped)
        canceled, message = reverse_hold(order, current_user, form.reason.data)
        flash(message, "success" if canceled else "error")
        return redirect(url_for("staff.order", number=order.number))
    outcome = cancel_order(order, current_user, form.reason.data)
    # The service writes fixed sentences in English; the catalogs know them.
    flash(_(outcome.message), "success" if outcome.canceled else "error")
    return redirect(url_for("staff.order", number=order.number))


@bp.route("/orders/<number>/refund", methods=["GET", "POST"])
def refund(number: str):
    """Choose what to refund; then a page restating the amount and lines; then refund."""
    order = order_by_number(number)
    if order.status not in ORDER_REFUNDABLE:
        flash(_("Only a paid order can be refunded."), "error")
        return redirect(url_for("staff.order", number=order.number))
    form = RefundForm()
    status = 200
    positions = None
    if form.validate_on_submit():
        try:
            if not form.confirm.data:
                # The plan is only shown here; create_refund plans again from fresh amounts
                # (and finds the refund this form already made, if it was sent twice).
                positions = refundable_positions(order)
                plan = plan_refund(positions, _selection(form), {ln.sku for ln in order.lines})
                check_fee(_fee(form), plan.amount)
                return render_template("staff/refund_confirm.html", order=order, form=form,
                                       plan=plan)
            issued = create_refund(order, _selection(form), form.reason.data,
                                   form.form_token.data, current_user,
                                   refund_request_id=_request_id(form.refund_request.data),
                                   fee=_fee(form))
        except RefundError as error:
            form.form_errors.append(_(str(error)))
            status = 422
        except InvoiceboxError:
            form.form_errors.append(unreachable())
            status = 503
        else:
            return _after_refund(order, issued, form.refund_request.data)
    elif form.is_submitted():
        status = 422
    else:
        form.form_token.data = secrets.token_urlsafe(24)
        _fill_from_request(form, order, request.args.get("request"))
    if status != 503:  # read afresh: a refusal may come from amounts that just changed
        try:
            positions = refundable_positions(order)
        except InvoiceboxError:
            positions = None
            form.form_errors.append(_("Invoicebox could not be reached to read what is "
                                      "refundable."))
            status = 503
    chosen = {line.sku.data: line for line in form.lines}
    return render_template("staff/refund.html", order=order, form=form, positions=positions,
                           chosen=chosen,
                           refund_request=_buyer_request(
                               order, form.refund_request.data or request.args.get("request"))
                           ), status


@bp.get("/orders/<number>/refunds/status")
def refunds_status(number: str):
    """What the order page polls while a refund is unfinished: reloads when ``state`` moves."""
    order = order_by_number(number)
    try:
        refresh_refunds(order)  # rate-limited; asks Invoicebox only while one is unfinished
    except InvoiceboxError:
        log.warning("order %s: could not refresh refunds", order.number)
    order = db.session.get(Order, order.id, populate_existing=True)
    return jsonify(state=refunds_state(order, refunds_of(order)), status=order.status)


def refunds_state(order: Order, refunds: list[Refund]) -> str:
    """Changes whenever the refunds shown on the order page would change."""
    return order.status + ";" + ",".join(f"{r.id}:{r.status}" for r in refunds)


def has_unfinished_refund(refunds: list[Refund]) -> bool:
    """A refund whose outcome may still change on Invoicebox's side: the order page polls."""
    return any(r.status in REFUND_OPEN for r in refunds)


def _selection(form: RefundForm) -> RefundSelection:
    return RefundSelection(
        lines=tuple(
            LineChoice(line.sku.data, line.quantity.data or 0, bool(line.remainder.data))
            for line in form.lines
        ),
        everything=bool(form.everything.data),
    )


def _fee(form: RefundForm) -> Fee | None:
    """The fee staff chose to keep, if any (the form has checked its shape)."""
    if not form.fee_amount.data:
        return None
    return Fee(form.fee_amount.data, (form.fee_reason.data or "").strip())


def _request_id(value: str | None) -> int | None:
    return whole_number(value, 10**9) if value else None


def _buyer_request(order: Order, value: str | None):
    """The buyer's request the refund screen was opened from, if it is this order's."""
    request_id = _request_id(value)
    found = refund_request(request_id) if request_id else None
    return found if found is not None and found.order_id == order.id else None


def _fill_from_request(form: RefundForm, order: Order, value: str | None) -> None:
    """Pre-fill the refund screen with what the buyer asked for (an open request)."""
    found = _buyer_request(order, value)
    if found is None or found.status != RefundRequestStatus.OPEN:
        return
    form.refund_request.data = str(found.id)
    for line in found.lines:
        form.lines.append_entry({"sku": line.order_line.sku, "quantity": line.quantity})
    form.reason.data = found.reason


def _after_refund(order: Order, issued: Refund, request_id: str | None = None):
    """Where staff land once a refund was sent (or found sent by the same form)."""
    label = _("%(number)s for %(amount)s", number=issued.merchant_order_id,
              amount=money(issued.amount))
    status = RefundStatus(issued.status)
    if status in (RefundStatus.CREATED, RefundStatus.COMPLETED) and issued.fee_amount:
        flash(_("Refund created: %(refund)s. A fee of %(fee)s is kept; Invoicebox returns "
                "%(net)s to the buyer.", refund=label, fee=money(issued.fee_amount),
                net=money(issued.net_amount)), "success")
    elif status in (RefundStatus.CREATED, RefundStatus.COMPLETED):
        flash(_("Refund created: %(refund)s. Invoicebox returns the money to the buyer.",
                refund=label), "success")
    elif status == RefundStatus.DRAFT:
        flash(_("Refund %(refund)s is a draft at Invoicebox: the correction order keeping "
                "the fee is not confirmed yet. Nothing is paid out until it is; "
                "reconciliation finishes the refund, or cancels it.", refund=label),
              "warning")
    elif status == RefundStatus.PENDING:
        flash(_("Refund %(refund)s was sent, but Invoicebox's answer was lost. It is checked "
                "by its number before anything else is done.", refund=label), "warning")
    else:
        message = _(issued.error) if issued.error else _("Invoicebox refused the refund.")
        if issued.request_id:
            message += " " + _("Invoicebox request id: %(id)s.", id=issued.request_id)
        flash(message, "error")
        # A refused refund leaves the buyer's request open: back to it, pre-filled again.
        return redirect(url_for("staff.refund", number=order.number,
                                request=_request_id(request_id)))
    return redirect(url_for("staff.order", number=order.number))
