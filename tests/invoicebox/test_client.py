"""Each endpoint: method, path, the exact JSON or query sent, and what comes back."""

from __future__ import annotations

import ast
import copy
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from responses import matchers

import storefront.invoicebox as invoicebox_package
from storefront.invoicebox import (
    Basket,
    BasketError,
    CreateRefundRequest,
    CreateShipmentRequest,
    InvalidRequest,
    InvoiceboxClient,
    NotFound,
    TransportError,
    UpdateOrderRequest,
)

from .support import (
    BASE_URL,
    MERCHANT_ID,
    TOKEN,
    fixture_json,
    order_request,
    query_of,
    sent_json,
    url,
)

D = Decimal
ORDER_ID = "017f1b5a-b677-a228-2951-b3523dbbd836"
FILTER_ORDERS = url("/v3/filter/api/order/order")
FILTER_REFUNDS = url("/v3/filter/api/order/refund-order")
FILTER_SHIPMENTS = url("/v3/filter/api/order/shipment")


def reply(mocked, method, address, payload, status=200, request_id="req-1", **kwargs):
    mocked.add(
        method, address, json=payload, status=status, headers={"X-Request-Id": request_id}, **kwargs
    )


def envelope(data, total=None):
    body = {"data": data, "extendedData": []}
    if isinstance(data, list):
        body["metaData"] = {
            "totalCount": len(data) if total is None else total,
            "pageSize": 30,
            "page": 1,
        }
    return body


# -- orders --------------------------------------------------------------------------

EXPECTED_ORDER_BODY = {
    "merchantId": MERCHANT_ID,
    "merchantOrderId": "42-1",
    "description": "Заказ 42 в чайной лавке",
    "amount": 2300.00,
    "vatAmount": 414.76,
    "basketItems": [
        {
            "sku": "tea-1",
            "name": "Чай улун, 100 г",
            "measure": "шт",
            "measureCode": "796",
            "quantity": 2,
            "amount": 1000.00,
            "amountWoVat": 819.67,
            "totalAmount": 2000.00,
            "totalVatAmount": 360.66,
            "vatCode": "RUS_VAT22",
            "type": "commodity",
            "paymentType": "full_prepayment",
        },
        {
            "sku": "delivery",
            "name": "Доставка курьером",
            "measure": "шт",
            "measureCode": "796",
            "quantity": 1,
            "amount": 300.00,
            "amountWoVat": 245.90,
            "totalAmount": 300.00,
            "totalVatAmount": 54.10,
            "vatCode": "RUS_VAT22",
            "type": "service",
            "paymentType": "full_prepayment",
        },
    ],
    "currencyId": "RUB",
    "expirationDate": "2030-01-02T03:04:05+00:00",
    "customer": {"type": "private", "phone": "79001112233", "email": "buyer@example.com"},
    "languageId": "ru",
    "successUrl": "https://shop.example/orders/42/paid",
    "failUrl": "https://shop.example/orders/42/failed",
    "returnUrl": "https://shop.example/orders/42",
    "notificationUrl": "https://shop.example/invoicebox/notify",
}


def test_create_order_sends_exactly_this_json(client, mocked):
    reply(
        mocked,
        "POST",
        url("/v3/billing/api/order/order"),
        fixture_json("success-create-order-response.json"),
    )
    order = client.create_order(order_request())
    request = mocked.calls[0].request
    assert request.method == "POST"
    assert sent_json(mocked.calls[0]) == EXPECTED_ORDER_BODY
    raw = request.body
    assert b'"amount":2300.0,' in raw and b'"vatAmount":414.76,' in raw  # numbers, not strings
    assert b'"414.76"' not in raw
    assert "Чай улун".encode() in raw  # UTF-8, not \u escapes
    assert order.id == "017f038f-c78b-736d-dc00-8bce30bd0f9f"
    assert order.payment_url.startswith("https://payment.dev.invbox.ru/order/")


@pytest.mark.parametrize(
    ("changes", "error", "code"),
    [
        ({"basket_items": []}, BasketError, "validation"),
        ({"amount": D("2300.01")}, BasketError, "wrong_total_amount"),
        ({"vat_amount": D("414.75")}, BasketError, "wrong_total_vat_amount"),
        ({"currency_id": "RUR"}, InvalidRequest, "wrong_currency"),
        ({"language_id": "de"}, InvalidRequest, "language_not_found"),
        ({"merchant_order_id": ""}, InvalidRequest, "validation"),
        ({"description": "x" * 1001}, InvalidRequest, "validation"),
        ({"expiration_date": datetime(2030, 1, 2)}, InvalidRequest, "validation"),
    ],
    ids=[
        "empty-basket",
        "amount",
        "vat-amount",
        "currency",
        "language",
        "no-number",
        "long-description",
        "naive-expiry",
    ],
)
def test_a_bad_order_is_refused_before_anything_is_sent(
    client, mocked, calls, changes, error, code
):
    with pytest.raises(error) as caught:
        client.create_order(order_request(**changes))
    assert caught.value.code == code
    assert len(mocked.calls) == 0 and calls == []


def test_get_order_uses_the_filter_endpoint_and_matches_the_id(client, mocked):
    wanted = "017f0713-8238-0019-4772-f1cc6bab2e88"
    reply(
        mocked,
        "GET",
        FILTER_ORDERS,
        fixture_json("success-get-order-response.json"),
        match=[matchers.query_param_matcher({"id": wanted})],
    )
    order = client.get_order(wanted)
    assert (order.id, order.merchant_order_id) == (wanted, "1000000014")


def test_get_order_of_an_unknown_id_is_not_found(client, mocked):
    reply(mocked, "GET", FILTER_ORDERS, envelope([]), request_id="req-empty")
    with pytest.raises(NotFound) as caught:
        client.get_order("00000000-0000-0000-0000-000000000000")
    assert (caught.value.code, caught.value.request_id) == ("not_found", "req-empty")


def test_get_order_does_not_trust_data0_when_the_filter_is_ignored(client, mocked):
    reply(mocked, "GET", FILTER_ORDERS, fixture_json("success-get-order-response.json"))
    with pytest.raises(NotFound):
        client.get_order("11111111-1111-1111-1111-111111111111")


def test_find_orders_filters_sorting_and_paging(client, mocked):
    reply(mocked, "GET", FILTER_ORDERS, fixture_json("success-get-order-response.json"))
    page = client.find_orders(
        {
            "status": ["created", "expired"],
            "createdAt": {"_ge": datetime(2021, 1, 27, tzinfo=UTC)},
            "amount[_gt]": D("1000"),
            "merchantOrderId[_start]": "42-",
            "paidAt": None,
        },
        order_by=["-createdAt", ("id", "asc")],
        page=2,
        page_size=50,
    )
    assert query_of(mocked.calls[0].request.url) == [
        ("status[]", "created"),
        ("status[]", "expired"),
        ("createdAt[_ge]", "2021-01-27T00:00:00+00:00"),
        ("amount[_gt]", "1000"),
        ("merchantOrderId[_start]", "42-"),
        ("_order[createdAt]", "desc"),
        ("_order[id]", "asc"),
        ("_page", "2"),
        ("_pageSize", "50"),
    ]
    assert "%2B00%3A00" in mocked.calls[0].request.url  # a raw "+" would arrive as a space
    assert (page.total_count, page.page, page.page_size) == (2, 1, 30)
    assert [o.merchant_order_id for o in page] == ["5656-123", "1000000014"]
    assert page.request_id == "req-1"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"filters": {"amount": {"_gte": 1}}},
        {"filters": {"amount[_gte]": 1}},
        {"filters": {"status": object()}},
        {"filters": {"a&b": 1}},
        {"order_by": [("id", "up")]},
        {"order_by": ["-"]},
        {"page": 0},
        {"page_size": -1},
        {"page": "2"},
    ],
)
def test_bad_filters_are_refused_before_sending(client, mocked, kwargs):
    with pytest.raises(InvalidRequest):
        client.find_orders(**kwargs)
    assert len(mocked.calls) == 0


def test_update_order_sends_only_what_changes(client, mocked):
    order_id = "017f2c3c-e880-4a08-abc6-7bd3117eea2d"
    reply(
        mocked,
        "PUT",
        url(f"/v3/billing/api/order/order/{order_id}"),
        fixture_json("success-update-order-response.json"),
    )
    order = client.update_order(
        order_id,
        UpdateOrderRequest(
            description="Проездной", expiration_date=datetime(2023, 7, 2, tzinfo=UTC)
        ),
    )
    assert sent_json(mocked.calls[0]) == {
        "description": "Проездной",
        "expirationDate": "2023-07-02T00:00:00+00:00",
    }
    assert order.description == "Проездной"


def test_update_order_with_a_basket_sends_the_matching_totals(client, mocked):
    order_id = "017f2c3c-e880-4a08-abc6-7bd3117eea2d"
    reply(
        mocked,
        "PUT",
        url(f"/v3/billing/api/order/order/{order_id}"),
        fixture_json("success-update-order-response.json"),
    )
    basket = Basket()
    basket.add(sku="0123456789", name="Black Edition", unit_price="2790.67", vat_code="VATNONE")
    client.update_order(order_id, UpdateOrderRequest(basket_items=basket))
    body = sent_json(mocked.calls[0])
    assert (body["amount"], body["vatAmount"]) == (2790.67, 0)
    assert [line["totalAmount"] for line in body["basketItems"]] == [2790.67]


@pytest.mark.parametrize(
    "request_",
    [UpdateOrderRequest(), UpdateOrderRequest(amount=D(1))],
    ids=["nothing", "amount-without-basket"],
)
def test_an_empty_or_half_update_is_refused(client, mocked, request_):
    with pytest.raises(InvalidRequest):
        client.update_order("x", request_)
    assert len(mocked.calls) == 0


def test_cancel_order_is_a_delete_without_body(client, mocked):
    order_id = "017f3012-555e-cac6-65b8-28fcc3512273"
    reply(
        mocked,
        "DELETE",
        url(f"/v3/billing/api/order/order/{order_id}"),
        fixture_json("success-delete-order-response.json"),
    )
    order = client.cancel_order(order_id)
    assert mocked.calls[0].request.body is None
    assert order.status == "canceled"


def test_an_id_cannot_reshape_the_path(client, mocked):
    reply(
        mocked,
        "DELETE",
        url("/v3/billing/api/order/order/..%2F..%2Fsecurity"),
        fixture_json("success-delete-order-response.json"),
    )
    client.cancel_order("../../security")
    assert mocked.calls[0].request.path_url == "/v3/billing/api/order/order/..%2F..%2Fsecurity"


def test_find_order_by_merchant_order_id_picks_the_newest_exact_match(client, mocked):
    row = fixture_json("success-create-order-response.json")["data"]
    older, newer, other = (copy.deepcopy(row) for _ in range(3))
    older.update(id="old", merchantOrderId="42-1", createdAt="2024-05-01T10:00:00+00:00")
    newer.update(id="new", merchantOrderId="42-1", createdAt="2024-05-01T10:05:00+00:00")
    other.update(id="other", merchantOrderId="42-10", createdAt="2024-05-02T00:00:00+00:00")
    # Deliberately unsorted and polluted, as from a server that ignores _order and filters.
    reply(mocked, "GET", FILTER_ORDERS, envelope([older, other, newer]))
    order = client.find_order_by_merchant_order_id("42-1")
    assert order is not None and order.id == "new"
    assert query_of(mocked.calls[0].request.url) == [
        ("merchantOrderId", "42-1"),
        ("_order[createdAt]", "desc"),
        ("_pageSize", "100"),
    ]
    assert [o.id for o in client.find_orders_by_merchant_order_id("42-1")] == ["new", "old"]


def test_find_order_by_merchant_order_id_when_there_is_none(client, mocked):
    reply(mocked, "GET", FILTER_ORDERS, envelope([]))
    assert client.find_order_by_merchant_order_id("42-9") is None


# -- refunds -------------------------------------------------------------------------


def refundable_items(client, mocked):
    reply(
        mocked,
        "GET",
        url(f"/v3/billing/api/order/order/{ORDER_ID}/refund-basket-item"),
        fixture_json("contract-refund-basket-item-response.json"),
    )
    return client.get_refundable_items(ORDER_ID)


def test_refundable_items(client, mocked):
    tea, delivery = refundable_items(client, mocked)
    assert (tea.sku, tea.available_amount, tea.available_vat_amount) == (
        "tea-1",
        D("1000.01"),
        D("180.33"),
    )
    assert delivery.available_amount == 0


def test_create_refund_of_a_money_part_sends_exactly_this_json(client, mocked):
    tea, _delivery = refundable_items(client, mocked)
    reply(
        mocked,
        "POST",
        url("/v3/billing/api/order/refund-order"),
        fixture_json("success-create-refund-order.json"),
    )
    basket = Basket()
    basket.add_part_of(tea, D("500.00"))
    refund = client.create_refund(
        CreateRefundRequest(
            parent_id=ORDER_ID,
            merchant_order_id="R-42-1",
            description="Возврат части заказа 42",
            basket_items=basket,
        )
    )
    assert sent_json(mocked.calls[1]) == {
        "parentId": ORDER_ID,
        "merchantOrderId": "R-42-1",
        "description": "Возврат части заказа 42",
        "amount": 500.00,
        "vatAmount": 90.16,
        "basketItems": [
            {
                "sku": "tea-1",
                "name": "Чай улун, 100 г",
                "measure": "шт",
                "measureCode": "796",
                "quantity": 1,
                "amount": 500.00,
                "amountWoVat": 409.84,
                "totalAmount": 500.00,
                "totalVatAmount": 90.16,
                "vatCode": "RUS_VAT22",
                "type": "commodity",
                "paymentType": "full_prepayment",
            },
        ],
    }
    assert mocked.calls[1].request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert refund.status == "created"


def test_create_refund_of_the_remainder_uses_the_gateway_vat(client, mocked):
    tea, _delivery = refundable_items(client, mocked)
    reply(
        mocked,
        "POST",
        url("/v3/billing/api/order/refund-order"),
        fixture_json("success-create-refund-order.json"),
    )
    basket = Basket()
    basket.add_remainder_of(tea)
    client.create_refund(
        CreateRefundRequest(
            parent_id=ORDER_ID,
            merchant_order_id="R-42-2",
            description="Возврат остатка",
            basket_items=basket,
            status="draft",
        )
    )
    body = sent_json(mocked.calls[1])
    assert (body["amount"], body["vatAmount"], body["status"]) == (1000.01, 180.33, "draft")


def test_a_refund_status_other_than_created_or_draft_is_refused(client, mocked):
    basket = Basket()
    basket.add(sku="a", name="Товар", unit_price="1.00", vat_code="VATNONE")
    with pytest.raises(InvalidRequest):
        client.create_refund(
            CreateRefundRequest(
                parent_id=ORDER_ID,
                merchant_order_id="R-1",
                description="x",
                basket_items=basket,
                status="completed",
            )
        )
    assert len(mocked.calls) == 0


def test_find_refunds_and_reconcile_by_merchant_order_id(client, mocked):
    refund = fixture_json("success-create-refund-order.json")["data"]
    other = dict(refund, id="other", merchantOrderId="R-42-1", parentId="another-order")
    reply(mocked, "GET", FILTER_REFUNDS, envelope([other, refund]))
    found = client.find_refund_by_merchant_order_id("1", parent_id=refund["parentId"])
    assert found is not None and found.id == refund["id"]
    assert query_of(mocked.calls[0].request.url) == [
        ("merchantOrderId", "1"),
        ("parentId", refund["parentId"]),
        ("_order[createdAt]", "desc"),
        ("_pageSize", "100"),
    ]
    page = client.find_refunds({"parentId": refund["parentId"]})
    assert [r.id for r in page] == ["other", refund["id"]]
    assert query_of(mocked.calls[1].request.url) == [("parentId", refund["parentId"])]
    assert client.find_refund_by_merchant_order_id("R-99") is None


# -- correction orders and shipments -------------------------------------------------


def test_correction_order_goes_to_its_own_endpoint_with_the_draft_refund_as_parent(client, mocked):
    reply(
        mocked,
        "POST",
        url("/v3/billing/api/order/correction-order"),
        fixture_json("success-create-order-response.json"),
    )
    client.create_correction_order(order_request(parent_id="draft-refund-id"))
    assert sent_json(mocked.calls[0])["parentId"] == "draft-refund-id"
    with pytest.raises(InvalidRequest, match="parent_id"):
        client.create_correction_order(order_request())
    assert len(mocked.calls) == 1


def test_create_shipment_sends_exactly_this_json(client, mocked):
    shipment = fixture_json("contract-shipment-list-response.json")["data"][0]
    reply(mocked, "POST", url("/v3/billing/api/order/shipment"), envelope(shipment))
    basket = Basket(payment_type="full_payment")
    basket.add(
        sku="5fe0adcfa7fb4",
        name="Бронирование номера",
        unit_price="1239.60",
        vat_code="VATNONE",
        type="service",
    )
    created = client.create_shipment(
        CreateShipmentRequest(
            order_id=ORDER_ID,
            basket_items=basket,
            document_number="TN-12",
            document_date=date(2023, 12, 12),
            final=True,
        )
    )
    assert sent_json(mocked.calls[0]) == {
        "orderId": ORDER_ID,
        "basketItems": [
            {
                "sku": "5fe0adcfa7fb4",
                "name": "Бронирование номера",
                "measure": "шт",
                "measureCode": "796",
                "quantity": 1,
                "amount": 1239.6,
                "amountWoVat": 1239.6,
                "totalAmount": 1239.6,
                "totalVatAmount": 0,
                "vatCode": "VATNONE",
                "type": "service",
                "paymentType": "full_payment",
            },
        ],
        "documentNumber": "TN-12",
        "documentDate": "2023-12-12",
        "final": True,
    }
    assert (created.id, created.status) == (371723, "completed")


def test_list_shipments_uses_the_filter_path_and_drops_other_orders(client, mocked):
    rows = fixture_json("contract-shipment-list-response.json")["data"]
    stranger = dict(rows[0], id=5, orderId="someone-else")
    reply(mocked, "GET", FILTER_SHIPMENTS, envelope([rows[0], stranger], total=2))
    shipments = client.list_shipments(ORDER_ID)
    assert [s.id for s in shipments] == [371723]
    assert mocked.calls[0].request.path_url.startswith("/v3/filter/api/order/shipment?")
    assert ("orderId", ORDER_ID) in query_of(mocked.calls[0].request.url)
    assert len(mocked.calls) == 1


# -- auth, prefixes, packaging -------------------------------------------------------


def test_check_auth(client, mocked):
    auth = url("/v3/security/api/auth/auth")
    reply(mocked, "GET", auth, fixture_json("success-check-auth-response.json"))
    reply(mocked, "GET", auth, {"data": {"userId": None, "profile": None}})
    reply(mocked, "GET", auth, fixture_json("contract-unauthorized-response.json"), status=401)
    reply(mocked, "GET", auth, fixture_json("wrong-check-auth-response.json"), status=403)
    assert [client.check_auth() for _ in range(4)] == [True, False, False, False]


def test_check_auth_cannot_tell_when_the_gateway_is_unreachable(mocked):
    mocked.get(url("/v3/security/api/auth/auth"), body=requests.ConnectionError("refused"))
    client = InvoiceboxClient(BASE_URL, TOKEN, max_retries=1)
    with pytest.raises(TransportError):
        client.check_auth()


def test_the_l3_prefix_is_used_for_business_cabinet_shops(mocked):
    reply(
        mocked,
        "POST",
        url("/l3/billing/api/order/order"),
        fixture_json("success-create-order-response.json"),
    )
    client = InvoiceboxClient(
        BASE_URL, "29078-API:b37c4c689295904ed21eee5d9a48d42e", api_version="l3"
    )
    client.create_order(order_request())
    assert mocked.calls[0].request.path_url == "/l3/billing/api/order/order"


def test_the_package_imports_no_web_framework():
    package_dir = Path(invoicebox_package.__file__).parent
    imported = set()
    for module in package_dir.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    assert "requests" in imported  # the scan does see imports
    assert imported.isdisjoint({"flask", "werkzeug", "storefront", "sandbox", "sqlalchemy"})


def test_json_body_is_what_json_would_parse_back(client, mocked):
    reply(
        mocked,
        "POST",
        url("/v3/billing/api/order/order"),
        fixture_json("success-create-order-response.json"),
    )
    client.create_order(
        order_request(
            meta_data={
                "@type": "Order",
                "price": D("10.50"),
                "when": datetime(2024, 1, 1, tzinfo=UTC),
            }
        )
    )
    meta = json.loads(mocked.calls[0].request.body)["metaData"]
    assert meta == {"@type": "Order", "price": 10.5, "when": "2024-01-01T00:00:00+00:00"}
