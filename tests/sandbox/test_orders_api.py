"""Orders in the sandbox's own terms: payment and expiry through its controls, its payment
page, and its defaults (the API-only behaviour is in ``tests/contract/test_orders.py``)."""

from __future__ import annotations

import time

import pytest
import requests

from tests.support.sandbox import SandboxProcess

from .helpers import Api, future

ORDERS = "billing/api/order/order"

pytestmark = pytest.mark.usefixtures("fresh")


def test_cancel_is_idempotent_and_blocks_payment(api: Api, sandbox: SandboxProcess) -> None:
    order = api.create_order()
    canceled = api.ok("DELETE", f"{ORDERS}/{order['id']}")
    again = api.ok("DELETE", f"{ORDERS}/{order['id']}")

    assert canceled["status"] == again["status"] == "canceled"
    refused = requests.post(f"{sandbox.url}/_sandbox/orders/{order['id']}/pay", timeout=10)
    assert refused.status_code == 409
    page = requests.get(order["paymentUrl"], timeout=10).text
    assert ">Pay<" not in page and "Отменён" in page
    assert api.ok("GET", f"{ORDERS}/{order['id']}")["status"] == "canceled"


@pytest.mark.parametrize("status_control", ["pay", "expire"])
def test_cancel_after_payment_or_expiry_is_refused(api: Api, sandbox: SandboxProcess,
                                                   status_control: str) -> None:
    order = api.create_order()
    sandbox.control(f"orders/{order['id']}/{status_control}")
    response = api.call("DELETE", f"{ORDERS}/{order['id']}")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "wrong_order_status"


def test_expiry_is_applied_when_the_date_passes(api: Api) -> None:
    order = api.create_order(expirationDate=future(days=2 / 86400))  # two seconds
    assert order["status"] == "created"

    time.sleep(2.5)
    assert api.ok("GET", f"{ORDERS}/{order['id']}")["status"] == "expired"


def test_order_numbers_may_repeat_by_default(api: Api) -> None:
    first = api.create_order()
    second = api.create_order(merchantOrderId=first["merchantOrderId"])

    assert second["id"] != first["id"]


def test_orders_join_an_existing_invoice(api: Api, sandbox: SandboxProcess) -> None:
    first = api.create_order()
    second = api.create_order(orderContainerId=first["orderContainerId"])

    assert second["paymentUrl"] == first["paymentUrl"]
    sandbox.control(f"orders/{first['id']}/pay")
    assert api.ok("GET", f"{ORDERS}/{second['id']}")["status"] == "completed"


