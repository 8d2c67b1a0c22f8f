"""Shipments: registration for paid orders, limits, and listing on both documented paths."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.support.sandbox import DEMO_MERCHANT_ID, SandboxProcess

from .helpers import Api, line

SHIPMENT = "billing/api/order/shipment"

pytestmark = pytest.mark.usefixtures("fresh")


@pytest.fixture
def paid(api: Api, sandbox: SandboxProcess) -> dict:
    order = api.create_order(lines=[line("a", "100.00", 2), line("b", "50.00")])
    sandbox.control(f"orders/{order['id']}/pay")
    return order


def test_shipment_of_a_paid_order(api: Api, paid: dict) -> None:
    shipment = api.ok("POST", SHIPMENT, {
        "orderId": paid["id"], "documentNumber": "TN-12", "documentDate": "2023-12-12",
        "basketItems": [line("a", "100.00", 1)]})

    assert isinstance(shipment["id"], int)
    assert (shipment["orderId"], shipment["merchantId"]) == (paid["id"], DEMO_MERCHANT_ID)
    assert (shipment["documentNumber"], shipment["documentDate"]) == ("TN-12", "2023-12-12")
    assert shipment["amount"] == 100 and shipment["vatAmount"] == Decimal("16.67")
    assert shipment["status"] == "completed" and shipment["final"] is False
    assert shipment["basketItems"][0]["sku"] == "a"


@pytest.mark.parametrize("path", ["filter/api/order/shipment", "billing/api/order/shipment"])
def test_shipments_are_listed_on_both_paths(api: Api, paid: dict, path: str) -> None:
    other = api.create_order()
    first = api.ok("POST", SHIPMENT, {"orderId": paid["id"],
                                      "basketItems": [line("b", "50.00")]})

    assert api.ok("GET", f"{path}?orderId={paid['id']}") == [first]
    assert api.ok("GET", f"{path}?orderId={other['id']}") == []
    assert api.ok("GET", f"{path}?id={first['id']}") == [first]
    assert api.ok("GET", f"{path}?merchantId={DEMO_MERCHANT_ID}") == [first]


def test_shipping_more_than_the_order_is_refused(api: Api, paid: dict) -> None:
    api.ok("POST", SHIPMENT, {"orderId": paid["id"], "basketItems": [line("a", "100.00", 2)]})
    response = api.call("POST", SHIPMENT, {"orderId": paid["id"],
                                           "basketItems": [line("b", "50.01")]})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "wrong_total_amount"


def test_shipment_of_an_unpaid_order_is_refused(api: Api) -> None:
    order = api.create_order()
    response = api.call("POST", SHIPMENT, {"orderId": order["id"], "basketItems": [line()]})

    assert response.json()["error"]["code"] == "wrong_order_status"


@pytest.mark.parametrize(("item", "code", "field_name"), [
    (line("zzz", "1.00"), "validation", "basketItems[0].sku"),
    (line("a", "100.00", 1, totalAmount=Decimal("90.00")), "wrong_basket_item_total_amount",
     "basketItems[0].totalAmount"),
])
def test_shipment_lines_are_checked(api: Api, paid: dict, item: dict, code: str,
                                    field_name: str) -> None:
    response = api.call("POST", SHIPMENT, {"orderId": paid["id"], "basketItems": [item]})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["fields"][0]["name"] == field_name


def test_shipment_needs_an_order_and_lines(api: Api) -> None:
    response = api.call("POST", SHIPMENT, {"documentNumber": "1"})

    assert response.status_code == 422
    names = {f["name"] for f in response.json()["error"]["fields"]}
    assert names == {"orderId", "basketItems"}
