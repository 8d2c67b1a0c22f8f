"""Checkout: get a saved order paid through an Invoicebox order.

The writes happen in an order that never loses anything and never makes a shop order
payable twice:

1. :func:`~storefront.payments.orders.place_order` has saved the order and its lines
   (status ``new``), once per checkout form.
2. :func:`pay` takes the order's row lock and saves a :class:`Payment` (attempt *n*,
   ``merchantOrderId`` = ``<order number>-<n>``, status ``pending``) and commits, and only
   then asks Invoicebox to create the order, with no transaction open. An order has at
   most one payable (``pending`` or ``created``) attempt: the lock serialises the
   decision and the partial unique index ``one_payable_attempt`` enforces it.
3. The answer is applied in a new transaction, under the same lock:

   * created: store its id and ``paymentUrl``; the buyer is sent there;
   * a definite rejection (4xx): the attempt is ``failed``, nothing exists at Invoicebox;
   * an unknown outcome (timeout, 5xx): the attempt stays ``pending``. Before any retry
     it is looked up by ``merchantOrderId``: if found it is adopted; only once it is
     provably absent is it marked failed and a new attempt sent.

:func:`pay` is also what "Pay", "Try again" and "Pay again" call: it reuses an attempt
that can still be paid, and makes a new one only when the last cannot (expired,
canceled, failed). A press of Pay that finds another request sending the attempt waits
for that answer, so both presses lead to the same payment page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
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
    InvalidRequest,
    InvoiceboxError,
    UnknownOutcome,
)
from ..invoicebox import Order as GatewayOrder
from ..models import Order, Payment, now_utc
from ..states import ORDER_OPEN, ORDER_PAID, PAYMENT_PAYABLE, PaymentStatus, transition
from .events import EventKind, record_event
from .locking import locked, retry_on_conflict
from .order_request import create_request
from .orders import (
    CustomerDetails,
    EmptyCart,
    LineDraft,
    basket_for,
    find_order,
    place_order,
)
from .transitions import adopt, apply_gateway_order, is_paid

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
]

log = logging.getLogger(__name__)

ROUNDS = 3  # at most: learn the current attempt expired, open the next, wait for it
AWAIT_SECONDS = 10.0  # how long a press of Pay waits for another press's create
AWAIT_POLL_SECONDS = 0.1


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

    Each round decides under the order's row lock what to do (see :func:`_decide`),
    commits, and only then talks to Invoicebox; the answer is applied under the same lock
    in a transaction of its own. A round that learns the current attempt can no longer be
    paid (expired, canceled, never created) is followed by one that opens the next.
    """
    order_id = order.id
    for _ in range(ROUNDS):
        step = _decide(order_id)
        result = step if isinstance(step, PaymentResult) else step()
        if result is not None:
            return result
    return PaymentResult(Outcome.CHECKING)


# -- deciding, under the order's lock -----------------------------------------------------

Step = Callable[[], "PaymentResult | None"]


def _decide(order_id: int) -> PaymentResult | Step:
    """Lock the order, look at its one payable attempt (if any), and choose the next step.

    * no payable attempt: save attempt *n + 1* as ``pending`` and commit, then create it;
    * a ``created`` attempt: read it back from Invoicebox before sending the buyer there;
    * a ``pending`` attempt another request is still sending: wait for its answer;
    * a ``pending`` attempt whose answer was lost: look it up by ``merchantOrderId``.

    The partial unique index ``one_payable_attempt`` keeps a second payable attempt out
    of the database even if this code were wrong.
    """
    db.session.commit()  # whatever the caller read is stale: start afresh, lock first
    order = locked(Order, order_id)
    if order.status not in ORDER_OPEN:
        db.session.commit()
        return PaymentResult(Outcome.PAID if order.status in ORDER_PAID else Outcome.CLOSED)
    current = _payable_attempt(order)
    if current is None:
        return _open_attempt(order)
    payment_id = current.id
    if current.status == PaymentStatus.CREATED:
        invoicebox_id = current.invoicebox_order_id or ""
        db.session.commit()
        return lambda: _check_created(order_id, payment_id, invoicebox_id)
    in_flight = current.error is None and _age(current) < gateway.in_flight_seconds()
    merchant_order_id = current.merchant_order_id
    db.session.commit()
    if in_flight:
        return lambda: _await_answer(order_id, payment_id, merchant_order_id)
    return lambda: _reconcile(order_id, payment_id, merchant_order_id)


def _payable_attempt(order: Order) -> Payment | None:
    return db.session.execute(
        db.select(Payment).where(Payment.order_id == order.id,
                                 Payment.status.in_(PAYMENT_PAYABLE))
    ).scalar_one_or_none()


def _open_attempt(order: Order) -> Step:
    order_id = order.id
    last = db.session.execute(
        db.select(db.func.max(Payment.attempt)).where(Payment.order_id == order.id)
    ).scalar_one()
    attempt = (last or 0) + 1
    ttl = timedelta(hours=float(current_app.config["STOREFRONT_ORDER_TTL_HOURS"]))
    payment = Payment(
        order_id=order.id,
        attempt=attempt,
        merchant_order_id=f"{order.number}-{attempt}",
        status=PaymentStatus.PENDING.value,
        amount=order.amount,
        expires_at=now_utc() + ttl,
    )
    db.session.add(payment)
    try:
        db.session.flush()
    except IntegrityError:  # one_payable_attempt: only if a writer skipped the lock
        db.session.rollback()
        log.error("order %s: a second payable attempt was refused", order_id)
        return lambda: None
    record_event(
        order, EventKind.PAYMENT_STARTED,
        f"Attempt {attempt} ({payment.merchant_order_id}) sent to Invoicebox.",
        data={"payment_id": payment.id},
    )
    request = create_request(order, payment)
    payment_id = payment.id
    db.session.commit()
    return lambda: _create(order_id, payment_id, request)


def _age(payment: Payment) -> float:
    return (now_utc() - payment.created_at).total_seconds()


# -- talking to Invoicebox, then applying the answer ---------------------------------------


def _create(order_id: int, payment_id: int, request: CreateOrderRequest) -> PaymentResult | None:
    try:
        with gateway.about(order_id=order_id):
            remote = gateway.client().create_order(request)
    except UnknownOutcome as exc:
        return _after_unknown(order_id, payment_id, exc)
    except InvoiceboxError as exc:
        return _after_rejection(order_id, payment_id, exc)

    def apply() -> None:
        order, payment = _lock_both(order_id, payment_id)
        if adopt(payment, remote):
            record_event(
                order, EventKind.PAYMENT_CREATED,
                f"Invoicebox order {remote.id} created for attempt {payment.attempt}.",
                data={"payment_id": payment.id, "invoicebox_order_id": remote.id},
            )

    retry_on_conflict(apply)
    log.info("order %s: Invoicebox order %s created", request.merchant_order_id, remote.id)
    return _where_to(order_id, payment_id)


def _after_rejection(order_id: int, payment_id: int, exc: InvoiceboxError) -> PaymentResult:
    """Nothing was created: a 4xx, a request refused before sending, or no connection."""

    def apply() -> None:
        order, payment = _lock_both(order_id, payment_id)
        if payment.status != PaymentStatus.PENDING:
            return  # a notification or a lookup got there first
        transition(payment, PaymentStatus.FAILED)
        payment.error = str(exc)
        record_event(
            order, EventKind.PAYMENT_FAILED,
            f"Invoicebox did not create attempt {payment.attempt}: "
            f"{exc.code or type(exc).__name__}.",
            data={"payment_id": payment.id, "code": exc.code, "request_id": exc.request_id},
        )

    retry_on_conflict(apply)
    log.warning("payment %s: Invoicebox refused the order: %s", payment_id, exc)
    rejected = isinstance(exc, ApiError | InvalidRequest)
    return PaymentResult(Outcome.REJECTED if rejected else Outcome.UNAVAILABLE)


def _after_unknown(order_id: int, payment_id: int, exc: UnknownOutcome) -> PaymentResult:
    """The create may or may not have happened. Keep the attempt pending for reconciling.

    A 500 is the API's own answer after its handler gave up, so the order can be looked
    up at once and, if absent, believed absent. Silence, 502, 503 or 504 may come from a
    proxy while the API is still working: that attempt waits for
    :func:`~storefront.gateway.in_flight_seconds`.
    """
    merchant_order_id = ""

    def apply() -> None:
        nonlocal merchant_order_id
        order, payment = _lock_both(order_id, payment_id)
        merchant_order_id = payment.merchant_order_id
        payment.error = str(exc)
        record_event(
            order, EventKind.PAYMENT_UNKNOWN,
            f"No clear answer from Invoicebox for attempt {payment.attempt}: "
            f"{_what_came_back(exc)}; it will be looked up before any retry.",
            data={"payment_id": payment.id, "http_status": exc.http_status,
                  "request_id": exc.request_id},
        )

    retry_on_conflict(apply)
    log.warning("order %s: unknown outcome: %s", merchant_order_id, exc)
    if exc.http_status == 500:
        result = _reconcile(order_id, payment_id, merchant_order_id, absent_is_final=True)
        if result is not None:
            return result
    return PaymentResult(Outcome.UNAVAILABLE)


def _what_came_back(exc: UnknownOutcome) -> str:
    """The API's code, or its bare HTTP status (a 500 carries no code), or silence."""
    if exc.code:
        return exc.code
    return f"HTTP {exc.http_status}" if exc.http_status else "no response"


def _check_created(order_id: int, payment_id: int, invoicebox_id: str) -> PaymentResult | None:
    """The attempt is payable as far as we know: check with the API, then reuse it."""
    with gateway.about(order_id=order_id):
        try:
            remote = gateway.client().get_order(invoicebox_id)
        except InvoiceboxError as exc:
            log.warning("payment %s: could not read it back: %s", payment_id, exc)
            remote = None
    if remote is not None:
        _apply(order_id, payment_id, remote, source="status check")
    result = _where_to(order_id, payment_id)
    if result is None or remote is not None:
        return result
    payment = db.session.get(Payment, payment_id)
    if payment.expires_at <= now_utc():
        return PaymentResult(Outcome.UNAVAILABLE)  # cannot confirm it expired unpaid
    return result


def _await_answer(order_id: int, payment_id: int, merchant_order_id: str) -> PaymentResult | None:
    """Another request is creating this attempt right now: wait a little for its answer.

    Two presses of Pay thus end on the same payment page. If the answer takes longer,
    look the attempt up instead, as after a lost answer.
    """
    deadline = time.monotonic() + AWAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(AWAIT_POLL_SECONDS)
        status = db.session.execute(
            db.select(Payment.status).where(Payment.id == payment_id)
        ).scalar_one()
        db.session.commit()
        if status != PaymentStatus.PENDING:
            return _where_to(order_id, payment_id)
    return _reconcile(order_id, payment_id, merchant_order_id)


def _reconcile(order_id: int, payment_id: int, merchant_order_id: str, *,
               absent_is_final: bool = False) -> PaymentResult | None:
    """Find a ``pending`` attempt at Invoicebox by its ``merchantOrderId``.

    Found: adopt it and carry on with it. Absent: if the gateway may still be working on
    the request, say so (``CHECKING``); once ``absent_is_final``, mark it failed and return None
    so that the next round makes a new attempt.
    """
    with gateway.about(order_id=order_id):
        try:
            remote = gateway.client().find_order_by_merchant_order_id(merchant_order_id)
        except InvoiceboxError as exc:
            log.warning("order %s: reconciliation failed: %s", merchant_order_id, exc)
            return PaymentResult(Outcome.UNAVAILABLE)
    if remote is not None:
        _apply(order_id, payment_id, remote, source="reconciliation", adopted=True)
        return _where_to(order_id, payment_id)

    if retry_on_conflict(lambda: fail_if_absent(order_id, payment_id,
                                               absent_is_final=absent_is_final)):
        return None
    return PaymentResult(Outcome.CHECKING)


def fail_if_absent(order_id: int, payment_id: int, *, absent_is_final: bool = False) -> bool:
    """A ``pending`` attempt that Invoicebox does not know: mark it failed, unless the
    gateway may still be working on it. True when it is no longer pending. The caller
    commits (or runs it in :func:`~.locking.retry_on_conflict`)."""
    order, payment = _lock_both(order_id, payment_id)
    if payment.status != PaymentStatus.PENDING:
        return True  # answered meanwhile: decide again
    if not absent_is_final and _age(payment) < gateway.in_flight_seconds():
        return False
    transition(payment, PaymentStatus.FAILED)
    payment.error = "Not found at Invoicebox after an unknown outcome: it was never created."
    record_event(
        order, EventKind.PAYMENT_FAILED,
        f"Attempt {payment.attempt} ({payment.merchant_order_id}) was never created at "
        "Invoicebox.",
        data={"payment_id": payment.id},
    )
    return True


def _apply(order_id: int, payment_id: int, remote: GatewayOrder, *, source: str,
           adopted: bool = False) -> None:
    def apply() -> None:
        order, payment = _lock_both(order_id, payment_id)
        if adopted and payment.status == PaymentStatus.PENDING:
            record_event(
                order, EventKind.PAYMENT_ADOPTED,
                f"Attempt {payment.attempt} exists at Invoicebox as order {remote.id}; "
                "using it.",
                data={"payment_id": payment.id},
            )
        apply_gateway_order(payment, remote, source=source)

    retry_on_conflict(apply)


def _where_to(order_id: int, payment_id: int) -> PaymentResult | None:
    """Where the buyer goes once the attempt's answer is in; None: decide again."""
    order = db.session.get(Order, order_id, populate_existing=True)
    payment = db.session.get(Payment, payment_id, populate_existing=True)
    if is_paid(order):
        result = PaymentResult(Outcome.PAID)
    elif payment.status == PaymentStatus.CREATED:
        result = PaymentResult(Outcome.REDIRECT, payment.payment_url)
    elif payment.status == PaymentStatus.PENDING:
        result = PaymentResult(Outcome.CHECKING)
    else:
        result = None
    db.session.commit()
    return result


def _lock_both(order_id: int, payment_id: int) -> tuple[Order, Payment]:
    """The order, then its payment: the lock order of :mod:`.locking`."""
    return locked(Order, order_id), locked(Payment, payment_id)
