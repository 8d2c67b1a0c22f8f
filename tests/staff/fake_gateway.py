"""Invoicebox faked at the HTTP boundary for the refund service's unit tests.

The bodies are the recorded fixtures in tests/fixtures/invoicebox/: the refundable
lines of ``contract-refund-basket-item-response.json`` (a tea line with 1 000,01 ₽
left, a delivery line already refunded) and the SDK's created refund.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import responses

from tests.conftest import FAKE_API_URL

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "invoicebox"
PARENT_ID = "01771534-196a-1105-839a-82422289d6d9"
REFUND_ID = "017f038f-c78b-736d-dc00-8bce30bd0f9f"
TEA = ("tea-1", "Чай улун, 100 г", 100000, 2, "RUS_VAT22")
DELIVERY = ("delivery", "Доставка курьером", 30000, 1, "RUS_VAT22")

BASKET_URL = f"{FAKE_API_URL}/v3/billing/api/order/order/{PARENT_ID}/refund-basket-item"
REFUND_URL = f"{FAKE_API_URL}/v3/billing/api/order/refund-order"
FILTER_URL = f"{FAKE_API_URL}/v3/filter/api/order/refund-order"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def refundable_body(*, untouched: bool = False) -> dict:
    """The recorded lines; ``untouched``: as before any refund (everything available)."""
    body = fixture("contract-refund-basket-item-response.json")
    if untouched:
        for line in body["data"]:
            line.update(availableAmount=line["totalAmount"],
                        availableVatAmount=line["totalVatAmount"])
    return body


def created_refund(merchant_order_id: str, *, status: str = "created", amount: float = 1000,
                   **changes: Any) -> dict:
    """The SDK's recorded refund, made to belong to our order (one tea by default)."""
    body = copy.deepcopy(fixture("success-create-refund-order.json")["data"])
    body.update(parentId=PARENT_ID, merchantOrderId=merchant_order_id, status=status,
                amount=amount, **changes)
    return body


def serve_refundable(mocked: responses.RequestsMock, *, untouched: bool = True) -> None:
    mocked.get(BASKET_URL, json=refundable_body(untouched=untouched),
               headers={"X-Request-Id": "req-basket"})


def serve_refund_list(mocked: responses.RequestsMock, *refunds: dict) -> None:
    mocked.get(FILTER_URL, json={"data": list(refunds), "extendedData": [],
                                 "metaData": {"totalCount": len(refunds), "page": 1,
                                              "pageSize": 100}},
               headers={"X-Request-Id": "req-list"})


def posts(mocked: responses.RequestsMock) -> list[dict]:
    """The JSON bodies of every refund POST sent so far."""
    return [json.loads(call.request.body) for call in mocked.calls
            if call.request.method == "POST" and call.request.url == REFUND_URL]
