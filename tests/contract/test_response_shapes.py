"""The sandbox's bodies carry at least the fields of the real gateway's bodies, with the same
JSON types (the SDK's recorded responses and the contract's documented shapes)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from tests.sandbox.helpers import FIXTURES, decoded, future, line, missing, refund_body

from .client import ContractApi
from .conftest import Target

ORDER_REQUEST_FIELDS = ("description", "currencyId", "shopId", "amount", "vatAmount",
                        "basketItems", "customer", "languageId", "returnUrl", "successUrl",
                        "invoiceSetting")

pytestmark = pytest.mark.contract


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"), parse_float=Decimal)


def request_like(api: ContractApi, recorded: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A create-order request carrying the same optional fields as a recorded order."""
    body = {key: recorded[key] for key in ORDER_REQUEST_FIELDS if key in recorded}
    return api.order(lines=body.pop("basketItems"), **{**body, **overrides})


def create_like(api: ContractApi, recorded: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return api.create_order(request_like(api, recorded, **overrides))


def test_check_auth(api: ContractApi) -> None:
    ours = decoded(api.call("GET", "security/api/auth/auth"))
    assert missing(fixture("success-check-auth-response.json"), ours) == []


def test_create_update_and_delete_order(api: ContractApi) -> None:
    created = fixture("success-create-order-response.json")
    response = api.call("POST", "billing/api/order/order", request_like(api, created["data"]))
    assert missing(created, decoded(response)) == []

    order_id = decoded(response)["data"]["id"]
    updated = decoded(api.call("PUT", f"billing/api/order/order/{order_id}",
                               {"description": "Проездной"}))
    assert missing(fixture("success-update-order-response.json"), updated) == []

    deleted = decoded(api.call("DELETE", f"billing/api/order/order/{order_id}"))
    assert missing(fixture("success-delete-order-response.json"), deleted) == []
    assert deleted["data"]["status"] == "canceled"


def test_filtered_paid_orders(api: ContractApi, target: Target) -> None:
    recorded = fixture("success-get-order-response.json")
    number = f"{target.run}-shape-"
    for index, element in enumerate(reversed(recorded["data"])):  # newest first, as recorded
        target.pay(create_like(api, element, merchantOrderId=f"{number}{index}")["id"])
    ours = decoded(api.call("GET", f"filter/api/order/order?merchantOrderId[_start]={number}"))

    assert missing(recorded, ours) == []
    assert missing(recorded["data"][1], ours["data"][1], "$.data[1]") == []


def test_refundable_lines_and_refund(api: ContractApi, target: Target) -> None:
    basket = fixture("success-get-basket-response.json")
    order = create_like(api, fixture("success-create-order-response.json")["data"])
    target.pay(order["id"])
    lines = decoded(api.call("GET", f"billing/api/order/order/{order['id']}/refund-basket-item"))
    assert missing(basket, lines) == []
    assert missing(fixture("contract-refund-basket-item-response.json"), lines) == []

    refund = decoded(api.call("POST", "billing/api/order/refund-order", refund_body(order)))
    assert missing(fixture("success-create-refund-order.json"), refund) == []


def test_shipment_list(api: ContractApi, target: Target) -> None:
    order = api.create_order(lines=[line("a", "1239.60", 1, "VATNONE")])
    target.pay(order["id"])
    api.ok("POST", "billing/api/order/shipment", {
        "orderId": order["id"], "documentNumber": "TN-12", "documentDate": "2023-12-12",
        "final": True, "basketItems": order["basketItems"]})
    ours = decoded(api.call("GET", f"filter/api/order/shipment?orderId={order['id']}"))

    assert missing(fixture("contract-shipment-list-response.json"), ours) == []


def test_error_bodies(api: ContractApi, target: Target) -> None:
    wrong_amount = api.order()
    wrong_amount["amount"] += 1
    answers = {
        "wrong-amount-response.json": api.call("POST", "billing/api/order/order",
                                               wrong_amount),
        "wrong-check-auth-response.json": api.call(
            "POST", "billing/api/order/order",
            api.order(merchantId="01771534-196a-1105-839a-82422289d6d9")),
        "contract-not-found-response.json": api.call("GET", "billing/api/order/order/x"),
        "contract-unauthorized-response.json": ContractApi(
            target.url, "nope", target.prefix, target.merchant_id, paced=api.paced).call(
            "GET", "filter/api/order/order"),
        "contract-validation-response.json": api.call(
            "POST", "billing/api/order/order", api.order(description=None)),
    }

    for name, response in answers.items():
        recorded = fixture(name)
        assert missing(recorded, decoded(response)) == [], name
        assert response.status_code >= 400, name
    wrong = decoded(answers["wrong-amount-response.json"])["error"]
    assert (wrong["code"], wrong["fields"][0]["name"], wrong["fields"][0]["code"]) == (
        "wrong_total_amount", "amount", "wrong_value")
    assert decoded(answers["wrong-check-auth-response.json"])["error"]["code"] == "forbidden"


def test_order_echoes_shop_id_as_sent(api: ContractApi) -> None:
    as_int = api.create_order(shopId=333)
    as_string = api.create_order(shopId="06581534-196a-1105-839a-82422289d6d9")

    assert as_int["shopId"] == 333
    assert as_string["shopId"] == "06581534-196a-1105-839a-82422289d6d9"


def test_paid_at_appears_only_once_paid(api: ContractApi, target: Target) -> None:
    order = api.create_order(expirationDate=future())
    assert "paidAt" not in order

    target.pay(order["id"])
    paid = api.ok("GET", f"billing/api/order/order/{order['id']}")
    assert paid["paidAt"].endswith("+00:00") and paid["merchantId"] == api.merchant_id
