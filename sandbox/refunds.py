"""Refund orders: what is still refundable, creation with over-refund protection, completion.

A refund is a child of a paid order. Its lines are matched to the parent's lines by ``sku``; the
remainder of a line is tracked as money (CONTRACT §2.6, §7.7)::

    available = line.totalAmount − Σ totalAmount of that sku in refunds that are not canceled

Since the parent's amount is the sum of its lines, keeping every sku within its remainder also
keeps the refunded total within the order amount. Refunds move ``created → completed`` after
``refund_complete_delay_s`` (or on demand); drafts wait for a correction order (§7.9).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .encoding import format_dt, new_id, to_decimal, utcnow
from .errors import ApiError, field, validation, wrong_status
from .orders import ordered, render_items
from .store import dump_doc, load_docs

if TYPE_CHECKING:
    from .services import Services

log = logging.getLogger(__name__)

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("created", "canceled"),
    "created": ("completed", "canceled"),
}
REFUND_KEYS = ("id", "parentId", "description", "merchantOrderId", "merchantId", "amount",
               "vatAmount", "currencyId", "basketItems", "createdAt", "status",
               "correctionOrderId", "netAmount")


def render(doc: dict[str, Any]) -> dict[str, Any]:
    return ordered(dict(doc, basketItems=render_items(doc["basketItems"])), REFUND_KEYS)


def load(conn: sqlite3.Connection, refund_id: str) -> dict[str, Any] | None:
    rows = conn.execute("SELECT doc FROM refunds WHERE id = ?", (refund_id,)).fetchall()
    return load_docs(rows)[0] if rows else None


def for_merchants(conn: sqlite3.Connection, merchant_ids: list[str]) -> list[dict[str, Any]]:
    marks = ", ".join("?" * len(merchant_ids))
    rows = conn.execute(f"SELECT doc FROM refunds WHERE merchant_id IN ({marks}) ORDER BY seq",
                        merchant_ids).fetchall()
    return load_docs(rows)


def all_refunds(conn: sqlite3.Connection, parent_id: str | None = None) -> list[dict[str, Any]]:
    if parent_id:
        rows = conn.execute("SELECT doc FROM refunds WHERE parent_id = ? ORDER BY seq DESC",
                            (parent_id,)).fetchall()
    else:
        rows = conn.execute("SELECT doc FROM refunds ORDER BY seq DESC").fetchall()
    return load_docs(rows)


def _complete_at(svc: Services, status: str) -> float | None:
    """When a refund entering ``status`` completes on its own: only ``created`` ones do."""
    return time.time() + svc.config.refund_complete_delay_s if status == "created" else None


def _save(conn: sqlite3.Connection, doc: dict[str, Any], complete_at: float | None) -> None:
    conn.execute("UPDATE refunds SET status = ?, complete_at = ?, doc = ? WHERE id = ?",
                 (doc["status"], complete_at, dump_doc(doc), doc["id"]))


def refunded_by_sku(conn: sqlite3.Connection, parent_id: str) -> dict[str, list[Decimal]]:
    """Σ (totalAmount, totalVatAmount) per sku over the parent's refunds that still count."""
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    rows = conn.execute("SELECT doc FROM refunds WHERE parent_id = ? AND status != 'canceled'",
                        (parent_id,)).fetchall()
    for refund in load_docs(rows):
        for item in refund["basketItems"]:
            totals[item["sku"]][0] += to_decimal(item["totalAmount"])
            totals[item["sku"]][1] += to_decimal(item["totalVatAmount"])
    return totals


def available(conn: sqlite3.Connection, order: dict[str, Any]) -> list[dict[str, Any]]:
    """The parent's lines with ``availableAmount``/``availableVatAmount`` (exhausted lines: 0)."""
    if order["status"] != "completed":
        raise wrong_status(order["status"], "refund-basket-item")
    done = refunded_by_sku(conn, order["id"])
    result = []
    for item in render_items(order["basketItems"]):
        spent, spent_vat = done.get(item["sku"], (Decimal(0), Decimal(0)))
        item["availableAmount"] = max(Decimal(0), to_decimal(item["totalAmount"]) - spent)
        item["availableVatAmount"] = max(Decimal(0),
                                         to_decimal(item["totalVatAmount"]) - spent_vat)
        result.append(item)
    return result


def create(svc: Services, conn: sqlite3.Connection, parent: dict[str, Any],
           body: dict[str, Any]) -> dict[str, Any]:
    """Insert a validated refund of ``parent`` (call inside a transaction)."""
    if parent["status"] != "completed":
        raise wrong_status(parent["status"], "refund")
    if conn.execute("SELECT 1 FROM refunds WHERE merchant_id = ? AND merchant_order_id = ?",
                    (parent["merchantId"], body["merchantOrderId"])).fetchone():
        raise ApiError(422, "merchant_order_id_duplicate",
                       "Merchant order id already used for another refund",
                       [field("merchantOrderId", "already used")])
    lines = {item["sku"]: to_decimal(item["totalAmount"]) for item in parent["basketItems"]}
    unknown = [field(f"basketItems[{i}].sku", f"no line with sku {item['sku']!r} in the order")
               for i, item in enumerate(body["basketItems"]) if item["sku"] not in lines]
    if unknown:
        raise validation(unknown)
    done = refunded_by_sku(conn, parent["id"])
    wanted: dict[str, Decimal] = defaultdict(Decimal)
    excess = []
    for index, item in enumerate(body["basketItems"]):
        sku = item["sku"]
        wanted[sku] += to_decimal(item["totalAmount"])
        left = lines[sku] - done[sku][0] if sku in done else lines[sku]
        if wanted[sku] > left:
            excess.append(field(f"basketItems[{index}].totalAmount",
                                f"exceeds available amount {left} for sku {sku}"))
    if excess:
        raise ApiError(422, "wrong_total_amount", "Refund exceeds the refundable amount", excess)
    doc = {
        "id": new_id(), "parentId": parent["id"], "description": body["description"],
        "merchantOrderId": body["merchantOrderId"], "merchantId": parent["merchantId"],
        "amount": body["amount"], "vatAmount": body["vatAmount"],
        "currencyId": parent["currencyId"], "basketItems": body["basketItems"],
        "createdAt": format_dt(utcnow()), "status": body.get("status", "created"),
    }
    complete_at = _complete_at(svc, doc["status"])
    conn.execute(
        "INSERT INTO refunds (id, parent_id, merchant_id, merchant_order_id, status,"
        " complete_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (doc["id"], doc["parentId"], doc["merchantId"], doc["merchantOrderId"], doc["status"],
         complete_at, dump_doc(doc)),
    )
    log.info("refund %s (%s) of order %s: %s %s, %s", doc["id"], doc["merchantOrderId"],
             parent["id"], doc["amount"], doc["currencyId"], doc["status"])
    return doc


def transition(svc: Services, conn: sqlite3.Connection, doc: dict[str, Any],
               status: str) -> None:
    """Move a refund along its status machine; 422 ``wrong_order_status`` otherwise."""
    if status not in TRANSITIONS.get(doc["status"], ()):
        raise wrong_status(doc["status"], status)
    log.info("refund %s: %s -> %s", doc["id"], doc["status"], status)
    doc["status"] = status
    _save(conn, doc, _complete_at(svc, status))


def attach_correction(svc: Services, conn: sqlite3.Connection, refund: dict[str, Any],
                      correction: dict[str, Any]) -> None:
    """A correction order keeps a fee from a draft refund: net it off and release the refund."""
    refund["correctionOrderId"] = correction["id"]
    refund["netAmount"] = to_decimal(refund["amount"]) - to_decimal(correction["amount"])
    transition(svc, conn, refund, "created")


def complete_due(svc: Services, conn: sqlite3.Connection) -> int:
    rows = conn.execute("SELECT doc FROM refunds WHERE status = 'created' AND complete_at <= ?",
                        (time.time(),)).fetchall()
    for doc in load_docs(rows):
        transition(svc, conn, doc, "completed")
    return len(rows)
