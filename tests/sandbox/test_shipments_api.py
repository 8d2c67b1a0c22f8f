"""Shipments: registration for paid orders, limits, listing on both documented paths, the
``draft → pending → completed`` progression with its fiscal documents, and guarantee (hold)
payments charged by their final shipment or reversed by a DELETE."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.support.sandbox import DEMO_MERCHANT_ID, SandboxProcess

from .helpers import Api, line

SHIPMENT = "billing/api/order/shipment"

pytestmark = pytest.mark.usefixtures("fresh")


@pytest.fixture(scope="module")
def sandbox_env() -> dict[str, str]:
    # Steps only when a test advances them (the clock's own progression has its own module).
    return {"SANDBOX_SHIPMENT_DELAY": "3600"}


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
    assert shipment["status"] == "draft" and shipment["final"] is False
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


def advance(sandbox: SandboxProcess, shipment: dict) -> dict:
    return sandbox.control(f"shipments/{shipment['id']}/advance")


def test_a_shipment_moves_draft_pending_completed_and_issues_a_receipt(
        api: Api, sandbox: SandboxProcess, paid: dict) -> None:
    shipment = api.ok("POST", SHIPMENT, {"orderId": paid["id"],
                                         "basketItems": [line("a", "100.00", 2)]})

    assert advance(sandbox, shipment)["status"] == "pending"
    assert api.ok("GET", f"filter/api/order/shipment?id={shipment['id']}")[0]["status"] == \
        "pending"
    done = advance(sandbox, shipment)

    assert done["status"] == "completed"
    [receipt] = done["documents"]
    assert receipt["kind"] == "receipt" and receipt["settlement"]["code"] == 4
    assert receipt["total"] == 200 and receipt["prepaymentOffset"] == 200
    assert [(x["sku"], x["quantity"], x["total"]) for x in receipt["lines"]] == [("a", 2, 200)]
    assert receipt["buyer"]["email"] == "peter@example.com"
    refused = sandbox._http.post(f"{sandbox.url}/_sandbox/shipments/{shipment['id']}/advance",
                                 json={})
    assert refused.status_code == 409


def test_a_company_gets_a_upd(api: Api, sandbox: SandboxProcess) -> None:
    order = api.create_order(lines=[line("a", "100.00", 2)], customer={
        "type": "legal", "name": "ООО «Кофейная гильдия»", "email": "b@example.com",
        "vatNumber": "7701456203", "taxRegistrationReasonCode": "770101001"})
    sandbox.control(f"orders/{order['id']}/pay")
    shipment = api.ok("POST", SHIPMENT, {"orderId": order["id"], "documentNumber": "UPD-7",
                                         "documentDate": "2026-11-30",
                                         "basketItems": [line("a", "100.00", 1)]})
    advance(sandbox, shipment)
    [upd] = advance(sandbox, shipment)["documents"]

    assert (upd["kind"], upd["number"], upd["date"]) == ("upd", "UPD-7", "2026-11-30")
    assert upd["buyer"] == {"name": "ООО «Кофейная гильдия»", "inn": "7701456203",
                            "kpp": "770101001"}
    assert upd["total"] == 100 and str(upd["vatTotal"]) == "16.67"
    page = sandbox._http.get(f"{sandbox.url}/_sandbox/").text
    assert "UPD-7" in page and "7701456203" in page


def test_a_canceled_shipment_frees_its_amount(api: Api, sandbox: SandboxProcess,
                                              paid: dict) -> None:
    everything = [line("a", "100.00", 2), line("b", "50.00")]
    first = api.ok("POST", SHIPMENT, {"orderId": paid["id"], "basketItems": everything})
    assert sandbox.control(f"shipments/{first['id']}/cancel")["status"] == "canceled"
    again = api.ok("POST", SHIPMENT, {"orderId": paid["id"], "basketItems": everything})

    assert again["status"] == "draft"
    assert sandbox.get(f"api/shipments?orderId={paid['id']}")["data"][1]["documents"] == []


def test_a_guarantee_payment_is_held_then_charged_by_the_final_shipment(
        api: Api, sandbox: SandboxProcess, receiver) -> None:
    order = api.create_order(lines=[line("a", "100.00", 2), line("b", "50.00")])
    sandbox.control(f"orders/{order['id']}/pay", {"guarantee": True})
    assert api.ok("GET", f"filter/api/order/order?id={order['id']}")[0]["status"] == "hold"
    [held] = receiver.wait_for(1)
    assert held.json()["status"] == "hold"

    first = api.ok("POST", SHIPMENT, {"orderId": order["id"],
                                      "basketItems": [line("a", "100.00", 2)]})
    advance(sandbox, first)
    advance(sandbox, first)
    assert api.ok("GET", f"filter/api/order/order?id={order['id']}")[0]["status"] == "hold"
    refused = api.call("DELETE", f"billing/api/order/order/{order['id']}")
    assert refused.json()["error"]["code"] == "wrong_order_status"

    last = api.ok("POST", SHIPMENT, {"orderId": order["id"],
                                     "basketItems": [line("b", "50.00")]})
    advance(sandbox, last)
    advance(sandbox, last)
    assert api.ok("GET", f"filter/api/order/order?id={order['id']}")[0]["status"] == "completed"
    notes = receiver.wait_for(2)
    assert [n.json()["status"] for n in notes] == ["hold", "completed"]


def test_a_hold_without_shipment_is_reversed_by_delete(api: Api, sandbox: SandboxProcess) -> None:
    order = api.create_order()
    sandbox.control(f"orders/{order['id']}/pay", {"guarantee": True})

    canceled = api.ok("DELETE", f"billing/api/order/order/{order['id']}")

    assert canceled["status"] == "canceled"
    refund = api.call("GET", f"billing/api/order/order/{order['id']}/refund-basket-item")
    assert refund.json()["error"]["code"] == "wrong_order_status"


def test_the_payment_page_offers_the_guarantee(api: Api, sandbox: SandboxProcess) -> None:
    order = api.create_order()
    page = sandbox._http.get(order["paymentUrl"]).text
    assert "Оплатить гарантийно" in page

    sandbox._http.post(f"{order['paymentUrl']}/pay", data={"mode": "guarantee"},
                       allow_redirects=False)

    assert api.ok("GET", f"filter/api/order/order?id={order['id']}")[0]["status"] == "hold"
