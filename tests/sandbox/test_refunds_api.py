"""Refunds: refundable lines, partial and full refunds, over-refund and duplicate protection,
completion, correction orders, and ownership."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
import requests

from tests.support.receiver import NotificationReceiver
from tests.support.sandbox import DEMO_MERCHANT_ID, SandboxProcess

from .helpers import Api, eventually, line, order_body, refund_body

OTHER_MERCHANT = "0188d934-0000-7000-8000-000000000002"
OTHER_TOKEN = "0123456789abcdef0123456789abcdef"
REFUNDS = "billing/api/order/refund-order"

pytestmark = pytest.mark.usefixtures("fresh")


@pytest.fixture(scope="module")
def sandbox_config(receiver: NotificationReceiver) -> dict[str, Any]:
    return {"merchants": [
        {"id": DEMO_MERCHANT_ID, "notification_url": receiver.url},
        {"id": OTHER_MERCHANT, "token": OTHER_TOKEN, "notification_key": "k", "name": "Other"},
    ]}


@pytest.fixture(scope="module")
def sandbox_env() -> dict[str, str]:
    return {"SANDBOX_REFUND_DELAY": "2"}


@pytest.fixture
def paid(api: Api, sandbox: SandboxProcess) -> dict[str, Any]:
    """A paid order: two units of tea at 1000.00 (22 % VAT) and a delivery line of 300.00."""
    order = api.create_order(lines=[line("tea-1", "1000.00", 2, "RUS_VAT22"),
                                    line("delivery", "300.00", 1, "RUS_VAT22", type="service")])
    sandbox.control(f"orders/{order['id']}/pay")
    return api.ok("GET", f"billing/api/order/order/{order['id']}")


def available(api: Api, order_id: str) -> dict[str, tuple[Decimal, Decimal]]:
    rows = api.ok("GET", f"billing/api/order/order/{order_id}/refund-basket-item")
    return {r["sku"]: (r["availableAmount"], r["availableVatAmount"]) for r in rows}


def test_refundable_lines_of_a_paid_order(api: Api, paid: dict) -> None:
    rows = api.ok("GET", f"billing/api/order/order/{paid['id']}/refund-basket-item")

    assert [r["sku"] for r in rows] == ["tea-1", "delivery"]
    for row, original in zip(rows, paid["basketItems"], strict=True):
        assert {k: v for k, v in row.items() if not k.startswith("available")} == original
        assert row["availableAmount"] == original["totalAmount"]
        assert row["availableVatAmount"] == original["totalVatAmount"]


def test_refundable_lines_need_a_paid_order(api: Api) -> None:
    order = api.create_order()
    unpaid = api.call("GET", f"billing/api/order/order/{order['id']}/refund-basket-item")
    unknown = api.call("GET", "billing/api/order/order/nope/refund-basket-item")

    assert (unpaid.status_code, unpaid.json()["error"]["code"]) == (422, "wrong_order_status")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "not_found")


def test_partial_refund_lowers_the_available_amount(api: Api, paid: dict) -> None:
    part = line("tea-1", "999.99", 1, "RUS_VAT22")
    refund = api.ok("POST", REFUNDS, refund_body(paid, [part]))

    assert refund["status"] == "created"
    assert (refund["parentId"], refund["merchantId"], refund["currencyId"]) == (
        paid["id"], DEMO_MERCHANT_ID, "RUB")
    assert refund["amount"] == Decimal("999.99")
    left = available(api, paid["id"])
    assert left["tea-1"] == (Decimal("1000.01"), Decimal("360.66") - part["totalVatAmount"])
    assert left["delivery"] == (300, Decimal("54.1"))


def test_refunding_the_refundable_rows_unchanged_refunds_everything(api: Api,
                                                                   paid: dict) -> None:
    rows = api.ok("GET", f"billing/api/order/order/{paid['id']}/refund-basket-item")
    api.ok("POST", REFUNDS, refund_body(paid, rows))

    assert set(available(api, paid["id"]).values()) == {(0, 0)}
    again = api.call("POST", REFUNDS, refund_body(paid, [line("delivery", "0.01", 1,
                                                              "VATNONE")]))
    assert again.json()["error"]["code"] == "wrong_total_amount"


def test_over_refund_is_refused_with_the_line_named(api: Api, paid: dict) -> None:
    api.ok("POST", REFUNDS, refund_body(paid, [line("delivery", "200.00", 1, "RUS_VAT22")]))
    response = api.call("POST", REFUNDS, refund_body(paid, [
        line("tea-1", "1000.00", 1, "RUS_VAT22"), line("delivery", "100.01", 1, "RUS_VAT22")]))

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "wrong_total_amount"
    assert [f["name"] for f in error["fields"]] == ["basketItems[1].totalAmount"]
    assert "exceeds available amount 100" in error["fields"][0]["message"]
    assert available(api, paid["id"])["tea-1"][0] == 2000  # nothing of the refused refund stuck


def test_the_same_sku_twice_in_one_refund_counts_together(api: Api, paid: dict) -> None:
    half = line("delivery", "150.00", 1, "RUS_VAT22")
    response = api.call("POST", REFUNDS, refund_body(paid, [half, half, half]))

    assert response.json()["error"]["fields"][0]["name"] == "basketItems[2].totalAmount"


def test_duplicate_refund_number_is_refused(api: Api, paid: dict) -> None:
    first = refund_body(paid, [line("delivery", "100.00", 1, "RUS_VAT22")])
    api.ok("POST", REFUNDS, first)
    response = api.call("POST", REFUNDS, refund_body(
        paid, [line("delivery", "50.00", 1, "RUS_VAT22")],
        merchantOrderId=first["merchantOrderId"]))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "merchant_order_id_duplicate"
    assert available(api, paid["id"])["delivery"][0] == 200


def test_refund_number_may_equal_the_parent_order_number(api: Api, paid: dict) -> None:
    body = refund_body(paid, [line("delivery", "10.00", 1, "RUS_VAT22")],
                       merchantOrderId=paid["merchantOrderId"])

    assert api.ok("POST", REFUNDS, body)["merchantOrderId"] == paid["merchantOrderId"]


def test_unknown_sku_is_a_validation_error(api: Api, paid: dict) -> None:
    response = api.call("POST", REFUNDS, refund_body(paid, [line("nope", "1.00")]))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation"
    assert response.json()["error"]["fields"][0]["name"] == "basketItems[0].sku"


def test_refund_of_an_unpaid_order_is_refused(api: Api) -> None:
    order = api.create_order()
    response = api.call("POST", REFUNDS, refund_body(order))

    assert response.json()["error"]["code"] == "wrong_order_status"


def test_refund_arithmetic_is_checked(api: Api, paid: dict) -> None:
    body = refund_body(paid, [line("delivery", "100.00", 1, "RUS_VAT22")])
    body["amount"] = Decimal("99.00")
    response = api.call("POST", REFUNDS, body)

    assert response.json()["error"]["code"] == "wrong_total_amount"
    assert response.json()["error"]["fields"][0]["name"] == "amount"


def test_concurrent_refunds_cannot_over_refund(api: Api, paid: dict,
                                               sandbox: SandboxProcess) -> None:
    def attempt(_: int) -> int:
        own = Api(sandbox.url, sandbox.token)  # a session per thread
        return own.call("POST", REFUNDS, refund_body(paid, [
            line("tea-1", "1500.00", 1, "RUS_VAT22")])).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(attempt, range(8)))

    assert statuses == [200] + [422] * 7
    assert available(api, paid["id"])["tea-1"][0] == Decimal("500")


def test_refunds_complete_after_the_delay(api: Api, paid: dict) -> None:
    refund = api.ok("POST", REFUNDS, refund_body(paid, [line("delivery", "10.00", 1,
                                                             "RUS_VAT22")]))

    def status() -> str:
        rows = api.ok("GET", f"filter/api/order/refund-order?id={refund['id']}")
        return rows[0]["status"] == "completed"

    assert api.ok("GET", f"filter/api/order/refund-order?id={refund['id']}")[0][
        "status"] == "created"
    eventually(status, timeout=6)


def test_complete_control(api: Api, paid: dict, sandbox: SandboxProcess) -> None:
    refund = api.ok("POST", REFUNDS, refund_body(paid, [line("delivery", "10.00", 1,
                                                             "RUS_VAT22")]))
    completed = sandbox.control(f"refunds/{refund['id']}/complete")
    again = requests.post(f"{sandbox.url}/_sandbox/refunds/{refund['id']}/complete", timeout=10)

    assert completed["status"] == "completed"
    assert again.status_code == 409
    assert sandbox.get(f"api/refunds?parentId={paid['id']}")["data"][0]["status"] == "completed"


def test_list_refunds_by_parent_number_and_status(api: Api, paid: dict) -> None:
    first = api.ok("POST", REFUNDS, refund_body(paid, [line("delivery", "10.00", 1,
                                                            "RUS_VAT22")]))
    second = api.ok("POST", REFUNDS, refund_body(paid, [line("tea-1", "10.00", 1,
                                                             "RUS_VAT22")]))

    by_parent = api.ok("GET", f"filter/api/order/refund-order?parentId={paid['id']}")
    assert [r["id"] for r in by_parent] == [second["id"], first["id"]]
    by_number = api.ok("GET", "filter/api/order/refund-order"
                              f"?merchantOrderId={first['merchantOrderId']}")
    assert by_number == [first]
    created = api.ok("GET", f"filter/api/order/refund-order?parentId={paid['id']}"
                            "&status=created")
    assert len(created) == 2


def test_draft_refund_with_a_correction_order(api: Api, paid: dict,
                                              sandbox: SandboxProcess) -> None:
    draft = api.ok("POST", REFUNDS, refund_body(
        paid, [line("tea-1", "1000.00", 1, "RUS_VAT22")], status="draft"))
    fee = order_body(lines=[line("fee", "100.00", 1, "RUS_VAT22", type="service")],
                     parentId=draft["id"])
    correction = api.ok("POST", "billing/api/order/correction-order", fee)

    assert draft["status"] == "draft"
    assert correction["status"] == "completed" and correction["paidAt"]
    assert correction["parentId"] == draft["id"]
    refund = api.ok("GET", f"filter/api/order/refund-order?id={draft['id']}")[0]
    assert refund["status"] == "created"
    assert refund["correctionOrderId"] == correction["id"]
    assert refund["netAmount"] == 900
    admin = requests.get(f"{sandbox.url}/_sandbox/", timeout=10).text
    assert f"net 900.00 (correction <span class=\"mono\">{correction['id']}</span>)" in admin

    repeated = api.call("POST", "billing/api/order/correction-order",
                        order_body(lines=fee["basketItems"], parentId=draft["id"]))
    assert repeated.json()["error"]["code"] == "wrong_order_status"


def test_correction_larger_than_the_refund_is_refused(api: Api, paid: dict) -> None:
    draft = api.ok("POST", REFUNDS, refund_body(
        paid, [line("delivery", "10.00", 1, "RUS_VAT22")], status="draft"))
    response = api.call("POST", "billing/api/order/correction-order", order_body(
        lines=[line("fee", "10.01", 1, "RUS_VAT22")], parentId=draft["id"]))

    assert response.json()["error"]["code"] == "wrong_total_amount"


def test_a_correction_in_another_currency_is_refused(api: Api, paid: dict) -> None:
    draft = api.ok("POST", REFUNDS, refund_body(
        paid, [line("tea-1", "1000.00", 1, "RUS_VAT22")], status="draft"))
    response = api.call("POST", "billing/api/order/correction-order", order_body(
        lines=[line("fee", "10.00", 1, "RUS_VAT22")], parentId=draft["id"], currencyId="EUR"))

    assert response.json()["error"]["code"] == "wrong_currency"
    refund = api.ok("GET", f"filter/api/order/refund-order?id={draft['id']}")[0]
    assert refund["status"] == "draft" and "netAmount" not in refund


def test_a_draft_canceled_by_invoicebox_takes_no_correction(api: Api, paid: dict,
                                                            sandbox: SandboxProcess) -> None:
    draft = api.ok("POST", REFUNDS, refund_body(
        paid, [line("tea-1", "1000.00", 1, "RUS_VAT22")], status="draft"))
    sandbox.control(f"refunds/{draft['id']}/cancel")
    response = api.call("POST", "billing/api/order/correction-order", order_body(
        lines=[line("fee", "10.00", 1, "RUS_VAT22")], parentId=draft["id"]))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "wrong_order_status"
    available = {i["sku"]: i["availableAmount"] for i in api.ok(
        "GET", f"billing/api/order/order/{paid['id']}/refund-basket-item")}
    assert available["tea-1"] == 2000  # a canceled refund no longer counts


def test_another_accounts_orders_are_forbidden(api: Api, sandbox: SandboxProcess) -> None:
    other = Api(sandbox.url, OTHER_TOKEN)
    order = other.create_order(order_body(merchantId=OTHER_MERCHANT))
    sandbox.control(f"orders/{order['id']}/pay")

    assert api.call("GET", f"billing/api/order/order/{order['id']}").status_code == 403
    assert api.call("POST", REFUNDS, refund_body(order)).status_code == 403
    assert api.call("DELETE", f"billing/api/order/order/{order['id']}").status_code == 403
    assert api.ok("GET", f"filter/api/order/order?id={order['id']}") == []
    assert other.ok("GET", f"filter/api/order/order?id={order['id']}")[0]["id"] == order["id"]
    assert api.call("POST", "billing/api/order/order",
                    order_body(merchantId=OTHER_MERCHANT)).status_code == 403
