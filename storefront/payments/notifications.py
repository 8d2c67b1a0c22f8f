"""Applying a payment notification from Invoicebox (CONTRACT §5), check by check.

:func:`handle_notification` takes the raw body and the ``X-Signature`` header and returns
the :class:`~storefront.invoicebox.NotificationReply` to send, always with HTTP 200. The
checks run in the order of §5.9; the first that fails decides the reply:

==  ==========================================================  ======================
 1  body larger than :data:`MAX_BODY_BYTES` (not even read)      ``signature_error``
 1  no notification key configured (never fail open)            ``out_of_service``
 1  ``X-Signature`` missing or not the HMAC of the raw body      ``signature_error``
 2  body is not JSON, or JSON but not an object                 ``out_of_service``
 3  ``merchantId`` missing, not a string, or not ours           ``order_not_found``
 4  ``id`` is the monitoring test id                            ``success``, no effect
 5  ``id`` missing/not a string, or no payment has it:
      its ``merchantOrderId``'s order is already paid           ``order_already_paid``
      otherwise                                                 ``order_not_found``
 5  ``merchantOrderId`` is not the one of that payment          ``order_not_found``
 6  ``status`` ``canceled``/``cancelled``/``expired``            recorded, ``success``
 6  ``status`` not ``completed``/``success`` (or not a string)   ``order_wrong_status``
 7  this payment is already completed (a replay)                ``success``, no effect
 7  the order was paid through another payment                  ``order_already_paid``
 8  ``amount`` not a number, or not the payment's amount to the
    kopeck; ``currencyId`` not the order's currency             ``order_wrong_amount``
 9  the payment cannot become paid (e.g. expired in the shop)   ``order_wrong_status``
 9  shipment control on and the goods are not in stock: the
    order is undeliverable, its reversal recorded (and so is
    every later copy for it); a ``hold`` likewise, reversed
    by the runner's ``DELETE``                                  ``shipping_unavailable``
 9  marked paid                                                 ``success``
10  any unexpected failure (rolled back, so the gateway retries) ``out_of_service``
==  ==========================================================  ======================

Every notification with a valid signature is stored as a
:class:`~storefront.models.Notification` row (raw body, its size and sha256, the ids it
names, the reply, whether it changed anything): in the same transaction as the change it
made, so no change is ever without its record, or in a commit of its own when its
transaction failed. Ids are only read from bodies whose signature was valid. If storing
fails the reply becomes ``out_of_service`` so the gateway sends it again.

A notification whose signature could not be verified comes from anybody, so what it
gets written is bounded (:mod:`.unverified`): it is counted in its hour's row, and within
the hour's budget kept as a row too, with its whole body or only its size, sha256 and
first bytes; beyond the budget, only the count. Its reply is the same either way.

The one exception is a verified, byte-identical copy of a notification that already
found its payment completed: the worker remembers those (:mod:`.replays`) and answers
the copy ``success`` without a query. The request's log line names it (``replay``, the
order and the Invoicebox order), but it is not stored again: its bytes are those of the
stored first copy.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..invoicebox import (
    MONITORING_ID,
    NotificationReply,
    ReplyCode,
    parse_datetime,
    verify_signature,
)
from ..models import Notification, Order, Payment, append, now_utc
from ..request_log import note
from ..states import OrderStatus, PaymentStatus, payment_status_for
from .events import EventKind, record_event
from .holds import HoldResult, apply_hold_news, concerns_hold
from .locking import lock_found, retry_on_conflict
from .replays import Remembered, ReplayMemory
from .transitions import CLOSED, PaidResult, amount_matches, is_paid, mark_closed, mark_paid
from .unverified import Budget, keep_within_budget

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
REPLAYS = "storefront.notification_replays"  # the app.extensions key of the memory
Reply = NotificationReply  # a short name for the one reply type used throughout
SUCCESS = NotificationReply.success()


def out_of_service(message: str = "Temporary failure; please retry.") -> Reply:
    """The one reply Invoicebox answers by sending the notification again."""
    return Reply.error(ReplyCode.OUT_OF_SERVICE, message)


@dataclass
class _Record:
    """What will be stored about one notification."""

    raw_body: bytes
    signature_valid: bool = False
    invoicebox_order_id: str | None = None
    merchant_order_id: str | None = None
    gateway_status: str | None = None
    order_id: int | None = None
    payment_id: int | None = None
    applied: bool = False
    completed: bool = False  # the payment is completed: every identical copy gets `success`
    replayed: bool = False  # answered from the worker's memory of such notifications
    extra: dict[str, Any] = field(default_factory=dict)


def handle_notification(body: bytes | None, signature: str | None) -> Reply:
    """Check, apply and store one notification; return the reply. Never raises.

    ``body`` is the exact raw request body, or None when it was larger than
    :data:`MAX_BODY_BYTES` and therefore not read.
    """
    record = _Record(raw_body=body or b"")
    try:
        reply = _verify(body, signature, record)
        if reply is not None:
            reply = _store(record, reply)
        elif (remembered := _replays().recall(record.raw_body)) is not None:
            reply = _replayed(record, remembered)
        else:
            reply = retry_on_conflict(lambda: _apply_and_keep(record))  # commits
            if record.completed:  # committed: from now on a copy is answered from memory
                _replays().remember(
                    record.raw_body, Remembered(record.invoicebox_order_id, record.order_id))
    except Exception:
        log.exception("notification %s: failed while applying", record.invoicebox_order_id)
        db.session.rollback()
        record.applied = False
        reply = _store(record, out_of_service())
    _log(record, reply)
    return reply


def _apply_and_keep(record: _Record) -> Reply:
    """The one transaction of a verified notification: the change it makes and its row,
    so that no payment is ever without its notification. The caller commits it."""
    reply = _apply(record.raw_body, record)
    append(_notification_row(record, reply))
    return reply


def _verify(body: bytes | None, signature: str | None, record: _Record) -> Reply | None:
    """Step 1: the signature, before anything is read from the body."""
    if body is None:
        return Reply.error(ReplyCode.SIGNATURE_ERROR,
                           f"Body larger than {MAX_BODY_BYTES} bytes; not read.")
    key = current_app.config.get("INVOICEBOX_NOTIFICATION_KEY") or ""
    if not key:
        log.error("INVOICEBOX_NOTIFICATION_KEY is empty: notifications cannot be verified")
        return out_of_service("The shop cannot verify notifications right now.")
    if not signature:
        return Reply.error(ReplyCode.SIGNATURE_ERROR, "X-Signature header is missing.")
    algorithm = current_app.config["INVOICEBOX_SIGNATURE_ALGORITHM"]
    if not verify_signature(body, signature, key, algorithm):
        return Reply.error(ReplyCode.SIGNATURE_ERROR, "X-Signature does not match the body.")
    record.signature_valid = True
    return None


def _replays() -> ReplayMemory:
    """This worker's memory of notifications that completed their payment."""
    memory = current_app.extensions.get(REPLAYS)
    if memory is None:
        memory = current_app.extensions.setdefault(REPLAYS, ReplayMemory())
    return memory


def _replayed(record: _Record, remembered: Remembered) -> Reply:
    """A verified copy of a notification that completed its payment: `success`, no query."""
    record.invoicebox_order_id = remembered.invoicebox_order_id
    record.order_id = remembered.order_id
    record.replayed = True
    return SUCCESS


def _apply(body: bytes, record: _Record) -> Reply:
    """Steps 2-9, for a body with a valid signature. Runs inside one transaction."""
    record.applied = record.completed = False  # this may be a second run after a lost race
    try:
        # Decimal keeps the amount exactly as sent: 2790.67 stays 2790.67.
        data = json.loads(body, parse_float=Decimal)
    except (UnicodeDecodeError, ValueError):
        return out_of_service("Body is not valid JSON.")
    if not isinstance(data, dict):
        return out_of_service("Body is not a JSON object.")
    gateway_id = _text(data.get("id"))
    merchant_order_id = _text(data.get("merchantOrderId"))
    status = _text(data.get("status"))
    record.invoicebox_order_id, record.merchant_order_id = gateway_id, merchant_order_id
    record.gateway_status = status

    if _text(data.get("merchantId")) != current_app.config["INVOICEBOX_MERCHANT_ID"]:
        return Reply.error(ReplyCode.ORDER_NOT_FOUND, "Unknown merchantId.")
    if gateway_id == MONITORING_ID:
        return SUCCESS

    found = _locked_payment(gateway_id)
    if found is None:
        other = _payment_by_merchant_order_id(merchant_order_id)
        if other is not None and is_paid(other.order):
            record.order_id = other.order_id
            return Reply.error(ReplyCode.ORDER_ALREADY_PAID, "The order is already paid.")
        return Reply.error(ReplyCode.ORDER_NOT_FOUND, "No order with this id.")
    order, payment = found
    record.order_id, record.payment_id = order.id, payment.id
    if merchant_order_id != payment.merchant_order_id:
        return _reject(order, ReplyCode.ORDER_NOT_FOUND,
                       "merchantOrderId does not match the order.")

    reported = payment_status_for(status)
    if concerns_hold(payment, reported):  # a guarantee payment: see .holds
        return _hold(order, payment, reported, data, record)
    if reported in CLOSED:
        record.applied = mark_closed(payment, reported)
        _checked(payment)
        return SUCCESS
    if reported != PaymentStatus.COMPLETED:
        return _reject(order, ReplyCode.ORDER_WRONG_STATUS, f"Status {status!r} is not handled.")
    if payment.status == PaymentStatus.COMPLETED:
        if order.status == OrderStatus.UNDELIVERABLE:
            return _undeliverable()
        record.completed = True
        return SUCCESS
    if is_paid(order):
        return _reject(order, ReplyCode.ORDER_ALREADY_PAID, "The order is already paid.")
    if not amount_matches(payment, _number(data.get("amount")), _text(data.get("currencyId"))):
        return _reject(order, ReplyCode.ORDER_WRONG_AMOUNT, "Amount or currency does not match.")

    result = mark_paid(payment, paid_at=_paid_at(data), source="notification",
                       checked_by="notification")
    if result is PaidResult.APPLIED:
        record.applied = record.completed = True
        return SUCCESS
    if result is PaidResult.UNDELIVERABLE:
        record.applied = True
        return _undeliverable()
    _checked(payment)
    if result is PaidResult.REPLAY:
        if order.status == OrderStatus.UNDELIVERABLE:  # read under the lock by mark_paid
            return _undeliverable()
        record.completed = True
        return SUCCESS
    if result is PaidResult.ORDER_ALREADY_PAID:
        return _reject(order, ReplyCode.ORDER_ALREADY_PAID, "The order is already paid.")
    log.error("order %s: paid at Invoicebox but %s in the shop", order.number, payment.status)
    return _reject(order, ReplyCode.ORDER_WRONG_STATUS, "The payment cannot be marked paid.")


def _undeliverable(held: bool = False) -> Reply:
    """Shipment control: the goods are not there; Invoicebox shows the buyer a failure and
    the shop returns the money (the runner issues the refund, or for a guarantee cancels
    the order with DELETE; CONTRACT §5.4)."""
    return Reply.error(ReplyCode.SHIPPING_UNAVAILABLE,
                       "The goods cannot be delivered; the guarantee will be reversed in full."
                       if held else
                       "The goods cannot be delivered; the payment will be refunded in full.")


def _hold(order: Order, payment: Payment, reported: PaymentStatus | None,
          data: dict[str, Any], record: _Record) -> Reply:
    result = apply_hold_news(payment, reported, amount=_number(data.get("amount")),
                             currency=_text(data.get("currencyId")), paid_at=_paid_at(data),
                             source="notification")
    _checked(payment)
    if result is HoldResult.WRONG_AMOUNT:
        return _reject(order, ReplyCode.ORDER_WRONG_AMOUNT, "Amount or currency does not match.")
    if result is HoldResult.CONFLICT:
        return _reject(order, ReplyCode.ORDER_WRONG_STATUS, "The payment cannot be held.")
    if result in (HoldResult.UNDELIVERABLE, HoldResult.UNDELIVERABLE_REPLAY):
        record.applied = result is HoldResult.UNDELIVERABLE
        return _undeliverable(held=True)
    record.applied = result is HoldResult.APPLIED
    record.completed = reported == PaymentStatus.COMPLETED
    return SUCCESS


def _reject(order: Order, code: ReplyCode, message: str) -> Reply:
    """An error reply about a known order, noted in its history for the staff."""
    record_event(order, EventKind.NOTIFICATION_REJECTED,
                 f"Notification answered {code}: {message}", data={"code": code.value})
    return Reply.error(code, message)


def _locked_payment(invoicebox_order_id: str | None) -> tuple[Order, Payment] | None:
    """The payment with this Invoicebox id and its order, read and locked in one
    statement (order first: the lock order); the transitions find the locks held."""
    if not invoicebox_order_id:
        return None
    found = lock_found(_BY_GATEWAY_ID, Order, Payment, gateway_id=invoicebox_order_id)
    return None if found is None else (found[0], found[1])


_BY_GATEWAY_ID = (db.select(Order, Payment).join(Payment, Payment.order_id == Order.id)
                  .where(Payment.invoicebox_order_id == db.bindparam("gateway_id")))


def _payment_by_merchant_order_id(merchant_order_id: str | None) -> Payment | None:
    if not merchant_order_id:
        return None
    # The order comes in the same statement: one round trip, one consistent snapshot.
    query = (db.select(Payment).options(joinedload(Payment.order))
             .where(Payment.merchant_order_id == merchant_order_id))
    return db.session.execute(query).scalar_one_or_none()


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: object) -> Decimal | None:
    """A JSON number as Decimal; None for anything else (a string, true, null ...)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        return None
    return Decimal(value)


def _paid_at(data: dict[str, Any]) -> datetime | None:
    moment = parse_datetime(data.get("paidAt"))
    return moment if moment is not None and moment.tzinfo is not None else None


def _log(record: _Record, reply: Reply) -> None:
    note(order_id=record.order_id, invoicebox_order_id=record.invoicebox_order_id,
         notification="replay" if record.replayed else reply.status)
    if record.replayed:  # the request's own line says it all: which order, and "replay"
        return
    log.info(
        "notification id=%s merchantOrderId=%s status=%s signature=%s -> %s%s",
        record.invoicebox_order_id, record.merchant_order_id, record.gateway_status,
        "valid" if record.signature_valid else "invalid",
        reply.status, f" {reply.code}" if reply.code else "",
    )


def _store(record: _Record, reply: Reply) -> Reply:
    """Keep the notification and our verdict, in a commit of its own; an unverified one
    only as far as the hour's budget allows."""
    try:
        row = _notification_row(record, reply)
        if record.signature_valid:
            append(row)
        else:
            keep_within_budget(row, Budget.from_config(current_app.config))
        db.session.commit()
    except Exception:
        log.exception("notification %s: could not be stored", record.invoicebox_order_id)
        db.session.rollback()
        return out_of_service()
    return reply


def _notification_row(record: _Record, reply: Reply) -> Notification:
    def clip(value: str | None, size: int) -> str | None:
        return value[:size] if value else None

    return Notification.of_body(
        record.raw_body,
        signature_valid=record.signature_valid,
        invoicebox_order_id=clip(record.invoicebox_order_id, 64),
        merchant_order_id=clip(record.merchant_order_id, 256),
        gateway_status=clip(record.gateway_status, 50),
        order_id=record.order_id,
        payment_id=record.payment_id,
        reply_status=reply.status,
        reply_code=reply.code,
        reply_message=reply.message,
        applied=record.applied,
    )


def _checked(payment: Payment) -> None:
    """Record that a notification brought news of ``payment`` (its row is locked now)."""
    db.session.execute(db.update(Payment).where(Payment.id == payment.id)
                       .values(checked_at=now_utc(), checked_by="notification"))
