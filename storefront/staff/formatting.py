"""How the staff pages write quantities, phones and the statuses of payments, refunds and
gateway calls (money and times: ``shop.formatting``)."""

from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from ..shop.formatting import money, when
from ..shop.validators import format_phone

# The words staff read for the statuses of payments, refunds, calls and notification replies.
STATUS_WORDS = {
    "pending": _l("pending"),
    "created": _l("created"),
    "completed": _l("completed"),
    "canceled": _l("canceled"),
    "expired": _l("expired"),
    "failed": _l("failed"),
    "rejected": _l("rejected"),
    "ok": _l("ok"),
    "error": _l("error"),
    "unknown": _l("unknown"),
    "success": _l("success"),
}

# A title for each kind of line in an order's history (storefront/payments/events.py).
EVENT_TITLES = {
    "placed": _l("Order placed"),
    "payment_started": _l("Payment started"),
    "payment_created": _l("Payment page created"),
    "payment_adopted": _l("Payment found at Invoicebox"),
    "payment_failed": _l("Payment not created"),
    "payment_unknown": _l("No clear answer from Invoicebox"),
    "paid": _l("Paid"),
    "payment_canceled": _l("Payment canceled"),
    "payment_expired": _l("Payment expired"),
    "notification_rejected": _l("Notification rejected"),
    "canceled": _l("Order canceled"),
    "cancel_reason": _l("Reason for canceling"),
    "refund_created": _l("Refund created"),
    "refund_completed": _l("Refund completed"),
    "refund_canceled": _l("Refund canceled"),
    "refund_rejected": _l("Refund refused"),
    "refund_unconfirmed": _l("Refund unconfirmed"),
    "status": _l("Status changed"),
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


def event_title(kind: str) -> str:
    title = EVENT_TITLES.get(kind)
    return str(title) if title is not None else kind.replace("_", " ")


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
