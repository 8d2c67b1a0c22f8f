"""Orders over the REST API: create, read, update, cancel, and their error answers."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from tests.support.sandbox import DEMO_MERCHANT_ID, SandboxProcess

from .helpers import Api, decoded, future, line, order_body

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "invoicebox"
ORDERS = "billing/api/order/order"

pytestmark = pytest.mark.usefixtures("fresh")


def docs_example() -> dict:
    """The create-order request of the official docs, for the demo shop and a future date."""
    body = json.loads((FIXTURES / "docs-create-order-request.json").read_text(),
                      parse_float=Decimal)
    body.update(merchantId=DEMO_MERCHANT_ID, expirationDate=future())
    return body


def test_docs_example_is_accepted_and_echoed(api: Api, sandbox: SandboxProcess) -> None:
    body = docs_example()
    order = api.create_order(body)

    assert order["status"] == "created"
    assert order["merchantOrderId"] == "m-1608560079"
    assert order["amount"] == Decimal("371.88") and order["vatAmount"] == Decimal("61.98")
    assert order["basketItems"][0]["amountWoVat"] == Decimal("103.3")
    assert order["metaData"] == body["metaData"]
    assert order["successUrl"] == body["successUrl"]
    assert order["paymentUrl"] == f"{sandbox.url}/order/{order['orderContainerId']}"
    assert order["orderContainerId"] != order["id"]
    assert (order["subtype"], order["processingStatus"], order["fileIds"],
            order["processable"]) == ("order", "", [], True)
    assert order["createdAt"].endswith("+00:00")


def test_responses_are_serialised_like_php(api: Api) -> None:
    response = api.call("POST", ORDERS, docs_example())
    raw = response.content.decode()

    assert response.headers["Content-Type"] == "application/json"
    assert '"successUrl":"https:\\/\\/merchant.ru\\/order\\/xxx?result=success"' in raw
    assert "Бронирование номера" in raw  # Cyrillic unescaped
    assert ", " not in raw and ": " not in raw.replace("https:", "")  # compact
    assert '"grossWeight":0,' in raw and '"quantity":3,' in raw  # whole numbers as integers
    assert '"amount":371.88,' in raw and '"amountWoVat":103.3,' in raw


def test_docs_example_for_a_foreign_merchant_is_forbidden(api: Api) -> None:
    body = docs_example()
    body["merchantId"] = "01771534-196a-1105-839a-82422289d6d9"
    response = api.call("POST", ORDERS, body)

    assert response.status_code == 403
    assert response.json() == {"error": {"message": "Forbidden", "code": "forbidden",
                                         "fields": []}}


def test_get_one_order_by_id_and_by_filter(api: Api) -> None:
    order = api.create_order()

    assert api.ok("GET", f"{ORDERS}/{order['id']}") == order
    assert api.ok("GET", f"filter/api/order/order?id={order['id']}") == [order]


def test_unknown_order_is_404(api: Api) -> None:
    response = api.call("GET", f"{ORDERS}/00000000-0000-0000-0000-000000000000")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert response.json()["error"]["fields"] == []


def test_update_changes_basket_and_totals(api: Api) -> None:
    order = api.create_order()
    lines = [line("a", "10.00", 2), line("b", "5.50", 1, "VATNONE")]
    changed = api.ok("PUT", f"{ORDERS}/{order['id']}", {
        "description": "Новое описание", "basketItems": lines,
        "amount": Decimal("25.50"), "vatAmount": lines[0]["totalVatAmount"],
    })

    assert changed["description"] == "Новое описание"
    assert changed["amount"] == Decimal("25.5")
    assert [i["sku"] for i in changed["basketItems"]] == ["a", "b"]
    assert api.ok("GET", f"{ORDERS}/{order['id']}") == changed


def test_update_checks_arithmetic_on_the_merged_order(api: Api) -> None:
    order = api.create_order()
    response = api.call("PUT", f"{ORDERS}/{order['id']}", {"basketItems": [line("a", "10.00")]})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "wrong_total_amount"


def test_update_of_a_paid_order_is_refused(api: Api, sandbox: SandboxProcess) -> None:
    order = api.create_order()
    sandbox.control(f"orders/{order['id']}/pay")
    response = api.call("PUT", f"{ORDERS}/{order['id']}", {"description": "x"})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "wrong_order_status"


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


def test_malformed_json_is_400(api: Api) -> None:
    response = api.session.post(f"{api.root}/{ORDERS}", data=b"{not json", timeout=10,
                                headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def _without(body: dict, *path: str | int) -> dict:
    target = body
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return body


def _with(body: dict, value: object, *path: str | int) -> dict:
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return body


VALIDATION_CASES = {
    "merchantOrderId missing": (lambda b: _without(b, "merchantOrderId"), "merchantOrderId"),
    "description missing": (lambda b: _without(b, "description"), "description"),
    "customer missing": (lambda b: _without(b, "customer"), "customer"),
    "basket empty": (lambda b: _with(b, [], "basketItems"), "basketItems"),
    "amount as string": (lambda b: _with(b, "120.00", "amount"), "amount"),
    "three decimals": (lambda b: _with(b, Decimal("100.001"), "basketItems", 0, "amount"),
                       "basketItems[0].amount"),
    "description too long": (lambda b: _with(b, "x" * 1001, "description"), "description"),
    "unknown vatCode": (lambda b: _with(b, "RUS_VAT99", "basketItems", 0, "vatCode"),
                        "basketItems[0].vatCode"),
    "unknown paymentType": (lambda b: _with(b, "credit", "basketItems", 0, "paymentType"),
                            "basketItems[0].paymentType"),
    "sku missing": (lambda b: _without(b, "basketItems", 0, "sku"), "basketItems[0].sku"),
    "measureCode too long": (lambda b: _with(b, "79600", "basketItems", 0, "measureCode"),
                             "basketItems[0].measureCode"),
    "customer type": (lambda b: _with(b, "person", "customer", "type"), "customer.type"),
    "quantity zero": (lambda b: _with(b, 0, "basketItems", 0, "quantity"),
                      "basketItems[0].quantity"),
    "vat above amount": (lambda b: _with(b, Decimal("130"), "vatAmount"), "vatAmount"),
    "round policy": (lambda b: _with(b, {"roundPolicy": "bankers"}, "orderSetting"),
                     "orderSetting.roundPolicy"),
}


@pytest.mark.parametrize("case", VALIDATION_CASES, ids=list(VALIDATION_CASES))
def test_schema_violations_are_422_validation_with_fields(api: Api, case: str) -> None:
    change, field_name = VALIDATION_CASES[case]
    response = api.call("POST", ORDERS, change(order_body(lines=[line(amount="120.00")])))

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation"
    assert field_name in [f["name"] for f in error["fields"]]
    assert all(set(f) == {"name", "code", "message"} for f in error["fields"])


@pytest.mark.parametrize(("change", "code", "field_name"), [
    ({"currencyId": "XXX"}, "wrong_currency", "currencyId"),
    ({"languageId": "de"}, "language_not_found", "languageId"),
    ({"expirationDate": "2020-12-22T00:00:00+00:00"}, "wrong_expiration_date", "expirationDate"),
    ({"expirationDate": "2099-12-22T00:00:00"}, "wrong_expiration_date", "expirationDate"),
    ({"expirationDate": "tomorrow"}, "wrong_expiration_date", "expirationDate"),
])
def test_header_fields_have_their_own_codes(api: Api, change: dict, code: str,
                                            field_name: str) -> None:
    response = api.call("POST", ORDERS, order_body(**change))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert [f["name"] for f in response.json()["error"]["fields"]] == [field_name]


ARITHMETIC_CASES = [
    ("totalAmount", Decimal("101.00"), "wrong_basket_item_total_amount"),
    ("totalVatAmount", Decimal("17.00"), "wrong_basket_item_total_vat_amount"),
    ("amountWoVat", Decimal("80.00"), "wrong_basket_item_amount_wo_vat"),
]


@pytest.mark.parametrize(("key", "value", "code"), ARITHMETIC_CASES)
def test_line_arithmetic_errors(api: Api, key: str, value: Decimal, code: str) -> None:
    bad = line("a", "100.00", 1, **{key: value})
    body = order_body(lines=[line("ok", "10.00"), bad])
    response = api.call("POST", ORDERS, body)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == code
    assert error["fields"][0]["name"] == f"basketItems[1].{key}"


@pytest.mark.parametrize(("key", "code"), [("amount", "wrong_total_amount"),
                                           ("vatAmount", "wrong_total_vat_amount")])
def test_order_totals_must_match_the_lines(api: Api, key: str, code: str) -> None:
    body = order_body()
    body[key] += Decimal("0.01")
    response = api.call("POST", ORDERS, body)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["fields"][0]["name"] == key


def test_vat_rounding_of_real_integrations_is_tolerated(api: Api) -> None:
    # 99.99 × 7 at 20 %: exact VAT 116.655, unit without VAT 83.325 (CONTRACT §3.3)
    per_unit_vat = line("a", "99.99", 7, totalVatAmount=Decimal("116.62"))  # 16.66 × 7
    api.create_order(lines=[per_unit_vat])
    api.create_order(lines=[line("c", "100.00", 1, amountWoVat=Decimal("83.34"))])
    api.create_order(lines=[line("b", "1000.00", 2, "RUS_VAT22")])


@pytest.mark.parametrize(("policy", "total", "accepted"), [
    ("strict", "33.34", False), ("none", "33.34", True), ("none", "33.33", False),
    ("halfUp", "33.33", True), ("halfUp", "33.34", False), ("ceil", "33.34", True),
    ("floor", "33.33", True), ("halfDown", "33.33", True),
])
def test_round_policy_for_fractional_quantities(api: Api, policy: str, total: str,
                                                accepted: bool) -> None:
    # 10.00 × 3.3333 = 33.333
    item = line("a", "10.00", "3.3333", "VATNONE", totalAmount=Decimal(total))
    body = order_body(lines=[item], orderSetting={"roundPolicy": policy})
    response = api.call("POST", ORDERS, body)

    assert (response.status_code == 200) is accepted, response.text
    if not accepted:
        assert response.json()["error"]["code"] == "wrong_basket_item_total_amount"


def test_numbers_in_answers_keep_their_json_types(api: Api) -> None:
    order = decoded(api.call("POST", ORDERS, order_body(lines=[line("a", "110.00", 1,
                                                                    "RUS_VAT10")])))["data"]

    assert order["amount"] == 110 and isinstance(order["amount"], int)
    assert isinstance(order["basketItems"][0]["quantity"], int)
