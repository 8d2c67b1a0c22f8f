"""The buyer's order pages, all behind the order's unguessable public token.

Invoicebox sends the buyer back to ``success``, ``failed`` or the order page itself. None
of them believes the URL: what they show comes from the database, which only a signed
notification or the API itself (:func:`~storefront.payments.sync_payment`) marks paid.
"""

from __future__ import annotations

from flask import abort, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from ..models import Order
from ..numbers import whole_number
from ..payments import (
    Outcome,
    PaymentResult,
    can_request_refund,
    find_order,
    follow_requested_refunds,
    has_reversal,
    is_paid,
    maybe_sync,
    pay,
    refund_requests_of,
    shipped_shipments,
)
from ..states import (
    ORDER_OPEN,
    ORDER_PAID,
    ORDER_UNDELIVERABLE,
    REFUND_OPEN,
    OrderStatus,
    PaymentStatus,
)
from . import bp
from .formatting import order_status_label
from .forms import PayForm

BUYER_MESSAGES = {
    Outcome.UNAVAILABLE: _l("We could not reach Invoicebox to set up your payment. Your order "
                            "is saved and nothing has been charged. Please try again in a "
                            "moment."),
    Outcome.REJECTED: _l("Invoicebox could not accept the payment for this order just now. "
                         "Your order is saved and nothing has been charged. Please try again; "
                         "if it keeps happening, write to us and quote your order number."),
    Outcome.CHECKING: _l("We are still confirming your payment with Invoicebox. Your order is "
                         "saved; please try again in a minute."),
    Outcome.PAID: _l("This order is already paid. Thank you!"),
    Outcome.CLOSED: _l("This order was canceled and can no longer be paid."),
}


def respond_to_payment(order: Order, result: PaymentResult):
    """Send the buyer to Invoicebox (303), or back to the order page with a calm message."""
    if result.outcome is Outcome.REDIRECT and result.payment_url:
        return redirect(result.payment_url, 303)
    category = "success" if result.outcome is Outcome.PAID else "warning"
    flash(str(BUYER_MESSAGES.get(result.outcome, BUYER_MESSAGES[Outcome.UNAVAILABLE])), category)
    return redirect(url_for("shop.order", token=order.public_token), 303)


@bp.get("/orders/<token>")
def order(token: str):
    return _order_page(token, "shop/order.html")


@bp.post("/orders/<token>/pay")
def pay_order(token: str):
    found = order_or_404(token)  # CSRFProtect has checked the form's token already
    return respond_to_payment(found, pay(found))


# Where Invoicebox sends the buyer back: the same order, told as a success or a failure.
@bp.get("/orders/<token>/success")
def payment_success(token: str):
    return _order_page(token, "shop/success.html")


@bp.get("/orders/<token>/failed")
def payment_failed(token: str):
    return _order_page(token, "shop/failed.html")


@bp.get("/orders/<token>/status")
def order_status(token: str):
    """What the waiting page polls. After a while it may ask Invoicebox itself."""
    found = order_or_404(token)
    # Seconds the page has been waiting, as its script counts them; an hour is plenty.
    waited = whole_number(request.args.get("waited", "0"), 10**9) or 0
    if (maybe_sync(found, waited_seconds=min(waited, 3600))
            or follow_requested_refunds(found)):
        found = order_or_404(token)
    payment = found.current_payment
    return private(jsonify(
        status=found.status,
        label=order_status_label(found.status),
        paid=is_paid(found),
        state=_state(found),
        payment=payment.status if payment is not None else None,
    ))


def order_or_404(token: str) -> Order:
    if not 20 <= len(token) <= 64:
        abort(404)
    found = find_order(public_token=token)
    if found is None:
        abort(404)
    return found


def _order_page(token: str, template: str):
    found = order_or_404(token)
    requests = refund_requests_of(found)
    return private(render_template(
        template, order=found, shipped=shipped_shipments(found),
        **_pay_state(found), refund_requests=requests,
        can_request_refund=can_request_refund(found),
        # A refund the buyer asked for is on its way: the page follows it by itself.
        following_refund=any(r.refund is not None and r.refund.status in REFUND_OPEN
                             for r in requests)))


def _state(order: Order) -> str:
    """Changes whenever the page showing this order would change: the poller reloads then."""
    payment = order.current_payment
    state = (f"{order.status}:0:-" if payment is None
             else f"{order.status}:{payment.attempt}:{payment.status}")
    requests = refund_requests_of(order)
    if requests:  # the buyer's refund requests, and the refunds they led to
        state += ";" + ",".join(
            f"{r.id}:{r.status}:{r.refund.status if r.refund is not None else '-'}"
            for r in requests)
    return state


def _pay_state(order: Order) -> dict[str, object]:
    payment = order.current_payment
    troubled = payment is not None and payment.status in (PaymentStatus.FAILED,
                                                          PaymentStatus.PENDING)
    # Answered shipping_unavailable: still going back, or gone back (refunded, or the
    # guarantee canceled by the runner's reversal).
    undeliverable = order.status in ORDER_UNDELIVERABLE or (
        order.status in ORDER_PAID | {OrderStatus.CANCELED} and has_reversal(order))
    return {
        "paid": is_paid(order) and not undeliverable,
        "undeliverable": undeliverable,
        # Paid as a guarantee: reversing it releases the reserved money, nothing is charged.
        # A paid payment ends canceled only that way (a hold reversed with DELETE).
        "guarantee": order.status == OrderStatus.HOLD_UNDELIVERABLE or (
            payment is not None and (
                payment.status == PaymentStatus.HOLD
                or (payment.status == PaymentStatus.CANCELED and payment.paid_at is not None))),
        "payable": order.status in ORDER_OPEN,
        "pay_label": gettext("Try again") if troubled else gettext("Pay"),
        # Shown while the Invoicebox order can be paid: after that a new one is made.
        "deadline": (payment.expires_at if payment is not None
                     and payment.status == PaymentStatus.CREATED else None),
        "checking": payment is not None and payment.status == PaymentStatus.PENDING,
        "state": _state(order),
        "pay_form": PayForm(),
    }


def private(rv):
    """Order pages carry a secret link: keep them out of caches and referrers."""
    response = make_response(rv)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
