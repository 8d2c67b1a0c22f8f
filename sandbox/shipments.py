"""Shipments: the status machine, the fiscal documents they produce, and the hold charge.

A shipment is registered as ``draft`` and moves ``draft → pending → completed`` on the
sandbox's clock (``shipment_step_delay_s`` per step, ``SANDBOX_SHIPMENT_DELAY``) or one step at
a time through ``POST /_sandbox/shipments/<id>/advance``; ``/cancel`` ends a draft or pending
one as ``canceled`` (CONTRACT §4.3). Canceled shipments no longer count toward the shipped
total.

When a shipment completes, the sandbox records the document Invoicebox would issue for it
(CONTRACT §2.10, docs/merchant/fz54.md): for a private buyer the cash receipt with the
settlement method "full settlement" (tag 1214 = 4), offsetting the prepayment taken at payment;
for a company the UPD (universal transfer document, status 1). These are sandbox records shown
on the admin page and at ``/_sandbox/api/shipments``; the API's shipment object does not carry
them.

A guarantee (hold) payment is charged by its final shipment: when the shipment that brings the
shipped total to the order's amount (or one sent with ``final: true``) completes, the order moves
``hold → completed`` and the shop is notified of ``completed``.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import orders
from .encoding import format_dt, to_decimal, utcnow
from .errors import wrong_status
from .store import dump_doc, load_doc, load_docs

if TYPE_CHECKING:
    from .services import Services

log = logging.getLogger(__name__)

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("pending", "canceled"),
    "pending": ("completed", "canceled"),
}
NEXT = {"draft": "pending", "pending": "completed"}
LIVE = tuple(NEXT)
SETTLEMENT = {"code": 4, "name": "Полный расчёт"}


def total(items: list[dict[str, Any]], key: str = "totalAmount") -> Decimal:
    return sum((to_decimal(item[key]) for item in items), Decimal(0))


def load(conn: sqlite3.Connection, shipment_id: int) -> dict[str, Any] | None:
    row = conn.execute("SELECT doc FROM shipments WHERE id = ?", (shipment_id,)).fetchone()
    return load_doc(row["doc"]) if row else None


def of_order(conn: sqlite3.Connection, order_id: str) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT doc FROM shipments WHERE order_id = ? ORDER BY id",
                        (order_id,)).fetchall()
    return load_docs(rows)


def shipped(conn: sqlite3.Connection, order_id: str) -> Decimal:
    """Σ totalAmount over the order's shipments that are not canceled."""
    return sum((total(d["basketItems"]) for d in of_order(conn, order_id)
                if d["status"] != "canceled"), Decimal(0))


def _save(conn: sqlite3.Connection, doc: dict[str, Any], due_at: float | None) -> None:
    conn.execute("UPDATE shipments SET doc = ? WHERE id = ?", (dump_doc(doc), doc["id"]))
    conn.execute("DELETE FROM shipment_due WHERE shipment_id = ?", (doc["id"],))
    if due_at is not None:
        conn.execute("INSERT INTO shipment_due (shipment_id, due_at) VALUES (?, ?)",
                     (doc["id"], due_at))


def _due(svc: Services, status: str) -> float | None:
    return time.time() + svc.config.shipment_step_delay_s if status in LIVE else None


def insert(svc: Services, conn: sqlite3.Connection, order: dict[str, Any],
           clean: dict[str, Any]) -> dict[str, Any]:
    """Register a validated shipment of ``order`` as ``draft`` (inside a transaction)."""
    items = clean["basketItems"]
    doc = dict(clean, merchantId=order["merchantId"], final=clean.get("final", False),
               status="draft", amount=total(items), vatAmount=total(items, "totalVatAmount"),
               createdAt=format_dt(utcnow()))
    cursor = conn.execute("INSERT INTO shipments (order_id, merchant_id, doc) VALUES (?, ?, '{}')",
                          (order["id"], order["merchantId"]))
    doc["id"] = cursor.lastrowid
    _save(conn, doc, _due(svc, "draft"))
    return doc


def transition(svc: Services, conn: sqlite3.Connection, doc: dict[str, Any],
               status: str) -> list[int]:
    """Move a shipment one step; returns notification ids queued by a hold charge."""
    if status not in TRANSITIONS.get(doc["status"], ()):
        raise wrong_status(doc["status"], status)
    log.info("shipment %s: %s -> %s", doc["id"], doc["status"], status)
    doc["status"] = status
    _save(conn, doc, _due(svc, status))
    if status != "completed":
        return []
    order = orders.load(conn, doc["orderId"])
    issue_document(svc, conn, order, doc)
    return _charge_hold(svc, conn, order, doc)


def advance(svc: Services, conn: sqlite3.Connection, doc: dict[str, Any]) -> list[int]:
    """One step along ``draft → pending → completed``."""
    if doc["status"] not in NEXT:
        raise wrong_status(doc["status"], "advance")
    return transition(svc, conn, doc, NEXT[doc["status"]])


def _charge_hold(svc: Services, conn: sqlite3.Connection, order: dict[str, Any],
                 doc: dict[str, Any]) -> list[int]:
    if order["status"] != "hold":
        return []
    completed = sum((total(d["basketItems"]) for d in of_order(conn, order["id"])
                     if d["status"] == "completed"), Decimal(0))
    if not doc.get("final") and completed < to_decimal(order["amount"]):
        return []
    log.info("order %s: hold charged by shipment %s", order["id"], doc["id"])
    return orders.transition(svc, conn, order, "completed", "shipment")


def step_due(svc: Services, conn: sqlite3.Connection) -> int:
    """Advance every shipment whose step is due (the sandbox's clock)."""
    rows = conn.execute("SELECT shipment_id FROM shipment_due WHERE due_at <= ?",
                        (time.time(),)).fetchall()
    queued = 0
    for row in rows:
        doc = load(conn, row["shipment_id"])
        if doc is not None and doc["status"] in NEXT:
            queued += len(advance(svc, conn, doc))
    return queued


# -- fiscal documents -------------------------------------------------------------------------
def _lines(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": item["name"], "sku": item["sku"], "quantity": item["quantity"],
             "price": to_decimal(item["amount"]), "total": to_decimal(item["totalAmount"]),
             "vatCode": item["vatCode"], "vatAmount": to_decimal(item["totalVatAmount"]),
             "settlement": SETTLEMENT["name"]} for item in items]


def issue_document(svc: Services, conn: sqlite3.Connection, order: dict[str, Any],
                   shipment: dict[str, Any]) -> dict[str, Any]:
    """Record the receipt (private buyer) or UPD (company) for a completed shipment."""
    customer = order.get("customer") if isinstance(order.get("customer"), dict) else {}
    items = shipment["basketItems"]
    merchant = svc.merchant(order["merchantId"])
    doc: dict[str, Any] = {
        "shipmentId": shipment["id"], "orderId": order["id"],
        "merchantOrderId": order["merchantOrderId"],
        "seller": merchant.name if merchant else order["merchantId"],
        "issuedAt": format_dt(utcnow()), "lines": _lines(items),
        "total": total(items), "vatTotal": total(items, "totalVatAmount"),
    }
    if customer.get("type") == "legal":
        doc.update(kind="upd", title="УПД (статус 1): счёт-фактура и передаточный документ",
                   number=shipment.get("documentNumber") or str(shipment["id"]),
                   date=shipment.get("documentDate") or utcnow().date().isoformat(),
                   buyer={"name": customer.get("name"), "inn": customer.get("vatNumber"),
                          "kpp": customer.get("taxRegistrationReasonCode")})
    else:
        doc.update(kind="receipt", title="Кассовый чек: приход, полный расчёт",
                   operation="Приход", settlement=SETTLEMENT,
                   prepaymentOffset=total(items),
                   buyer={"email": customer.get("email"), "phone": customer.get("phone")})
    cursor = conn.execute(
        "INSERT INTO fiscal_documents (shipment_id, order_id, kind, doc) VALUES (?, ?, ?, ?)",
        (shipment["id"], order["id"], doc["kind"], dump_doc(doc)))
    doc["id"] = cursor.lastrowid
    log.info("shipment %s: %s %s issued for %s", shipment["id"], doc["kind"], doc["id"],
             doc["total"])
    return doc


def documents(conn: sqlite3.Connection, shipment_id: int | None = None) -> list[dict[str, Any]]:
    if shipment_id is None:
        rows = conn.execute("SELECT id, doc FROM fiscal_documents ORDER BY id DESC").fetchall()
    else:
        rows = conn.execute("SELECT id, doc FROM fiscal_documents WHERE shipment_id = ?"
                            " ORDER BY id", (shipment_id,)).fetchall()
    return [dict(load_doc(row["doc"]), id=row["id"]) for row in rows]
