"""Request builders and a small API client for the sandbox tests.

Bodies are built with Decimal arithmetic (CONTRACT §3.3) and sent as JSON numbers; answers are
parsed with Decimal so money is compared exactly.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, TypeVar

import requests

from tests.support.sandbox import DEMO_MERCHANT_ID

T = TypeVar("T")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "invoicebox"
CENT = Decimal("0.01")
RATES = {"VATNONE": 0, "RUS_VAT0": 0, "RUS_VAT10": 10, "RUS_VAT20": 20, "RUS_VAT22": 22}
USER_AGENT = "SandboxTests/1.0 (tests 1.0; Python/3)"


def line(sku: str = "sku-1", amount: str = "100.00", quantity: int | str = 1,
         vat: str = "RUS_VAT20", **overrides: Any) -> dict[str, Any]:
    """A correctly computed basket line."""
    price, qty, rate = Decimal(amount), Decimal(str(quantity)), RATES[vat]
    total = price * qty
    item = {
        "sku": sku, "name": f"Item {sku}", "measure": "шт", "measureCode": "796",
        "quantity": qty, "amount": price,
        "amountWoVat": (price * 100 / (100 + rate)).quantize(CENT, ROUND_HALF_UP),
        "totalAmount": total,
        "totalVatAmount": (total * rate / (100 + rate)).quantize(CENT, ROUND_HALF_UP),
        "vatCode": vat, "type": "commodity", "paymentType": "full_prepayment",
    }
    item.update(overrides)
    return item


def future(days: float = 1) -> str:
    moment = datetime.now(UTC) + timedelta(days=days)
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def order_body(lines: list[dict[str, Any]] | None = None, **overrides: Any) -> dict[str, Any]:
    """A valid CreateOrderRequest for the demo merchant, unique merchantOrderId."""
    lines = lines if lines is not None else [line()]
    body = {
        "merchantId": DEMO_MERCHANT_ID, "merchantOrderId": f"T-{uuid.uuid4().hex[:12]}",
        "description": "Заказ в тестовом магазине", "currencyId": "RUB", "languageId": "ru",
        "amount": sum((Decimal(i["totalAmount"]) for i in lines), Decimal(0)),
        "vatAmount": sum((Decimal(i["totalVatAmount"]) for i in lines), Decimal(0)),
        "expirationDate": future(), "basketItems": lines,
        "customer": {"type": "private", "name": "Пётр", "email": "peter@example.com"},
    }
    body.update(overrides)
    return body


def refund_body(parent: dict[str, Any], lines: list[dict[str, Any]] | None = None,
                **overrides: Any) -> dict[str, Any]:
    """A refund of ``lines`` (default: the parent's whole basket)."""
    lines = lines if lines is not None else parent["basketItems"]
    body = {
        "parentId": parent["id"], "merchantOrderId": f"R-{uuid.uuid4().hex[:12]}",
        "description": "Возврат", "basketItems": lines,
        "amount": sum((Decimal(str(i["totalAmount"])) for i in lines), Decimal(0)),
        "vatAmount": sum((Decimal(str(i["totalVatAmount"])) for i in lines), Decimal(0)),
    }
    body.update(overrides)
    return body


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"cannot serialise {value!r}")


def decoded(response: requests.Response) -> Any:
    """The JSON body with fractions as Decimal."""
    return json.loads(response.content, parse_float=Decimal)


class Api:
    """The sandbox's REST API under one prefix, authenticated as the given token."""

    def __init__(self, base_url: str, token: str | None, prefix: str = "v3") -> None:
        self.root = f"{base_url}/{prefix}"
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})
        if token is not None:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        if body is not None:
            kwargs["data"] = json.dumps(body, default=_number, ensure_ascii=False).encode()
            kwargs.setdefault("headers", {})["Content-Type"] = "application/json"
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, f"{self.root}/{path}", **kwargs)

    def ok(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        """Call and return ``data``; AssertionError unless HTTP 200."""
        response = self.call(method, path, body, **kwargs)
        assert response.status_code == 200, (response.status_code, response.text)
        return decoded(response)["data"]

    def create_order(self, body: dict[str, Any] | None = None, **overrides: Any) -> dict:
        return self.ok("POST", "billing/api/order/order", body or order_body(**overrides))


def eventually(check: Callable[[], T], timeout: float = 10.0, interval: float = 0.05) -> T:
    """Poll ``check`` until it returns something truthy; AssertionError on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s (last: {value!r})")
        time.sleep(interval)


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float | Decimal):
        return "number"
    return {str: "string", list: "array", dict: "object", type(None): "null"}[type(value)]


def missing(real: Any, ours: Any, path: str = "$") -> list[str]:
    """Where ``ours`` lacks a field of ``real`` or holds another JSON type."""
    if json_type(real) != json_type(ours):
        return [f"{path}: {json_type(real)} expected, got {json_type(ours)}"]
    problems = []
    if isinstance(real, dict):
        for key, value in real.items():
            if key not in ours:
                problems.append(f"{path}.{key}: missing")
            else:
                problems += missing(value, ours[key], f"{path}.{key}")
    elif isinstance(real, list) and real:
        if not ours:
            return [f"{path}: empty array, expected elements"]
        problems += missing(real[0], ours[0], f"{path}[0]")
    return problems
