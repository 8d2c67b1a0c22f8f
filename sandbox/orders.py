"""Orders: storage, rendering and the status machine (CONTRACT §4.1).

An order is stored as its API document without ``paymentUrl``, which is derived from the
container id and the current public base URL when rendered, so a restart on another port still
hands out working links.

All status changes go through :func:`transition`, which knows the allowed moves, stamps
``paidAt``, saves, and queues a notification when the merchant is notified of that status.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from typing import TYPE_CHECKING, Any

from .encoding import format_dt, parse_atom, utcnow
from .errors import wrong_status
from .store import dump_doc, load_docs

if TYPE_CHECKING:
    from .config import Merchant
    from .services import Services

log = logging.getLogger(__name__)

# created is the live state; hold (a guarantee payment, CONTRACT §4.1) ends in completed when
# its final shipment charges it, or in canceled when the shop reverses it; the rest is terminal.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "created": ("completed", "hold", "expired", "canceled"),
    "hold": ("completed", "canceled"),
}

ORDER_KEYS = (
    "id", "description", "currencyId", "shopId", "amount", "vatAmount", "basketItems",
    "orderContainerId", "merchantId", "status", "subtype", "processingStatus", "createdAt",
    "merchantOrderId", "merchantOrderIdVisible", "expirationDate", "fileIds", "returnUrl",
    "successUrl", "failUrl", "notificationUrl", "paymentUrl", "paidAt", "customer",
    "languageId", "processable", "invoiceSetting", "orderSetting", "metaData", "parentId",
    "userAccountId",
)
ITEM_KEYS = (
    "sku", "name", "groupName", "measure", "measureCode", "originCountry", "originCountryCode",
    "grossWeight", "netWeight", "quantity", "amount", "amountWoVat", "totalAmount",
    "totalVatAmount", "excise", "vatCode", "type", "serviceDate", "paymentType", "categoryType",
    "category", "metaData",
)
CUSTOMER_KEYS = ("type", "name", "phone", "email", "vatNumber", "taxRegistrationReasonCode",
                 "countryId", "registrationAddress")


def ordered(doc: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """Copy of ``doc`` with ``keys`` first, in that order, like the gateway's responses."""
    result = {key: doc[key] for key in keys if key in doc}
    result.update((key, value) for key, value in doc.items() if key not in result)
    return result


def render_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [ordered(item, ITEM_KEYS) for item in items]


def render(doc: dict[str, Any], base: str) -> dict[str, Any]:
    """The OrderResponse for ``doc``, with ``paymentUrl`` built from ``base``."""
    full = dict(doc, paymentUrl=f"{base}/order/{doc['orderContainerId']}")
    full["basketItems"] = render_items(doc["basketItems"])
    if isinstance(doc.get("customer"), dict):
        full["customer"] = ordered(doc["customer"], CUSTOMER_KEYS)
    return ordered(full, ORDER_KEYS)


def _columns(doc: dict[str, Any]) -> tuple[Any, ...]:
    expires = parse_atom(doc["expirationDate"]).timestamp()
    return (doc["merchantId"], doc["merchantOrderId"], doc["orderContainerId"], doc["status"],
            expires, dump_doc(doc))


def insert(conn: sqlite3.Connection, doc: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO orders (merchant_id, merchant_order_id, container_id, status, expires_at,"
        " doc, id) VALUES (?, ?, ?, ?, ?, ?, ?)", (*_columns(doc), doc["id"]),
    )


def save(conn: sqlite3.Connection, doc: dict[str, Any]) -> None:
    conn.execute(
        "UPDATE orders SET merchant_id = ?, merchant_order_id = ?, container_id = ?,"
        " status = ?, expires_at = ?, doc = ? WHERE id = ?", (*_columns(doc), doc["id"]),
    )


def load(conn: sqlite3.Connection, order_id: str) -> dict[str, Any] | None:
    rows = conn.execute("SELECT doc FROM orders WHERE id = ?", (order_id,)).fetchall()
    return load_docs(rows)[0] if rows else None


def in_container(conn: sqlite3.Connection, container_id: str) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT doc FROM orders WHERE container_id = ? ORDER BY seq",
                        (container_id,)).fetchall()
    return load_docs(rows)


def for_merchants(conn: sqlite3.Connection, merchant_ids: list[str]) -> list[dict[str, Any]]:
    """Orders of these merchants, in creation order."""
    marks = ", ".join("?" * len(merchant_ids))
    rows = conn.execute(f"SELECT doc FROM orders WHERE merchant_id IN ({marks}) ORDER BY seq",
                        merchant_ids).fetchall()
    return load_docs(rows)


def number_taken(conn: sqlite3.Connection, merchant_id: str, merchant_order_id: str) -> bool:
    return conn.execute(
        "SELECT 1 FROM orders WHERE merchant_id = ? AND merchant_order_id = ?",
        (merchant_id, merchant_order_id),
    ).fetchone() is not None


def notification_url(doc: dict[str, Any], merchant: Merchant | None) -> str | None:
    """Where notifications about ``doc`` go: its own ``notificationUrl``, else the merchant's
    (CONTRACT §5.1)."""
    return doc.get("notificationUrl") or (merchant.notification_url if merchant else None)


def transition(svc: Services, conn: sqlite3.Connection, doc: dict[str, Any],
               status: str, operation: str | None = None, *, hold: bool = False) -> list[int]:
    """Move ``doc`` to ``status`` and persist it. Returns queued notification ids.

    Raises a 422 ``wrong_order_status`` ApiError if the move is not allowed. ``hold`` keeps the
    notification away from the background worker (the caller delivers it itself).
    """
    if status not in TRANSITIONS.get(doc["status"], ()):
        raise wrong_status(doc["status"], operation or status)
    previous, doc["status"] = doc["status"], status
    if status in ("completed", "hold") and not doc.get("paidAt"):
        doc["paidAt"] = format_dt(utcnow())
    save(conn, doc)
    log.info("order %s (%s): %s -> %s", doc["id"], doc["merchantOrderId"], previous, status)
    if status not in svc.config.notify_on:
        return []
    merchant = svc.merchant(doc["merchantId"])
    if merchant is None:
        log.warning("order %s belongs to an unconfigured merchant; not notified", doc["id"])
        return []
    return svc.notifier.enqueue(conn, render(doc, svc.public_base()), merchant,
                                url=notification_url(doc, merchant), hold=hold)


def expire_due(svc: Services, conn: sqlite3.Connection) -> int:
    """Expire every unpaid order whose expirationDate has passed (lazy and periodic expiry)."""
    rows = conn.execute("SELECT doc FROM orders WHERE status = 'created' AND expires_at <= ?",
                        (time.time(),)).fetchall()
    for doc in load_docs(rows):
        transition(svc, conn, doc, "expired")
    return len(rows)


def pay_container(svc: Services, container_id: str, hold: bool = False,
                  guarantee: bool = False) -> tuple[list[dict[str, Any]], list[int]]:
    """Pay every unpaid order of an invoice in one transaction (the Pay button).

    ``guarantee`` pays with a pre-authorisation: the orders go to ``hold`` instead of
    ``completed`` until their final shipment charges them.

    Returns the paid orders and the queued notification ids; no payable order → empty lists.
    The re-check and the status change happen under the write lock, so two concurrent Pay
    clicks cannot both pay.
    """
    with svc.store.transaction() as conn:
        expire_due(svc, conn)
        payable = [d for d in in_container(conn, container_id) if d["status"] == "created"]
        notifications: list[int] = []
        for doc in payable:
            notifications += transition(svc, conn, doc, "hold" if guarantee else "completed",
                                        "pay", hold=hold)
    if notifications:
        svc.notifier.wake()
    return payable, notifications
