"""Asking Invoicebox about a payment instead of waiting for its notification.

:func:`sync_payment` reads the order's open attempts from the API, with no transaction
open, and applies what it learns through :mod:`.transitions`, as a notification would.
:func:`maybe_sync` is what the buyer's waiting page calls: it asks only when the buyer has
waited a while and nobody asked lately.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from .. import gateway
from ..extensions import db
from ..invoicebox import InvoiceboxError, NotFound
from ..invoicebox import Order as GatewayOrder
from ..models import Order, Payment, now_utc
from ..states import PAYMENT_PAYABLE
from .locking import locked, retry_on_conflict
from .transitions import apply_gateway_order, is_paid

log = logging.getLogger(__name__)

# How long the status page waits for the notification before asking the API, and how
# often it may ask about one order (the API allows 100 requests per 30 s per shop).
SYNC_AFTER_SECONDS = 30
SYNC_INTERVAL_SECONDS = 15

# How each checker is named in the order history.
SOURCES = {"staff": "status check", "buyer": "status check", "reconcile": "reconciliation"}


def sync_payment(order: Order, *, by: str = "staff") -> bool:
    """Ask Invoicebox about this order's open payment attempts and apply what changed.

    Each ``pending`` or ``created`` attempt is read by its Invoicebox id, or looked up by
    ``merchantOrderId`` when its creation had an unknown outcome, with no transaction
    open. Paid, canceled and expired are applied as a notification would apply them, each
    in a short transaction under the order's lock. ``by`` is recorded as what checked
    the payment (``staff``, ``buyer``). Returns whether anything changed; commits. A
    gateway that cannot be reached changes nothing.
    """
    order_id = order.id
    open_attempts = [(p.id, p.invoicebox_order_id, p.merchant_order_id)
                     for p in payments_of(order_id) if p.status in PAYMENT_PAYABLE]
    changed = False
    for payment_id, invoicebox_id, merchant_order_id in open_attempts:
        remote = _read_remote(order_id, invoicebox_id, merchant_order_id)
        changed = apply_read(order_id, payment_id, remote, by=by) or changed
    if changed:
        log.info("order %s: status check applied changes", order_id)
    return changed


def read_attempt(order_id: int, invoicebox_id: str | None,
                 merchant_order_id: str) -> GatewayOrder | None:
    """Read one attempt from the API, as :func:`sync_payment` does; None when Invoicebox
    has no such order. Unlike :func:`sync_payment` it lets gateway errors through
    (:class:`RateLimited` among them), so that a runner can tell "absent" from "unknown"
    and back off."""
    return _read_remote(order_id, invoicebox_id, merchant_order_id, strict=True)


def apply_read(order_id: int, payment_id: int, remote: GatewayOrder | None, *,
               by: str) -> bool:
    """Apply what a read found (None: nothing) under the order's lock; commits."""

    def apply() -> bool:
        locked(Order, order_id)
        payment = locked(Payment, payment_id)
        payment.checked_at, payment.checked_by = now_utc(), by
        return remote is not None and apply_gateway_order(payment, remote,
                                                          source=SOURCES.get(by, by))

    return retry_on_conflict(apply)


def maybe_sync(order: Order, *, waited_seconds: float) -> bool:
    """:func:`sync_payment`, if the buyer has waited long enough and nobody asked lately.

    The notification normally arrives within seconds; only after ``SYNC_AFTER_SECONDS``
    of waiting does the status page ask the API, and at most once per
    ``SYNC_INTERVAL_SECONDS`` per order. The right to ask is claimed with one conditional
    ``UPDATE`` of the attempts' ``checked_at``, so of several pollers (tabs, workers) only
    one asks.
    """
    if waited_seconds < SYNC_AFTER_SECONDS or is_paid(order):
        return False
    now = now_utc()
    claimed = db.session.execute(
        db.update(Payment)
        .where(Payment.order_id == order.id, Payment.status.in_(PAYMENT_PAYABLE))
        .where(db.or_(Payment.checked_at.is_(None),
                      Payment.checked_at <= now - timedelta(seconds=SYNC_INTERVAL_SECONDS)))
        .values(checked_at=now)
    ).rowcount
    db.session.commit()
    return bool(claimed) and sync_payment(order, by="buyer")


def payments_of(order_id: int) -> list[Payment]:
    """The order's attempts as the database has them now, oldest first."""
    return list(db.session.execute(
        db.select(Payment).where(Payment.order_id == order_id).order_by(Payment.attempt)
        .execution_options(populate_existing=True)
    ).scalars())


def _read_remote(order_id: int, invoicebox_id: str | None, merchant_order_id: str,
                 *, strict: bool = False) -> GatewayOrder | None:
    with gateway.about(order_id=order_id):
        client = gateway.client()
        try:
            if invoicebox_id:
                return client.get_order(invoicebox_id)
            return client.find_order_by_merchant_order_id(merchant_order_id)
        except NotFound:
            return None
        except InvoiceboxError as exc:
            if strict:
                raise
            log.warning("order %s: status check failed: %s", merchant_order_id, exc)
            return None
