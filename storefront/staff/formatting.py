"""How the staff pages write quantities, phones and the statuses of payments, refunds and
gateway calls (money and times: ``shop.formatting``)."""

from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from ..payments import EventKind
from ..shop.formatting import money, when
from ..shop.validators import format_phone
from ..states import PAYMENT_STATUS_LABELS, SHIPMENT_STATUS_LABELS, RefundRequestStatus

# The words staff read for the statuses of payments and refunds (states.py), of gateway
# calls and of the replies to notifications.
STATUS_WORDS = {
    **PAYMENT_STATUS_LABELS,
    "ok": _l("ok"),
    "error": _l("error"),
    "unknown": _l("unknown"),
    "success": _l("success"),
}

# The words staff read for a buyer's refund request.
REQUEST_STATUS_WORDS = {
    RefundRequestStatus.OPEN: _l("open"),
    RefundRequestStatus.ISSUED: _l("refund issued"),
    RefundRequestStatus.DECLINED: _l("declined"),
}

# A title for each kind of line in an order's history (storefront/payments/events.py).
EVENT_TITLES = {
    EventKind.PLACED: _l("Order placed"),
    EventKind.PAYMENT_STARTED: _l("Payment started"),
    EventKind.PAYMENT_CREATED: _l("Payment page created"),
    EventKind.PAYMENT_ADOPTED: _l("Payment found at Invoicebox"),
    EventKind.PAYMENT_FAILED: _l("Payment not created"),
    EventKind.PAYMENT_UNKNOWN: _l("No clear answer from Invoicebox"),
    EventKind.PAID: _l("Paid"),
    EventKind.HELD: _l("Paid as a guarantee"),
    EventKind.HOLD_CHARGED: _l("Guarantee charged"),
    EventKind.HOLD_REVERSED: _l("Guarantee reversed"),
    EventKind.PAYMENT_CANCELED: _l("Payment canceled"),
    EventKind.PAYMENT_EXPIRED: _l("Payment expired"),
    EventKind.NOTIFICATION_REJECTED: _l("Notification rejected"),
    EventKind.ORDER_CANCELED: _l("Order canceled"),
    EventKind.REFUND_CREATED: _l("Refund created"),
    EventKind.REFUND_COMPLETED: _l("Refund completed"),
    EventKind.REFUND_CANCELED: _l("Refund canceled"),
    EventKind.REFUND_REJECTED: _l("Refund refused"),
    EventKind.REFUND_UNCONFIRMED: _l("Refund unconfirmed"),
    EventKind.REFUND_REQUESTED: _l("Refund requested by the buyer"),
    EventKind.REFUND_REQUEST_DECLINED: _l("Refund request declined"),
    EventKind.REFUND_DRAFTED: _l("Refund drafted"),
    EventKind.CORRECTION_UNCONFIRMED: _l("Fee not kept yet"),
    EventKind.ORDER_STATUS: _l("Status changed"),
    EventKind.STOCK_TAKEN: _l("Taken from stock"),
    EventKind.STOCK_SHORT: _l("Not enough stock"),
    EventKind.UNDELIVERABLE: _l("Not deliverable: shipping_unavailable"),
    EventKind.REVERSAL_ISSUED: _l("Reversal issued"),
    EventKind.REVERSAL_FAILED: _l("Reversal not issued"),
    EventKind.SHIPMENT_CREATED: _l("Shipment registered"),
    EventKind.SHIPMENT_COMPLETED: _l("Shipment completed, documents issued"),
    EventKind.SHIPMENT_CANCELED: _l("Shipment canceled"),
    EventKind.SHIPMENT_REJECTED: _l("Shipment refused"),
    EventKind.SHIPMENT_UNCONFIRMED: _l("Shipment unconfirmed"),
}


# How the service layer writes an amount into a history line: "2490.00 RUB".
_JOURNAL_AMOUNT = re.compile(r"\b([0-9]+)\.([0-9]{2}) RUB\b")


def journal_text(message: str) -> str:
    """A recorded history line with its amounts written as every other amount on the page
    (``2490.00 RUB`` -> ``2 490,00 ₽``); the record itself is left as it was written."""
    return _JOURNAL_AMOUNT.sub(
        lambda found: money(int(found[1]) * 100 + int(found[2])), message)


def status_word(status: str | None) -> str:
    if not status:
        return "—"
    word = STATUS_WORDS.get(status)
    return str(word) if word is not None else status.replace("_", " ")


def request_status_word(status: str) -> str:
    word = REQUEST_STATUS_WORDS.get(status)
    return str(word) if word is not None else status


def shipment_word(status: str) -> str:
    """A shipment's status in words (its statuses share some spellings with payments')."""
    label = SHIPMENT_STATUS_LABELS.get(status)  # type: ignore[call-overload]
    return str(label) if label is not None else status


def event_title(kind: str) -> str:
    title = EVENT_TITLES.get(kind)
    return str(title) if title is not None else kind.replace("_", " ")


# Who last asked Invoicebox about a payment (``Payment.checked_by``), for the order page.
CHECKED_BY = {
    "notification": _l("a notification"),
    "reconcile": _l("reconciliation"),
    "staff": _l("staff"),
    "buyer": _l("the buyer's waiting page"),
}


def checked_by(who: str | None) -> str:
    return str(CHECKED_BY.get(who or "", _l("a status check")))


def quantity(value: Decimal | int | None) -> str:
    """``Decimal('2')`` -> ``2``, ``Decimal('1.500')`` -> ``1.5``."""
    if value is None:
        return "—"
    number = Decimal(value)
    if number == number.to_integral_value():
        return str(number.to_integral_value())
    return f"{number.normalize():f}"


def template_helpers() -> dict[str, object]:
    return {"when": when, "quantity": quantity, "phone": format_phone,
            "journal_text": journal_text}
