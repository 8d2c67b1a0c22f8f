"""Shipment endpoints (CONTRACT §2.10): register what was delivered for a paid order.

The shipped total of an order may not exceed its amount (over-shipment is a 422
``wrong_total_amount``), and lines must name skus of the order. A new shipment is ``draft``;
:mod:`sandbox.shipments` moves it on to ``pending`` and ``completed``.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request

from .. import shipments
from ..encoding import to_decimal
from ..errors import ApiError, field, validation, wrong_status
from ..orders import ordered, render_items
from ..services import services
from ..store import load_docs
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
        left = to_decimal(order["amount"]) - shipments.shipped(conn, order["id"])
        if shipments.total(items) > left:
            raise ApiError(422, "wrong_total_amount", "Shipment exceeds the order amount",
                           [field("basketItems", f"exceeds the unshipped amount {left}")])
        doc = shipments.insert(svc, conn, order, clean)
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
