"""``/_sandbox`` controls and read endpoints, for people (admin page forms) and tests (JSON).

Controls take JSON (or an HTML form, in which case they redirect back to the admin page with a
notice). Single objects are returned as plain JSON objects, lists as ``{"data": [...]}``, errors
as ``{"error": {"code", "message", "fields"}}`` with 404 (unknown id), 409 (not possible in the
current status) or 422 (bad input).
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, redirect, request, url_for

from . import orders, refunds, shipments
from .api.common import json_response
from .api.shipments import render as render_shipment
from .encoding import format_dt, utcnow
from .errors import ApiError
from .maintenance import tick
from .notifier import attempt_json, notification_json
from .payment import pay
from .scenarios import SCENARIOS
from .services import services
from .store import load_docs

bp = Blueprint("controls", __name__)
log = logging.getLogger(__name__)

TEST_ORDER_ID = "ffffffff-ffff-ffff-ffff-ffffffffffff"
# A made-up company (its INN has a valid check digit), complete like a real buyer.
MONITORING_CUSTOMER = {
    "type": "legal", "name": "ООО «Проверка связи»", "phone": "70000000000",
    "email": "monitoring@example.com", "vatNumber": "7700000009",
    "taxRegistrationReasonCode": "770001001", "countryId": "RUS",
    "registrationAddress": "101000, Москва, ул. Тестовая, 1",
}
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def from_form() -> bool:
    return request.method == "POST" and request.mimetype in FORM_TYPES


def params() -> dict[str, Any]:
    """The control's input: the JSON body, or the form with empty fields dropped."""
    if from_form():
        return {k: v for k, v in request.form.items() if v.strip()}
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def reply(payload: Any, notice: str) -> Response:
    if from_form():
        return redirect(url_for("admin.index", notice=notice), code=303)
    return json_response(payload)


@bp.errorhandler(ApiError)
def control_error(error: ApiError) -> Response:
    if from_form():
        return redirect(url_for("admin.index", notice=f"Refused: {error.message}"), code=303)
    return json_response(error.body(), error.http_status)


def conflict(message: str) -> ApiError:
    return ApiError(409, "wrong_order_status", message)


def order_view(conn: sqlite3.Connection, doc: dict[str, Any]) -> dict[str, Any]:
    """The order as the API renders it, plus its notifications and every delivery attempt."""
    view = orders.render(doc, services().public_base())
    view["notifications"] = [notification_json(row) for row in conn.execute(
        "SELECT * FROM notifications WHERE order_id = ? ORDER BY id", (doc["id"],))]
    view["notificationAttempts"] = [attempt_json(row) for row in conn.execute(
        "SELECT * FROM attempts WHERE order_id = ? ORDER BY id", (doc["id"],))]
    return view


def load_order(order_id: str) -> dict[str, Any]:
    svc = services()
    tick(svc)
    with svc.store.read() as conn:
        doc = orders.load(conn, order_id)
    if doc is None:
        raise ApiError(404, "not_found", f"Order {order_id} not found")
    return doc


def current_view(order_id: str) -> dict[str, Any]:
    with services().store.read() as conn:
        return order_view(conn, orders.load(conn, order_id))


@bp.get("/health")
def health() -> Response:
    config = services().config
    return json_response({
        "status": "ok", "merchants": [m.id for m in config.merchants],
        "apiPrefixes": list(config.api_prefixes), "publicUrl": services().public_base(),
        "retrySchedule": list(config.retry_schedule),
        "refundCompleteDelay": config.refund_complete_delay_s,
    })


@bp.post("/orders/<order_id>/pay")
def pay_order(order_id: str) -> Response:
    doc = load_order(order_id)
    if doc["status"] != "created":
        raise conflict(f"Order is {doc['status']}; only created orders can be paid")
    guarantee = str(params().get("guarantee", "")).lower() in ("1", "true", "on")
    result = pay(services(), doc["orderContainerId"], guarantee=guarantee)
    if not result.paid:
        raise conflict("Order is no longer payable")
    return reply(current_view(order_id), f"Paid order {doc['merchantOrderId']}")


@bp.post("/orders/<order_id>/decline")
def decline_order(order_id: str) -> Response:
    doc = load_order(order_id)
    if doc["status"] != "created":
        raise conflict(f"Order is {doc['status']}; only created orders can be declined")
    log.info("order %s: payment declined (status stays created)", order_id)
    return reply(current_view(order_id), f"Declined a payment of {doc['merchantOrderId']}")


@bp.post("/orders/<order_id>/expire")
def expire_order(order_id: str) -> Response:
    svc = services()
    load_order(order_id)
    with svc.store.transaction() as conn:
        doc = orders.load(conn, order_id)
        if doc["status"] != "created":
            raise conflict(f"Order is {doc['status']}; only created orders can expire")
        orders.transition(svc, conn, doc, "expired")
    svc.notifier.wake()
    return reply(current_view(order_id), f"Expired order {doc['merchantOrderId']}")


@bp.post("/orders/<order_id>/notify")
def notify_order(order_id: str) -> Response:
    """Queue a fresh notification carrying the order as it is now, due immediately."""
    svc = services()
    doc = load_order(order_id)
    merchant = svc.merchant(doc["merchantId"])
    url = orders.notification_url(doc, merchant)
    if merchant is None or not url:
        raise ApiError(422, "no_notification_url", "Neither the order nor its merchant has a"
                       " notification URL")
    with svc.store.transaction() as conn:
        svc.notifier.enqueue(conn, orders.render(doc, svc.public_base()), merchant, url=url)
    svc.notifier.wake()
    return reply(current_view(order_id), f"Notification queued for {doc['merchantOrderId']}")


def monitoring_test_body(merchant_id: str, base: str) -> dict[str, Any]:
    """The monitoring test of CONTRACT §5.7: id ffff…, an empty ``merchantOrderId``, and
    otherwise every member of a real notification, well-formed, so that a shop's notification
    model (the PHP SDK's needs ``customer.type``) reads it as it reads a payment."""
    now = utcnow()
    doc = {
        "id": TEST_ORDER_ID, "description": "Test notification", "currencyId": "RUB",
        "amount": 1, "vatAmount": 0, "basketItems": [{
            "sku": "test", "name": "Test notification", "measure": "шт", "measureCode": "796",
            "quantity": 1, "amount": 1, "amountWoVat": 1, "totalAmount": 1,
            "totalVatAmount": 0, "vatCode": "VATNONE", "type": "service",
            "paymentType": "full_prepayment"}],
        "orderContainerId": TEST_ORDER_ID, "merchantId": merchant_id, "status": "completed",
        "subtype": "order", "processingStatus": "", "createdAt": format_dt(now),
        "merchantOrderId": "", "merchantOrderIdVisible": "",
        "expirationDate": format_dt(now + timedelta(days=1)), "fileIds": [],
        "paidAt": format_dt(now), "customer": MONITORING_CUSTOMER, "languageId": "ru",
        "processable": True,
    }
    return orders.render(doc, base)


@bp.post("/notifications/test")
def test_notification() -> Response:
    """The monitoring test of CONTRACT §5.7, delivered once, synchronously."""
    svc = services()
    data = params()
    merchant = svc.merchant(data.get("merchantId") or svc.config.merchants[0].id)
    if merchant is None:
        raise ApiError(422, "validation", "Unknown merchantId")
    url = data.get("url") or merchant.notification_url
    if not url:
        raise ApiError(422, "no_notification_url", "Give a url; the merchant has none")
    body = monitoring_test_body(merchant.id, svc.public_base())
    with svc.store.transaction() as conn:
        [notification_id] = svc.notifier.enqueue(conn, body, merchant, url=url, kind="test",
                                                 retries=False, hold=True)
    attempt = svc.notifier.deliver_now(notification_id)
    return reply(attempt, f"Test notification: {attempt['verdict'] if attempt else 'not sent'}")


@bp.post("/refunds/<refund_id>/complete")
def complete_refund(refund_id: str) -> Response:
    svc = services()
    with svc.store.transaction() as conn:
        doc = refunds.load(conn, refund_id)
        if doc is None:
            raise ApiError(404, "not_found", f"Refund {refund_id} not found")
        if doc["status"] != "created":
            raise conflict(f"Refund is {doc['status']}; only created refunds can complete")
        refunds.transition(svc, conn, doc, "completed")
    return reply(refunds.render(doc), f"Refund {doc['merchantOrderId']} completed")


@bp.post("/refunds/<refund_id>/cancel")
def cancel_refund(refund_id: str) -> Response:
    """Invoicebox cancels a refund that is not paid out yet (a ``draft`` or ``created`` one,
    CONTRACT §4.2): it no longer counts against what is refundable."""
    svc = services()
    with svc.store.transaction() as conn:
        doc = refunds.load(conn, refund_id)
        if doc is None:
            raise ApiError(404, "not_found", f"Refund {refund_id} not found")
        if "canceled" not in refunds.TRANSITIONS.get(doc["status"], ()):
            raise conflict(f"Refund is {doc['status']}; it can no longer be canceled")
        refunds.transition(svc, conn, doc, "canceled")
    return reply(refunds.render(doc), f"Refund {doc['merchantOrderId']} canceled")


def _shipment(conn: sqlite3.Connection, shipment_id: int) -> dict[str, Any]:
    doc = shipments.load(conn, shipment_id)
    if doc is None:
        raise ApiError(404, "not_found", f"Shipment {shipment_id} not found")
    return doc


def shipment_view(conn: sqlite3.Connection, doc: dict[str, Any]) -> dict[str, Any]:
    """The shipment as the API renders it, plus the fiscal documents it produced."""
    return dict(render_shipment(doc), documents=shipments.documents(conn, doc["id"]))


@bp.post("/shipments/<int:shipment_id>/advance")
def advance_shipment(shipment_id: int) -> Response:
    """One step along draft -> pending -> completed, now."""
    svc = services()
    with svc.store.transaction() as conn:
        doc = _shipment(conn, shipment_id)
        if doc["status"] not in shipments.NEXT:
            raise conflict(f"Shipment is {doc['status']}; it cannot advance")
        queued = shipments.advance(svc, conn, doc)
        view = shipment_view(conn, doc)
    if queued:
        svc.notifier.wake()
    return reply(view, f"Shipment {shipment_id} is {doc['status']}")


@bp.post("/shipments/<int:shipment_id>/cancel")
def cancel_shipment(shipment_id: int) -> Response:
    svc = services()
    with svc.store.transaction() as conn:
        doc = _shipment(conn, shipment_id)
        if doc["status"] not in shipments.NEXT:
            raise conflict(f"Shipment is {doc['status']}; only draft or pending ones can be"
                           " canceled")
        shipments.transition(svc, conn, doc, "canceled")
        view = shipment_view(conn, doc)
    return reply(view, f"Shipment {shipment_id} canceled")


@bp.get("/api/shipments")
def api_shipments() -> Response:
    """Every shipment with its fiscal documents, newest first (``?orderId=`` narrows)."""
    svc = services()
    tick(svc)
    order_id = request.args.get("orderId")
    with svc.store.read() as conn:
        if order_id:
            rows = conn.execute("SELECT doc FROM shipments WHERE order_id = ? ORDER BY id DESC",
                                (order_id,))
        else:
            rows = conn.execute("SELECT doc FROM shipments ORDER BY id DESC")
        return json_response({"data": [shipment_view(conn, doc) for doc in load_docs(rows)]})


@bp.post("/scenarios")
def add_scenario() -> Response:
    data = params()
    try:
        scenario = services().scenarios.add(
            str(data.get("name", "")), int(data.get("count", 1)),
            float(data["seconds"]) if data.get("seconds") is not None else None,
            data.get("method"), data.get("path"))
    except (ValueError, TypeError) as exc:
        raise ApiError(422, "validation", str(exc)) from exc
    log.info("scenario armed: %s", scenario)
    return reply(scenario.as_json(), f"Scenario {scenario.name} armed")


@bp.get("/scenarios")
def list_scenarios() -> Response:
    return json_response({"data": services().scenarios.list(), "known": SCENARIOS})


@bp.delete("/scenarios")
@bp.post("/scenarios/clear")
def clear_scenarios() -> Response:
    cleared = services().scenarios.clear()
    return reply({"cleared": cleared}, f"Cleared {cleared} scenario(s)")


@bp.post("/reset")
def reset() -> Response:
    svc = services()
    svc.store.reset()
    svc.scenarios.clear()
    svc.limiter.clear()
    svc.counters.clear()
    return reply({"status": "reset"}, "State wiped")


@bp.get("/api/counters")
def api_counters() -> Response:
    """API requests received since start or reset, per ``"METHOD /path"`` (no query)."""
    return json_response(services().counters.snapshot())


@bp.post("/api/counters/clear")
def clear_counters() -> Response:
    services().counters.clear()
    return reply({"status": "cleared"}, "Counters cleared")


@bp.get("/api/orders")
def api_orders() -> Response:
    svc = services()
    tick(svc)
    number = request.args.get("merchantOrderId")
    with svc.store.read() as conn:
        sql, args = "SELECT doc FROM orders ORDER BY seq DESC", ()
        if number is not None:
            sql = "SELECT doc FROM orders WHERE merchant_order_id = ? ORDER BY seq DESC"
            args = (number,)
        docs = load_docs(conn.execute(sql, args))
        return json_response({"data": [order_view(conn, doc) for doc in docs]})


@bp.get("/api/orders/<order_id>")
def api_order(order_id: str) -> Response:
    load_order(order_id)
    return json_response(current_view(order_id))


@bp.get("/api/refunds")
def api_refunds() -> Response:
    svc = services()
    tick(svc)
    with svc.store.read() as conn:
        docs = refunds.all_refunds(conn, request.args.get("parentId"))
    return json_response({"data": [refunds.render(doc) for doc in docs]})


@bp.get("/api/notifications")
def api_notifications() -> Response:
    """Every delivery attempt, newest first (``?orderId=`` narrows to one order)."""
    order_id = request.args.get("orderId")
    with services().store.read() as conn:
        if order_id:
            rows = conn.execute("SELECT * FROM attempts WHERE order_id = ? ORDER BY id DESC",
                                (order_id,))
        else:
            rows = conn.execute("SELECT * FROM attempts ORDER BY id DESC")
        return json_response({"data": [attempt_json(row) for row in rows]})
