"""Refund endpoints: refundable lines, create, filter, correction order (CONTRACT §2.6–2.9)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from .. import orders, refunds
from ..encoding import to_decimal
from ..errors import ApiError, field, not_found, validation, wrong_status
from ..services import services
from . import arithmetic, filters
from .auth import merchant_ids, require_merchant
from .common import json_body, many, one
from .orders import insert_order, owned_order, round_policy, validated_order
from .validation import CREATE_REFUND, check

bp = Blueprint("refunds", __name__)


@bp.get("/billing/api/order/order/<order_id>/refund-basket-item")
def refundable_items(order_id: str) -> Response:
    with services().store.read() as conn:
        return many(refunds.available(conn, owned_order(conn, order_id)))


@bp.post("/billing/api/order/refund-order")
def create() -> Response:
    svc = services()
    clean, problems = check(json_body(), CREATE_REFUND)
    if problems:
        raise validation(problems)
    # One transaction from the availability check to the insert: two concurrent refunds of
    # the same line cannot both see the old remainder.
    with svc.store.transaction() as conn:
        parent = owned_order(conn, clean["parentId"])
        if parent["status"] != "completed":
            raise wrong_status(parent["status"], "refund")
        arithmetic.check(clean, round_policy(svc, parent), svc.config.strict_arithmetic)
        doc = refunds.create(svc, conn, parent, clean)
    return one(refunds.render(doc))


@bp.get("/filter/api/order/refund-order")
def filter_refunds() -> Response:
    query = filters.parse(request.query_string, filters.REFUND_FIELDS)
    with services().store.read() as conn:
        docs = refunds.for_merchants(conn, merchant_ids())
    page, meta = filters.apply(docs, query, filters.REFUND_FIELDS)
    return many([refunds.render(doc) for doc in page], meta)


@bp.post("/billing/api/order/correction-order")
def correction() -> Response:
    """A paid order holding the fee kept from a draft refund; the refund is then released."""
    svc = services()
    clean = validated_order(svc, json_body())
    if not clean.get("parentId"):
        raise validation([field("parentId", "the id of a draft refund is required", "required")])
    with svc.store.transaction() as conn:
        refund = refunds.load(conn, clean["parentId"])
        if refund is None:
            raise not_found("Refund")
        require_merchant(refund["merchantId"])
        if clean["merchantId"] != refund["merchantId"]:
            raise validation([field("merchantId", "must be the refund's merchant")])
        if refund["status"] != "draft":
            raise wrong_status(refund["status"], "correction-order")
        if clean["currencyId"] != refund["currencyId"]:
            raise ApiError(422, "wrong_currency", "Wrong currency",
                           [field("currencyId", f"must be the refund's, {refund['currencyId']}")])
        if to_decimal(clean["amount"]) > to_decimal(refund["amount"]):
            raise ApiError(422, "wrong_total_amount", "Correction exceeds the refund",
                           [field("amount", f"must be at most {refund['amount']}")])
        doc = insert_order(svc, conn, clean, status="completed")
        refunds.attach_correction(svc, conn, refund, doc)
    return one(orders.render(doc, svc.public_base()))

