"""Order endpoints: create, filter, get, update, cancel (CONTRACT §2.2–2.5)."""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, request

from .. import orders, shipments
from ..encoding import format_dt, new_id, parse_atom, utcnow
from ..errors import ApiError, field, not_found, validation, wrong_status
from ..services import Services, services
from . import arithmetic, filters
from .auth import merchant_ids, require_merchant
from .common import json_body, many, one
from .validation import CREATE_ORDER, UPDATE_ORDER, check

bp = Blueprint("orders", __name__)
log = logging.getLogger(__name__)

CURRENCIES = ("RUB", "USD", "EUR", "GBP", "CNY", "UZS")
LANGUAGES = ("ru", "en")


def owned_order(conn: sqlite3.Connection, order_id: str) -> dict[str, Any]:
    """The order with this id if the request's account may see it: 404 / 403 otherwise."""
    doc = orders.load(conn, order_id)
    if doc is None:
        raise not_found("Order")
    require_merchant(doc["merchantId"])
    return doc


def checked_expiration(value: Any) -> str:
    """The ATOM expiration date in UTC; 422 ``wrong_expiration_date`` if invalid or past."""
    try:
        moment = parse_atom(value)
    except (TypeError, ValueError) as exc:
        raise ApiError(422, "wrong_expiration_date", "Wrong expiration date",
                       [field("expirationDate", "must be an ATOM datetime with offset")]) from exc
    if moment <= datetime.now(UTC):
        raise ApiError(422, "wrong_expiration_date", "Wrong expiration date",
                       [field("expirationDate", "must be in the future")])
    return format_dt(moment)


def round_policy(svc: Services, doc: dict[str, Any]) -> str:
    return (doc.get("orderSetting") or {}).get("roundPolicy") or svc.config.round_policy_default


def validated_order(svc: Services, body: dict[str, Any]) -> dict[str, Any]:
    """Run every create-order check in the documented order; return the cleaned request.

    Schema (422 validation) → merchant ownership (403) → currency, language, expiration
    (their own 422 codes) → arithmetic (the wrong_* codes).
    """
    clean, problems = check(body, CREATE_ORDER)
    if problems:
        raise validation(problems)
    require_merchant(clean["merchantId"])
    if clean["currencyId"] not in CURRENCIES:
        raise ApiError(422, "wrong_currency", "Wrong currency",
                       [field("currencyId", f"must be one of {', '.join(CURRENCIES)}")])
    if clean.get("languageId", "ru") not in LANGUAGES:
        raise ApiError(422, "language_not_found", "Language not found",
                       [field("languageId", "must be ru or en")])
    clean["expirationDate"] = checked_expiration(clean["expirationDate"])
    arithmetic.check(clean, round_policy(svc, clean), svc.config.strict_arithmetic)
    return clean


def insert_order(svc: Services, conn: sqlite3.Connection, clean: dict[str, Any],
                 status: str = "created") -> dict[str, Any]:
    """Store a validated order; attach it to an existing invoice if ``orderContainerId`` says so."""
    if svc.config.enforce_unique_order_number and orders.number_taken(
            conn, clean["merchantId"], clean["merchantOrderId"]):
        raise ApiError(422, "merchant_order_id_duplicate", "Merchant order id already used",
                       [field("merchantOrderId", "already used")])
    container = clean.get("orderContainerId")
    if container:
        siblings = orders.in_container(conn, container)
        if not siblings:
            raise validation([field("orderContainerId", "no such invoice")])
        require_merchant(siblings[0]["merchantId"])
        if siblings[0]["status"] != "created":
            raise wrong_status(siblings[0]["status"], "add order to invoice")
    now = format_dt(utcnow())
    doc = dict(clean, id=new_id(), orderContainerId=container or new_id(), status=status,
               subtype="order", processingStatus="", createdAt=now, fileIds=[],
               languageId=clean.get("languageId", "ru"),
               processable=clean.get("processable", True))
    if status == "completed":
        doc["paidAt"] = now
    orders.insert(conn, doc)
    log.info("order %s (%s) created for merchant %s: %s %s", doc["id"], doc["merchantOrderId"],
             doc["merchantId"], doc["amount"], doc["currencyId"])
    return doc


@bp.post("/billing/api/order/order")
def create() -> Response:
    svc = services()
    clean = validated_order(svc, json_body())
    with svc.store.transaction() as conn:
        doc = insert_order(svc, conn, clean)
    return one(orders.render(doc, svc.public_base()))


@bp.get("/filter/api/order/order")
def filter_orders() -> Response:
    svc = services()
    query = filters.parse(request.query_string, filters.ORDER_FIELDS)
    with svc.store.read() as conn:
        docs = orders.for_merchants(conn, merchant_ids())
    page, meta = filters.apply(docs, query, filters.ORDER_FIELDS)
    base = svc.public_base()
    return many([orders.render(doc, base) for doc in page], meta)


@bp.get("/billing/api/order/order/<order_id>")
def get_order(order_id: str) -> Response:
    svc = services()
    with svc.store.read() as conn:
        doc = owned_order(conn, order_id)
    return one(orders.render(doc, svc.public_base()))


@bp.put("/billing/api/order/order/<order_id>")
def update(order_id: str) -> Response:
    svc = services()
    body = json_body()
    with svc.store.transaction() as conn:
        doc = owned_order(conn, order_id)
        if doc["status"] != "created":
            raise wrong_status(doc["status"], "update")
        clean, problems = check(body, UPDATE_ORDER)
        if problems:
            raise validation(problems)
        if "expirationDate" in clean:
            clean["expirationDate"] = checked_expiration(clean["expirationDate"])
        merged = dict(doc, **clean)
        arithmetic.check(merged, round_policy(svc, merged), svc.config.strict_arithmetic)
        orders.save(conn, merged)
    log.info("order %s updated: %s", order_id, sorted(clean))
    return one(orders.render(merged, svc.public_base()))


@bp.delete("/billing/api/order/order/<order_id>")
def cancel(order_id: str) -> Response:
    svc = services()
    with svc.store.transaction() as conn:
        doc = owned_order(conn, order_id)
        if doc["status"] == "hold" and shipments.shipped(conn, doc["id"]):
            # a shipment is registered: the guarantee is no longer reversible (CONTRACT §2.5)
            raise wrong_status(doc["status"], "cancel")
        queued = [] if doc["status"] == "canceled" else orders.transition(
            svc, conn, doc, "canceled", "cancel")
    if queued:
        svc.notifier.wake()
    return one(orders.render(doc, svc.public_base()))
