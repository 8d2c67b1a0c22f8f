"""The shop as a real HTTP server for a test, and the buyer's steps over plain HTTP.

Usage::

    app = make_app(INVOICEBOX_API_URL=sandbox.url)
    with LiveShop(app) as shop:                         # http://127.0.0.1:<free port>
        answer = checkout(shop.url, [("french-press-350", 2)])
        answer.location                                 # 303 to the sandbox's paymentUrl
        token = checkout_paid_order(shop, sandbox)      # bought, paid, confirmed

``LiveShop(app)`` serves ``app`` with a threaded werkzeug server on a free loopback port
and points its ``STOREFRONT_PUBLIC_URL`` at itself, so that the URLs it gives Invoicebox
(notification, success, fail, return) reach it. Build the app on the sandbox's URL
before the first request: the Invoicebox client is created once, from the config.

The helpers below drive the shop the way a browser does (session cookie, CSRF token,
the checkout form's one-time token) with ``requests``; nothing in the shop is patched.

For tests without a sandbox, :class:`FakeInvoicebox` answers the API's order endpoints at
``FAKE_API_URL`` through ``responses``, with the SDK's real bodies filled in from the
request; :func:`notification` and :func:`signed_headers` build gateway-style notifications.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import responses
from flask import Flask
from sqlalchemy.orm import selectinload
from werkzeug.serving import make_server

from storefront.extensions import db
from storefront.invoicebox import gateway_json, sign
from storefront.models import Order, Payment
from tests.conftest import DEMO_MERCHANT_ID, DEMO_NOTIFICATION_KEY, FAKE_API_URL

PRIVATE_BUYER = {
    "customer_type": "private",
    "full_name": "Анна Смирнова",
    "email": "anna@example.ru",
    "phone": "+7 (900) 111-22-33",
    "consent": "y",
}
COMPANY_BUYER = {
    "customer_type": "legal",
    "full_name": "ООО «Ромашка»",
    "email": "buh@romashka.example",
    "phone": "8 495 123-45-67",
    "inn": "7707083893",
    "kpp": "773601001",
    "address": "117997, г. Москва, ул. Вавилова, д. 19",
    "consent": "y",
}


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "invoicebox"
MONITORING_ID = "ffffffff-ffff-ffff-ffff-ffffffffffff"
ORDERS_PATH = "/v3/billing/api/order/order"
FILTER_PATH = "/v3/filter/api/order/order"
COMPANY_PATH = "/v3/filter/api/counterparty-detail"
PAY_BASE = "https://pay.invoicebox.test/order/"


def fixture_json(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


class FakeInvoicebox:
    """The order endpoints of the API, with state, behind ``responses``.

    ``create_mode``:

    * ``accept``: create the order and answer 200 with it;
    * ``reject``: 422 ``validation`` (a definite rejection, nothing created);
    * ``error500``: 500 without creating anything;
    * ``timeout``: no answer, nothing created;
    * ``timeout_created``: no answer, but the order was created (the realistic unknown outcome).
    """

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.mock = mock
        self.create_mode = "accept"
        self.created: list[dict[str, Any]] = []  # bodies of every create request
        self.orders: dict[str, dict[str, Any]] = {}  # by Invoicebox id
        self.reads = 0
        mock.add_callback(responses.POST, FAKE_API_URL + ORDERS_PATH, callback=self._create)
        mock.add_callback(responses.GET, FAKE_API_URL + FILTER_PATH, callback=self._filter)
        # Company details by INN: an empty registry unless a test adds records.
        self.companies: dict[str, dict[str, Any]] = {}
        mock.add_callback(responses.GET, FAKE_API_URL + COMPANY_PATH, callback=self._company)

    def order_for(self, merchant_order_id: str) -> dict[str, Any]:
        return next(o for o in self.orders.values() if o["merchantOrderId"] == merchant_order_id)

    def set_status(self, merchant_order_id: str, status: str, **fields: Any) -> dict[str, Any]:
        order = self.order_for(merchant_order_id)
        order.update(status=status, **fields)
        return order

    def _create(self, request: requests.PreparedRequest):
        sent = json.loads(request.body)
        self.created.append(sent)
        headers = {"X-Request-Id": uuid.uuid4().hex}
        if self.create_mode == "reject":
            return 422, headers, json.dumps(fixture_json("contract-validation-response.json"))
        if self.create_mode == "error500":
            return 500, headers, json.dumps(fixture_json("contract-server-error-response.json"))
        if self.create_mode == "timeout":
            return 0, {}, requests.exceptions.ReadTimeout("read timed out")
        order = self._store(sent)
        if self.create_mode == "timeout_created":
            return 0, {}, requests.exceptions.ReadTimeout("read timed out")
        return 200, headers, json.dumps({"data": order, "extendedData": []})

    def _store(self, sent: dict[str, Any]) -> dict[str, Any]:
        order = copy.deepcopy(fixture_json("success-create-order-response.json")["data"])
        container = str(uuid.uuid4())
        order.update(sent)
        order.update(
            id=str(uuid.uuid4()),
            orderContainerId=container,
            paymentUrl=PAY_BASE + container,
            status="created",
            createdAt="2026-01-01T10:00:00+00:00",
        )
        order.pop("shopId", None)
        self.orders[order["id"]] = order
        return order

    def _filter(self, request: requests.PreparedRequest):
        self.reads += 1
        query = parse_qs(urlsplit(request.url).query)
        rows = list(self.orders.values())
        if "id" in query:
            rows = [o for o in rows if o["id"] == query["id"][0]]
        if "merchantOrderId" in query:
            rows = [o for o in rows if o["merchantOrderId"] == query["merchantOrderId"][0]]
        body = {"data": rows, "metaData": {"totalCount": len(rows), "pageSize": 100, "page": 1},
                "extendedData": []}
        return 200, {"X-Request-Id": uuid.uuid4().hex}, json.dumps(body)

    def _company(self, request: requests.PreparedRequest):
        inn = parse_qs(urlsplit(request.url).query).get("vatNumber", [""])[-1]
        rows = [self.companies[inn]] if inn in self.companies else []
        body = {"data": rows, "metaData": {"totalCount": len(rows), "pageSize": 30, "page": 1},
                "extendedData": []}
        return 200, {"X-Request-Id": uuid.uuid4().hex}, json.dumps(body)


def notification(**fields: Any) -> dict[str, Any]:
    """A payment notification shaped like the gateway's (the order object, §5.2)."""
    body = copy.deepcopy(fixture_json("success-get-order-response.json")["data"][0])
    body.update(
        merchantId=DEMO_MERCHANT_ID,
        status="completed",
        currencyId="RUB",
        paidAt="2026-01-01T10:05:00+00:00",
        basketItems=[],
    )
    body.update(fields)
    return body


def encode(body: Mapping[str, Any] | list[Any]) -> bytes:
    """Serialise like the gateway: PHP json_encode, money as given (Decimal stays exact)."""
    return gateway_json(body)


def signed_headers(raw: bytes, key: str = DEMO_NOTIFICATION_KEY,
                   algorithm: str = "sha1") -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Signature": sign(raw, key, algorithm)}


class LiveShop:
    """A Flask app served on ``http://127.0.0.1:<free port>`` in a thread; a context manager.

    Attributes: ``url`` (no trailing slash), ``port`` and ``app``.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.url = ""
        self.port = 0
        self._server = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> LiveShop:
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.app.config["STOREFRONT_PUBLIC_URL"] = self.url
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"live-shop-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def order(self, public_token: str) -> Order:
        """The order as the database has it now, with its lines and payments."""
        return order_snapshot(self.app, public_token)


def order_snapshot(app: Flask, public_token: str | None = None) -> Order:
    """An order (the only one, or the one with this token) read now and detached from the
    session, its lines and payments loaded: for assertions on database state."""
    query = db.select(Order).options(selectinload(Order.lines), selectinload(Order.payments))
    if public_token is not None:
        query = query.where(Order.public_token == public_token)
    with app.app_context():
        order = db.session.execute(query).scalar_one()
        db.session.expunge_all()
        return order


@dataclass
class CheckoutAnswer:
    """What the shop answered to "Pay with Invoicebox"."""

    status_code: int
    location: str | None
    public_token: str | None
    session: requests.Session


def english_session() -> requests.Session:
    """A ``requests`` session that says, as an English browser does, which language it wants."""
    session = requests.Session()
    session.headers["Accept-Language"] = "en"
    return session


def csrf_token(html: str) -> str | None:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    return unescape(found.group(1)) if found else None


def checkout_token(html: str) -> str:
    found = re.search(r'name="checkout_token" type="hidden" value="([^"]+)"', html)
    assert found, "the checkout page has no checkout token"
    return unescape(found.group(1))


def fill_cart(
    shop_url: str, items: Iterable[tuple[str, int]], session: requests.Session | None = None
) -> requests.Session:
    """Add ``(slug, quantity)`` pairs to a new (or the given) browser-like session.

    A new session's browser asks for English pages, as the tests read English words.
    """
    http = session or english_session()
    for slug, quantity in items:
        page = http.get(f"{shop_url}/products/{slug}", timeout=10)
        page.raise_for_status()
        form = {"product": slug, "quantity": str(quantity), "csrf_token": csrf_token(page.text)}
        http.post(f"{shop_url}/cart/add", data=form, timeout=10).raise_for_status()
    return http


def checkout(
    shop_url: str,
    items: Iterable[tuple[str, int]],
    buyer: Mapping[str, str] = PRIVATE_BUYER,
    session: requests.Session | None = None,
    timeout: float = 30,
) -> CheckoutAnswer:
    """Fill a cart, open the checkout page and submit it once, without following redirects."""
    http = fill_cart(shop_url, items, session)
    page = http.get(f"{shop_url}/checkout", timeout=10)
    page.raise_for_status()
    form: dict[str, Any] = {**buyer, "checkout_token": checkout_token(page.text),
                            "csrf_token": csrf_token(page.text)}
    answer = http.post(f"{shop_url}/checkout", data=form, allow_redirects=False, timeout=timeout)
    return CheckoutAnswer(answer.status_code, answer.headers.get("Location"),
                          _token_from(answer.headers.get("Location")), http)


def wait_for_status(shop: LiveShop, public_token: str, status: str, timeout: float = 15) -> Order:
    """Poll the database until the order reaches ``status``; AssertionError on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        order = shop.order(public_token)
        if order.status == status:
            return order
        if time.monotonic() > deadline:
            raise AssertionError(f"order {order.number} is {order.status}, not {status}")
        time.sleep(0.1)


def checkout_paid_order(
    shop: LiveShop, sandbox: Any, items: Iterable[tuple[str, int]] = (("french-press-350", 1),),
    buyer: Mapping[str, str] = PRIVATE_BUYER,
) -> str:
    """Buy ``items`` and pay at the sandbox; returns the paid order's public token.

    The payment goes through the sandbox's own control (the same as pressing "Pay"), and
    the shop learns of it from the sandbox's signed notification.
    """
    answer = checkout(shop.url, items, buyer)
    assert answer.status_code == 303, answer.status_code
    invoicebox_id = sandbox_order_id(sandbox, answer.location or "")
    sandbox.control(f"orders/{invoicebox_id}/pay")
    token = token_for_invoicebox_id(shop, invoicebox_id)
    wait_for_status(shop, token, "paid")
    return token


def sandbox_order_id(sandbox: Any, payment_url: str) -> str:
    """The Invoicebox order id behind a sandbox payment URL (``.../order/<container>``)."""
    container = payment_url.rstrip("/").rsplit("/", 1)[-1]
    orders = sandbox.get("api/orders")["data"]
    matches = [o["id"] for o in orders if o.get("orderContainerId") == container]
    assert len(matches) == 1, f"{len(matches)} sandbox orders in container {container}"
    return matches[0]


def token_for_invoicebox_id(shop: LiveShop, invoicebox_id: str) -> str:
    """The public token of the shop order that the Invoicebox order ``invoicebox_id`` pays."""
    with shop.app.app_context():
        return db.session.execute(
            db.select(Order.public_token).join(Payment).where(
                Payment.invoicebox_order_id == invoicebox_id)
        ).scalar_one()


def _token_from(location: str | None) -> str | None:
    found = re.search(r"/orders/([A-Za-z0-9_-]+)", location or "")
    return found.group(1) if found else None
