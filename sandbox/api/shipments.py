"""Shipment endpoints (CONTRACT §2.10): register what was delivered for a paid order.

The shipped total of an order may not exceed its amount (over-shipment is a 422
``wrong_total_amount``), and lines must name skus of the order.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from flask import Blueprint, Response, request

from ..encoding import format_dt, to_decimal, utcnow
from ..errors import ApiError, field, validation, wrong_status
from ..orders import ordered, render_items
from ..services import services
from ..store import dump_doc, load_docs
from . import arithmetic, filters
from .auth import merchant_ids
from .common import json_body, many, one
from .orders import owned_order, round_policy
from .validation import CREATE_SHIPMENT, check

bp = Blueprint("shipments", __name__)
log = logging.getLogger(__name__)

SHIPMENT_KEYS = ("id", "orderId", "merchantId", "documentNumber", "documentDate",
                 "basketItems", "final", "status", "amount", "vatAmount", "createdAt")


def render(doc: dict) -> dict:
    return ordered(dict(doc, basketItems=render_items(doc["basketItems"])), SHIPMENT_KEYS)


def _total(items: list[dict], key: str = "totalAmount") -> Decimal:
    return sum((to_decimal(item[key]) for item in items), Decimal(0))


@bp.post("/billing/api/order/shipment")
def create() -> Response:
    svc = services()
    clean, problems = check(json_body(), CREATE_SHIPMENT)
    if problems:
        raise validation(problems)
    items = clean["basketItems"]
    with svc.store.transaction() as conn:
        order = owned_order(conn, clean["orderId"])
        if order["status"] not in ("completed", "hold"):
            raise wrong_status(order["status"], "shipment")
        arithmetic.check({"basketItems": items}, round_policy(svc, order),
                         svc.config.strict_arithmetic)
        skus = {item["sku"] for item in order["basketItems"]}
        unknown = [field(f"basketItems[{i}].sku", f"no line with sku {item['sku']!r}")
                   for i, item in enumerate(items) if item["sku"] not in skus]
        if unknown:
            raise validation(unknown)
        rows = conn.execute("SELECT doc FROM shipments WHERE order_id = ?",
                            (order["id"],)).fetchall()
        shipped = sum((_total(d["basketItems"]) for d in load_docs(rows)
                       if d["status"] != "canceled"), Decimal(0))
        left = to_decimal(order["amount"]) - shipped
        if _total(items) > left:
            raise ApiError(422, "wrong_total_amount", "Shipment exceeds the order amount",
                           [field("basketItems", f"exceeds the unshipped amount {left}")])
        doc = dict(clean, merchantId=order["merchantId"], final=clean.get("final", False),
                   status="completed", amount=_total(items),
                   vatAmount=_total(items, "totalVatAmount"), createdAt=format_dt(utcnow()))
        cursor = conn.execute("INSERT INTO shipments (order_id, merchant_id, doc)"
                              " VALUES (?, ?, '{}')", (order["id"], order["merchantId"]))
        doc["id"] = cursor.lastrowid
        conn.execute("UPDATE shipments SET doc = ? WHERE id = ?", (dump_doc(doc), doc["id"]))
    log.info("shipment %s for order %s: %s", doc["id"], order["id"], doc["amount"])
    return one(render(doc))


@bp.get("/filter/api/order/shipment")
@bp.get("/billing/api/order/shipment")
def list_shipments() -> Response:
    query = filters.parse(request.query_string, filters.SHIPMENT_FIELDS)
    ids = merchant_ids()
    with services().store.read() as conn:
        rows = conn.execute(
            f"SELECT doc FROM shipments WHERE merchant_id IN ({', '.join('?' * len(ids))})"
            " ORDER BY id", ids).fetchall()
    page, meta = filters.apply(load_docs(rows), query, filters.SHIPMENT_FIELDS)
    return many([render(doc) for doc in page], meta)
