"""Orders over the REST API: create, read, update, cancel, and their error answers."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pytest

from tests.sandbox.helpers import FIXTURES, decoded, future, line

from .client import ContractApi
from .conftest import Target

pytestmark = pytest.mark.contract

ORDERS = "billing/api/order/order"


@pytest.fixture
def docs_example(api: ContractApi, target: Target) -> dict:
    """The create-order request of the official docs, for the target's merchant, a future date
    and a number of this session."""
    body = json.loads((FIXTURES / "docs-create-order-request.json").read_text(),
                      parse_float=Decimal)
    body.update(merchantId=api.merchant_id, expirationDate=future(),
                merchantOrderId=f"{target.run}-{uuid.uuid4().hex[:8]}")
    return body


def test_docs_example_is_accepted_and_echoed(api: ContractApi, docs_example: dict) -> None:
    body = docs_example
    order = api.create_order(body)

    assert order["status"] == "created"
    assert order["merchantOrderId"] == body["merchantOrderId"]
    assert order["amount"] == Decimal("371.88") and order["vatAmount"] == Decimal("61.98")
    assert order["basketItems"][0]["amountWoVat"] == Decimal("103.3")
    assert order["metaData"] == body["metaData"]
    assert order["successUrl"] == body["successUrl"]
    assert order["paymentUrl"].endswith(f"/order/{order['orderContainerId']}")
    assert order["orderContainerId"] != order["id"]
    assert (order["subtype"], order["processingStatus"], order["fileIds"],
            order["processable"]) == ("order", "", [], True)
    assert order["createdAt"].endswith("+00:00")


def test_responses_are_serialised_like_php(api: ContractApi, docs_example: dict) -> None:
    response = api.call("POST", ORDERS, docs_example)
    raw = response.content.decode()

    assert response.headers["Content-Type"] == "application/json"
    assert '"successUrl":"https:\\/\\/merchant.ru\\/order\\/xxx?result=success"' in raw
    assert "Бронирование номера" in raw  # Cyrillic unescaped
    assert ", " not in raw and ": " not in raw.replace("https:", "")  # compact
    assert '"grossWeight":0,' in raw and '"quantity":3,' in raw  # whole numbers as integers
    assert '"amount":371.88,' in raw and '"amountWoVat":103.3,' in raw


def test_docs_example_for_a_foreign_merchant_is_forbidden(api: ContractApi,
                                                          docs_example: dict) -> None:
    body = docs_example
    body["merchantId"] = "01771534-196a-1105-839a-82422289d6d9"
    response = api.call("POST", ORDERS, body)

    assert response.status_code == 403
    assert response.json() == {"error": {"message": "Forbidden", "code": "forbidden",
                                         "fields": []}}


def test_get_one_order_by_id_and_by_filter(api: ContractApi) -> None:
    order = api.create_order()

    assert api.ok("GET", f"{ORDERS}/{order['id']}") == order
    assert api.ok("GET", f"filter/api/order/order?id={order['id']}") == [order]


def test_unknown_order_is_404(api: ContractApi) -> None:
    response = api.call("GET", f"{ORDERS}/00000000-0000-0000-0000-000000000000")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert response.json()["error"]["fields"] == []


def test_update_changes_basket_and_totals(api: ContractApi) -> None:
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


def test_update_checks_arithmetic_on_the_merged_order(api: ContractApi) -> None:
    order = api.create_order()
    response = api.call("PUT", f"{ORDERS}/{order['id']}", {"basketItems": [line("a", "10.00")]})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "wrong_total_amount"


def test_update_of_a_paid_order_is_refused(api: ContractApi, target: Target) -> None:
    order = api.create_order()
    target.pay(order["id"])
    response = api.call("PUT", f"{ORDERS}/{order['id']}", {"description": "x"})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "wrong_order_status"


def test_cancel_is_idempotent(api: ContractApi) -> None:
    order = api.create_order()
    canceled = api.ok("DELETE", f"{ORDERS}/{order['id']}")
    again = api.ok("DELETE", f"{ORDERS}/{order['id']}")

    assert canceled["status"] == again["status"] == "canceled"
    assert api.ok("GET", f"{ORDERS}/{order['id']}")["status"] == "canceled"


def test_malformed_json_is_400(api: ContractApi) -> None:
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
def test_schema_violations_are_422_validation_with_fields(api: ContractApi, case: str) -> None:
    change, field_name = VALIDATION_CASES[case]
    response = api.call("POST", ORDERS, change(api.order(lines=[line(amount="120.00")])))

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
def test_header_fields_have_their_own_codes(api: ContractApi, change: dict, code: str,
                                            field_name: str) -> None:
    response = api.call("POST", ORDERS, api.order(**change))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert [f["name"] for f in response.json()["error"]["fields"]] == [field_name]


ARITHMETIC_CASES = [
    ("totalAmount", Decimal("101.00"), "wrong_basket_item_total_amount"),
    ("totalVatAmount", Decimal("17.00"), "wrong_basket_item_total_vat_amount"),
    ("amountWoVat", Decimal("80.00"), "wrong_basket_item_amount_wo_vat"),
]


@pytest.mark.parametrize(("key", "value", "code"), ARITHMETIC_CASES)
def test_line_arithmetic_errors(api: ContractApi, key: str, value: Decimal, code: str) -> None:
    bad = line("a", "100.00", 1, **{key: value})
    body = api.order(lines=[line("ok", "10.00"), bad])
    response = api.call("POST", ORDERS, body)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == code
    assert error["fields"][0]["name"] == f"basketItems[1].{key}"


@pytest.mark.parametrize(("key", "code"), [("amount", "wrong_total_amount"),
                                           ("vatAmount", "wrong_total_vat_amount")])
def test_order_totals_must_match_the_lines(api: ContractApi, key: str, code: str) -> None:
    body = api.order()
    body[key] += Decimal("0.01")
    response = api.call("POST", ORDERS, body)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["fields"][0]["name"] == key


def test_vat_rounding_of_real_integrations_is_tolerated(api: ContractApi) -> None:
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
def test_round_policy_for_fractional_quantities(api: ContractApi, policy: str, total: str,
                                                accepted: bool) -> None:
    # 10.00 × 3.3333 = 33.333
    item = line("a", "10.00", "3.3333", "VATNONE", totalAmount=Decimal(total))
    body = api.order(lines=[item], orderSetting={"roundPolicy": policy})
    response = api.call("POST", ORDERS, body)

    assert (response.status_code == 200) is accepted, response.text
    if not accepted:
        assert response.json()["error"]["code"] == "wrong_basket_item_total_amount"


def test_numbers_in_answers_keep_their_json_types(api: ContractApi) -> None:
    order = decoded(api.call("POST", ORDERS, api.order(lines=[line("a", "110.00", 1,
                                                                    "RUS_VAT10")])))["data"]

    assert order["amount"] == 110 and isinstance(order["amount"], int)
    assert isinstance(order["basketItems"][0]["quantity"], int)


# An order as Invoicebox's MCP server (0.2.1, create_order) serialises it: amounts from integer
# kopecks, and amountWoVat, when not given, derived as (totalAmount − totalVatAmount) ÷ quantity.
MCP_ORDER = (
    '{"merchantId":"%(merchant)s","merchantOrderId":"%(number)s","description":"Чай на развес",'
    '"amount":25,"vatAmount":4.17,"currencyId":"RUB","languageId":"ru",'
    '"expirationDate":"%(expires)s","basketItems":[{"sku":"tea-loose","name":"Чай улун",'
    '"type":"commodity","measure":"кг","measureCode":"166","quantity":0.25,"amount":100,'
    '"amountWoVat":%(wo_vat)s,"totalAmount":25,"totalVatAmount":4.17,"vatCode":"RUS_VAT20",'
    '"paymentType":"full_prepayment"}],"customer":{"type":"private","email":"buyer@example.com"}}'
)


@pytest.mark.parametrize(("wo_vat", "accepted"), [
    ("83.32", True),  # the MCP server's (25.00 − 4.17) ÷ 0.25, 0.0133 from the docs' formula
    ("83.33", True),  # the docs' 100.00 × 100 ÷ 120 = 83.333…
    ("83.3", False),  # neither
])
def test_amount_wo_vat_as_invoiceboxs_own_client_computes_it(
        api: ContractApi, target: Target, wo_vat: str, accepted: bool) -> None:
    body = MCP_ORDER % {"merchant": api.merchant_id, "number": f"{target.run}-mcp-{wo_vat}",
                        "expires": future(), "wo_vat": wo_vat}
    response = api.call("POST", ORDERS, data=body.encode(),
                        headers={"Content-Type": "application/json"})

    assert (response.status_code == 200) is accepted, response.text
    if not accepted:
        assert response.json()["error"]["code"] == "wrong_basket_item_amount_wo_vat"
        assert response.json()["error"]["fields"][0]["name"] == "basketItems[0].amountWoVat"
