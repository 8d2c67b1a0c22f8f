"""Checkout: get a saved order paid through an Invoicebox order.

The writes happen in an order that never loses anything and never makes a shop order
payable twice:

1. :func:`~storefront.payments.orders.place_order` has saved the order and its lines
   (status ``new``), once per checkout form.
2. :func:`pay` saves a :class:`Payment` (attempt *n*, ``merchantOrderId`` =
   ``<order number>-<n>``, status ``pending``) and commits, and only then asks
   Invoicebox to create the order. The unique (order, attempt) pair means two requests
   can never both send attempt *n*.
3. The answer decides what happens to the attempt:

   * created: store its id and ``paymentUrl``; the buyer is sent there;
   * a definite rejection (4xx): the attempt is ``failed``, nothing exists at Invoicebox;
   * an unknown outcome (timeout, 5xx): the attempt stays ``pending``. Before any retry
     it is looked up by ``merchantOrderId``: if found it is adopted; only once it is
     provably absent is it marked failed and a new attempt sent.

:func:`pay` is also what "Pay", "Try again" and "Pay again" call: it reuses an attempt
that can still be paid, and makes a new one only when the last cannot (expired,
canceled, failed).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from flask import current_app
from sqlalchemy.exc import IntegrityError

from .. import gateway
from ..extensions import db
from ..invoicebox import (
    ApiError,
    CreateOrderRequest,
    Customer,
    InvalidRequest,
    InvoiceboxError,
    UnknownOutcome,
    kopecks_to_decimal,
)
from ..invoicebox import Order as GatewayOrder
from ..models import Order, Payment, now_utc
from ..states import OrderStatus, PaymentStatus, transition
from .events import record_event
from .orders import (
    CustomerDetails,
    EmptyCart,
    LineDraft,
    basket_for,
    find_order,
    place_order,
)
from .sync import adopt, apply_gateway_order, is_paid

# Order placement (orders.py) started out in this module; its names stay importable here.
__all__ = [
    "CustomerDetails",
    "EmptyCart",
    "LineDraft",
    "Outcome",
    "PaymentResult",
    "basket_for",
    "find_order",
    "pay",
    "place_order",
    "settle_seconds",
]

log = logging.getLogger(__name__)

SHOP_NAME = "Sever Coffee Roasters"


class Outcome(StrEnum):
    REDIRECT = "redirect"  # send the buyer to ``payment_url``
    PAID = "paid"  # nothing left to pay
    CLOSED = "closed"  # canceled or refunded: cannot be paid any more
    REJECTED = "rejected"  # Invoicebox refused the order
    UNAVAILABLE = "unavailable"  # Invoicebox unreachable, or the outcome is unknown
    CHECKING = "checking"  # an earlier attempt may still appear; try again shortly


@dataclass(frozen=True)
class PaymentResult:
    outcome: Outcome
    payment_url: str | None = None


def pay(order: Order) -> PaymentResult:
    """Send the buyer to an Invoicebox order that can pay ``order``; commits.

    Reuses the current attempt while it can be paid (after checking it with the API),
    reconciles one whose creation had an unknown outcome, and creates a new attempt only
    when the last one provably cannot be paid.
    """
    if is_paid(order):
        return PaymentResult(Outcome.PAID)
    if order.status in (OrderStatus.CANCELED, OrderStatus.REFUNDED):
        return PaymentResult(Outcome.CLOSED)
    current = order.current_payment
    if current is not None:
        if current.status == PaymentStatus.CREATED:
            result = _reuse(order, current)
        elif current.status == PaymentStatus.PENDING:
            result = _reconcile(order, current)
        elif current.status == PaymentStatus.COMPLETED:
            result = PaymentResult(Outcome.PAID)
        else:
            result = None
        if result is not None:
            return result
    return _new_attempt(order)


def settle_seconds() -> float:
    """How long after sending a create the gateway may still be working on it.

    The request is abandoned after the write timeout; allow the gateway as long again
    (plus the connect timeout) to finish before believing the order was never created.
    """
    return 2 * float(current_app.config["INVOICEBOX_WRITE_TIMEOUT"]) + 3.05


def _reuse(order: Order, payment: Payment) -> PaymentResult | None:
    """The current attempt is payable as far as we know: check with the API, then reuse."""
    remote = _read(order, payment)
    if remote is not None:
        apply_gateway_order(payment, remote, source="status check")
    db.session.commit()
    if is_paid(order):
        return PaymentResult(Outcome.PAID)
    if payment.status != PaymentStatus.CREATED:
        return None  # canceled or expired at Invoicebox: make a new attempt
    if remote is None and payment.expires_at <= now_utc():
        return PaymentResult(Outcome.UNAVAILABLE)  # cannot confirm it expired unpaid
    return PaymentResult(Outcome.REDIRECT, payment.payment_url)


def _reconcile(order: Order, payment: Payment, *, settled: bool = False) -> PaymentResult | None:
    """Find a ``pending`` attempt at Invoicebox by its ``merchantOrderId``.

    Found: adopt it and carry on with it. Absent: if the gateway may still be working on
    the request, say so (``CHECKING``); once ``settled``, mark it failed and return None
    so that the caller makes a new attempt.
    """
    client = gateway.client()
    with gateway.about(order_id=order.id):
        try:
            remote = client.find_order_by_merchant_order_id(payment.merchant_order_id)
        except InvoiceboxError as exc:
            log.warning("order %s: reconciliation failed: %s", payment.merchant_order_id, exc)
            db.session.commit()
            return PaymentResult(Outcome.UNAVAILABLE)
    if remote is not None:
        record_event(
            order, "payment_adopted",
            f"Attempt {payment.attempt} exists at Invoicebox as order {remote.id}; using it.",
            data={"payment_id": payment.id},
        )
        apply_gateway_order(payment, remote, source="reconciliation")
        db.session.commit()
        if is_paid(order):
            return PaymentResult(Outcome.PAID)
        if payment.status == PaymentStatus.CREATED:
            return PaymentResult(Outcome.REDIRECT, payment.payment_url)
        return None
    age = (now_utc() - payment.created_at).total_seconds()
    if not settled and age < settle_seconds():
        db.session.commit()
        return PaymentResult(Outcome.CHECKING)
    transition(payment, PaymentStatus.FAILED)
    payment.error = "Not found at Invoicebox after an unknown outcome: it was never created."
    record_event(
        order, "payment_failed",
        f"Attempt {payment.attempt} ({payment.merchant_order_id}) was never created at "
        "Invoicebox.",
        data={"payment_id": payment.id},
    )
    db.session.commit()
    return None


def _new_attempt(order: Order) -> PaymentResult:
    current = order.current_payment
    attempt = current.attempt + 1 if current is not None else 1
    ttl = timedelta(hours=float(current_app.config["STOREFRONT_ORDER_TTL_HOURS"]))
    payment = Payment(
        order=order,
        attempt=attempt,
        merchant_order_id=f"{order.number}-{attempt}",
        status=PaymentStatus.PENDING.value,
        amount=order.amount,
        expires_at=now_utc() + ttl,
    )
    db.session.add(payment)
    try:
        db.session.flush()
        record_event(
            order, "payment_started",
            f"Attempt {attempt} ({payment.merchant_order_id}) sent to Invoicebox.",
            data={"payment_id": payment.id},
        )
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # another request is sending this attempt right now
        return PaymentResult(Outcome.CHECKING)
    return _create(order, payment)


def _create(order: Order, payment: Payment) -> PaymentResult:
    client = gateway.client()
    with gateway.about(order_id=order.id):
        try:
            remote = client.create_order(_create_request(order, payment))
        except UnknownOutcome as exc:
            return _after_unknown(order, payment, exc)
        except InvoiceboxError as exc:
            return _after_rejection(order, payment, exc)
    adopt(payment, remote)
    record_event(
        order, "payment_created",
        f"Invoicebox order {remote.id} created for attempt {payment.attempt}.",
        data={"payment_id": payment.id, "invoicebox_order_id": remote.id},
    )
    db.session.commit()
    log.info("order %s: Invoicebox order %s created", payment.merchant_order_id, remote.id)
    return PaymentResult(Outcome.REDIRECT, payment.payment_url)


def _after_rejection(order: Order, payment: Payment, exc: InvoiceboxError) -> PaymentResult:
    """Nothing was created: a 4xx, a request refused before sending, or no connection."""
    transition(payment, PaymentStatus.FAILED)
    payment.error = str(exc)
    record_event(
        order, "payment_failed",
        f"Invoicebox did not create attempt {payment.attempt}: {exc.code or type(exc).__name__}.",
        data={"payment_id": payment.id, "code": exc.code, "request_id": exc.request_id},
    )
    db.session.commit()
    log.warning("order %s: Invoicebox refused the order: %s", payment.merchant_order_id, exc)
    rejected = isinstance(exc, ApiError | InvalidRequest)
    return PaymentResult(Outcome.REJECTED if rejected else Outcome.UNAVAILABLE)


def _after_unknown(order: Order, payment: Payment, exc: UnknownOutcome) -> PaymentResult:
    """The create may or may not have happened. Keep the attempt pending for reconciling.

    A 500 is the API's own answer after its handler gave up, so the order can be looked
    up at once and, if absent, believed absent. Silence, 502, 503 or 504 may come from a
    proxy while the API is still working: that attempt waits for :func:`settle_seconds`.
    """
    payment.error = str(exc)
    record_event(
        order, "payment_unknown",
        f"No clear answer from Invoicebox for attempt {payment.attempt}: "
        f"{exc.code or 'no response'}; it will be looked up before any retry.",
        data={"payment_id": payment.id, "http_status": exc.http_status,
              "request_id": exc.request_id},
    )
    db.session.commit()
    log.warning("order %s: unknown outcome: %s", payment.merchant_order_id, exc)
    if exc.http_status == 500:
        result = _reconcile(order, payment, settled=True)
        if result is not None:
            return result
    return PaymentResult(Outcome.UNAVAILABLE)


def _read(order: Order, payment: Payment) -> GatewayOrder | None:
    client = gateway.client()
    with gateway.about(order_id=order.id):
        try:
            return client.get_order(payment.invoicebox_order_id or "")
        except InvoiceboxError as exc:
            log.warning("order %s: could not read it back: %s", payment.merchant_order_id, exc)
            return None


def _create_request(order: Order, payment: Payment) -> CreateOrderRequest:
    config = current_app.config
    return CreateOrderRequest(
        merchant_id=config["INVOICEBOX_MERCHANT_ID"],
        merchant_order_id=payment.merchant_order_id,
        merchant_order_id_visible=order.number,
        description=f"Заказ № {order.number}, {SHOP_NAME}",
        basket_items=basket_for(order.lines).items,
        amount=kopecks_to_decimal(order.amount),
        vat_amount=kopecks_to_decimal(order.vat_amount),
        currency_id=order.currency,
        language_id=config["STOREFRONT_PAYMENT_LANGUAGE"],
        expiration_date=payment.expires_at,
        customer=_customer(order),
        notification_url=_public_url("notifications.receive"),
        success_url=_public_url("shop.payment_success", token=order.public_token),
        fail_url=_public_url("shop.payment_failed", token=order.public_token),
        return_url=_public_url("shop.order", token=order.public_token),
    )


def _customer(order: Order) -> Customer:
    legal = order.customer_type == "legal"
    return Customer(
        type=order.customer_type,
        name=order.customer_name,
        email=order.customer_email,
        phone=order.customer_phone,
        vat_number=order.customer_inn if legal else None,
        tax_registration_reason_code=order.customer_kpp if legal else None,
        registration_address=order.customer_address if legal else None,
    )


def _public_url(endpoint: str, **values: str) -> str:
    """STOREFRONT_PUBLIC_URL plus the route's path; works with or without a request."""
    path = current_app.url_map.bind("shop.invalid").build(endpoint, values)
    return current_app.config["STOREFRONT_PUBLIC_URL"].rstrip("/") + path
