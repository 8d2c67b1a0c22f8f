"""The messages the shop sends, each queued by one function in the transaction of the
change it tells about (see :mod:`.outbox`). Nothing here talks to a mail server.

Buyer messages speak the order's language (``Order.language``, chosen at checkout). The
refund request messages take plain values, so that the code answering a request can call
them without this module knowing its tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from flask import current_app

from ..i18n import DEFAULT_LANGUAGE, LANGUAGES
from ..invoicebox import kopecks_to_decimal
from ..models import Order, Payment, Refund, Shipment
from ..states import PAYMENT_HELD
from .outbox import MailKind, enqueue

__all__ = [
    "queue_order_placed",
    "queue_order_shipped",
    "queue_order_undeliverable",
    "queue_payment_received",
    "queue_refund_issued",
    "queue_refund_request_answered",
    "queue_refund_request_received",
    "public_url",
]


def queue_order_placed(order: Order) -> bool:
    """"Your order is placed", with its lines and the link to the buyer's order page."""
    return _to_buyer(order, MailKind.ORDER_PLACED, order.id, {
        "amount": _amount(order.amount),
        "lines": _lines((line.name, line.quantity, line.total) for line in order.lines),
    })


def queue_payment_received(order: Order) -> bool:
    """"Payment received": the amount paid. Queued by the one paid transition."""
    return _to_buyer(order, MailKind.PAYMENT_RECEIVED, order.id,
                     {"amount": _amount(order.amount)})


def queue_order_shipped(order: Order, shipment: Shipment) -> bool:
    """"Your order is on its way": what one completed shipment carried, under which
    document. Queued once per shipment, when Invoicebox reports it completed."""
    return _to_buyer(order, MailKind.ORDER_SHIPPED, shipment.id, {
        "document_number": shipment.document_number,
        "document_date": shipment.document_date.isoformat(),
        "lines": [{"name": _line_name(line.order_line, order.language),
                   "quantity": line.quantity, "total": None} for line in shipment.lines],
    })


def queue_order_undeliverable(order: Order, payment: Payment) -> bool:
    """"We cannot deliver your order; the money comes back in full": queued with the
    order's move to ``undeliverable`` (shipment control). A guarantee ``payment`` was only
    reserved: it is released rather than refunded, and the message says so."""
    return _to_buyer(order, MailKind.ORDER_UNDELIVERABLE, order.id, {
        "amount": _amount(order.amount),
        "guarantee": payment.status in PAYMENT_HELD,
    })


def queue_refund_issued(order: Order, refund: Refund) -> bool:
    """"Your refund is on its way back": queued when Invoicebox completes the refund."""
    return _to_buyer(order, MailKind.REFUND_ISSUED, refund.id, {
        "amount": _amount(refund.amount),
        "lines": _lines((line.name, line.quantity, line.total) for line in refund.lines),
    })


def queue_refund_request_answered(
    *, request_id: int, order_id: int | None, order_number: str, public_token: str,
    email: str, language: str, issued: bool, staff_message: str = "",
    amount: Decimal | None = None,
) -> bool:
    """To the buyer: their refund request was answered, ``issued`` (with the ``amount``
    refunded, when known) or declined, with the staff's ``staff_message``."""
    return enqueue(MailKind.REFUND_REQUEST_ANSWERED, request_id, to=email,
                   language=_language(language), order_id=order_id, context={
                       "number": order_number,
                       "link": public_url("shop.order", token=public_token),
                       "issued": bool(issued),
                       "message": staff_message or "",
                       "amount": _decimal(amount) if amount is not None else None,
                   })


def queue_refund_request_received(
    *, request_id: int, order_id: int | None, order_number: str,
    lines: Sequence[tuple[str, int]], reason: str, staff_url: str | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> bool:
    """To the staff (``STOREFRONT_STAFF_EMAIL``): a buyer asks for a refund of ``lines``
    (``(name, quantity)`` pairs) because of ``reason``. ``staff_url`` is the request's
    staff page; without it, the order's."""
    return enqueue(MailKind.REFUND_REQUEST_RECEIVED, request_id,
                   to=current_app.config.get("STOREFRONT_STAFF_EMAIL") or "",
                   language=_language(language), order_id=order_id, context={
                       "number": order_number,
                       "lines": [{"name": name, "quantity": int(quantity)}
                                 for name, quantity in lines],
                       "reason": reason or "",
                       "link": staff_url or public_url("staff.order", number=order_number),
                   })


def public_url(endpoint: str, **values: Any) -> str:
    """``STOREFRONT_PUBLIC_URL`` plus the route's path, with or without a request."""
    path = current_app.url_map.bind("shop.invalid").build(endpoint, values)
    return current_app.config["STOREFRONT_PUBLIC_URL"].rstrip("/") + path


def _to_buyer(order: Order, kind: MailKind, about: int, context: dict[str, Any]) -> bool:
    context.update(number=order.number, name=order.customer_name,
                   link=public_url("shop.order", token=order.public_token))
    return enqueue(kind, about, to=order.customer_email, language=_language(order.language),
                   context=context, order_id=order.id)


def _line_name(line: Any, language: str | None) -> str:
    """The product's name in the buyer's language, as their order page shows it, else
    the name the line was sold under."""
    product = getattr(line, "product", None)
    if language == "en" and product is not None and product.name_en:
        return product.name_en
    return line.name


def _lines(rows: Iterable[tuple[str, int, int]]) -> list[dict[str, Any]]:
    return [{"name": name, "quantity": quantity, "total": _amount(total)}
            for name, quantity, total in rows]


def _amount(kopecks: int) -> str:
    return _decimal(kopecks_to_decimal(kopecks))


def _decimal(amount: Decimal) -> str:
    return str(Decimal(amount).quantize(Decimal("0.01")))


def _language(language: str | None) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE
