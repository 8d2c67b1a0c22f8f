"""Behaviour switches of the config file and environment: unique order numbers, strict
arithmetic, the default round policy, API prefixes and the public payment URL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import requests

from tests.support.sandbox import SandboxProcess

from .helpers import Api, line, order_body

PUBLIC_URL = "https://pay.sandbox.example"

pytestmark = pytest.mark.usefixtures("fresh")


@pytest.fixture(scope="module")
def sandbox_config() -> dict[str, Any]:
    return {"enforce_unique_order_number": True, "strict_arithmetic": True,
            "round_policy_default": "halfUp", "api_prefixes": ["v3"]}


@pytest.fixture(scope="module")
def sandbox_env() -> dict[str, str]:
    return {"SANDBOX_PUBLIC_URL": PUBLIC_URL + "/"}


def test_order_numbers_must_be_unique_when_switched_on(api: Api) -> None:
    first = api.create_order()
    response = api.call("POST", "billing/api/order/order",
                        order_body(merchantOrderId=first["merchantOrderId"]))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "merchant_order_id_duplicate"
    assert response.json()["error"]["fields"][0]["name"] == "merchantOrderId"


@pytest.mark.parametrize(("item", "accepted"), [
    # 99.99 × 7 at 20 %: exact VAT 116.655, so 116.66 is within half a kopeck ...
    (line("a", "99.99", 7), True),
    # ... while VAT computed per unit (16.66 × 7 = 116.62) is not.
    (line("a", "99.99", 7, totalVatAmount=Decimal("116.62")), False),
    # 100.00 at 20 %: 83.3333 without VAT; 83.34 is within a kopeck but not half of one.
    (line("a", "100.00", 1, amountWoVat=Decimal("83.34")), False),
    # Only the docs' reading of amountWoVat: not the MCP server's (25.00 − 4.17) ÷ 0.25.
    (line("a", "100.00", "0.25", amountWoVat=Decimal("83.32")), False),
    (line("a", "100.00", "0.25"), True),
])
def test_strict_arithmetic_narrows_the_tolerance(api: Api, item: dict, accepted: bool) -> None:
    response = api.call("POST", "billing/api/order/order", order_body(lines=[item]))

    assert (response.status_code == 200) is accepted, response.text
    if not accepted:
        assert response.json()["error"]["code"].startswith("wrong_basket_item_")


def test_default_round_policy_applies_without_order_setting(api: Api) -> None:
    item = line("a", "10.00", "3.3333", "VATNONE", totalAmount=Decimal("33.33"))

    assert api.call("POST", "billing/api/order/order", order_body(lines=[item])
                    ).status_code == 200


def test_only_the_configured_prefixes_are_served(sandbox: SandboxProcess) -> None:
    response = Api(sandbox.url, sandbox.token, "l3").call("GET", "security/api/auth/auth")

    assert response.status_code == 404


def test_payment_url_uses_the_public_base(api: Api, sandbox: SandboxProcess) -> None:
    order = api.create_order()

    assert order["paymentUrl"] == f"{PUBLIC_URL}/order/{order['orderContainerId']}"
    assert sandbox.get("health")["publicUrl"] == PUBLIC_URL
    page = requests.get(f"{sandbox.url}/order/{order['orderContainerId']}", timeout=10)
    assert page.status_code == 200
