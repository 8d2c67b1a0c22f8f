"""Every real response body parses into the right model; parsing is tolerant."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from storefront.invoicebox import (
    AuthInfo,
    BasketItem,
    GatewayOrderStatus,
    GatewayRefundStatus,
    Order,
    ProtocolError,
    Refund,
    RefundableItem,
    Shipment,
    format_datetime,
    parse_datetime,
    parse_notification,
)

from .support import FIXTURES, fixture_bytes, fixture_json

D = Decimal


def data_of(name):
    return fixture_json(name)["data"]


def test_create_order_response():
    order = Order.from_dict(data_of("success-create-order-response.json"))
    assert order.id == "017f038f-c78b-736d-dc00-8bce30bd0f9f"
    assert order.status == GatewayOrderStatus.CREATED == "created"
    assert (order.amount, order.vat_amount) == (D("2790.67"), D("0"))
    assert order.currency_id == "RUB"
    assert order.shop_id == 333  # an int here, a string in the docs: kept as sent
    assert order.merchant_order_id == "1"
    assert order.payment_url == (
        "https://payment.dev.invbox.ru/order/017f038f-c751-e9e7-f580-d0685b4b74d9"
    )
    assert order.order_container_id == "017f038f-c751-e9e7-f580-d0685b4b74d9"
    assert order.created_at == datetime(2022, 2, 16, 17, 23, 48, tzinfo=UTC)
    assert order.expiration_date == datetime(2023, 7, 2, tzinfo=UTC)
    assert order.paid_at is None
    assert order.processable is True
    assert order.customer is not None
    assert order.customer.registration_address == "123321, Колотушкина, 1, 1"
    [line] = order.basket_items
    assert line == BasketItem(
        sku="0123456789",
        name="Black Edition",
        quantity=D(1),
        amount=D("2790.67"),
        amount_wo_vat=D("2790.67"),
        total_amount=D("2790.67"),
        total_vat_amount=D(0),
        vat_code="VATNONE",
        measure="шт",
        measure_code="796",
        type="commodity",
        payment_type="full_prepayment",
    )
    assert order.raw["fileIds"] == []


def test_filter_order_response_is_a_list_with_paging_metadata():
    rows = data_of("success-get-order-response.json")
    paid, posxml = (Order.from_dict(row) for row in rows)
    assert paid.status == GatewayOrderStatus.COMPLETED
    assert paid.amount == D("1239.6")
    assert paid.paid_at == datetime(2022, 2, 21, 8, 17, 3, tzinfo=UTC)
    assert paid.invoice_setting == {"customerLocked": True}
    assert paid.basket_items[0].gross_weight == D(0)
    assert paid.basket_items[0].payment_type == "full_payment"
    # Whole money values come back as JSON integers.
    assert (posxml.amount, posxml.vat_amount) == (D(110), D(10))
    assert posxml.basket_items[0].amount_wo_vat == D(100)
    assert posxml.basket_items[0].origin_country_code == "643"
    assert posxml.success_url == "https://yandex.ru/"
    assert posxml.return_url == "https://google.ru/"


def test_delete_and_update_responses():
    canceled = Order.from_dict(data_of("success-delete-order-response.json"))
    assert canceled.status == GatewayOrderStatus.CANCELED
    updated = Order.from_dict(data_of("success-update-order-response.json"))
    assert (updated.status, updated.description) == ("created", "Проездной")


def test_create_refund_response():
    refund = Refund.from_dict(data_of("success-create-refund-order.json"))
    assert refund.status == GatewayRefundStatus.CREATED
    assert refund.parent_id == "01771534-196a-1105-839a-82422289d6d9"
    assert (refund.amount, refund.vat_amount) == (D("2790.67"), D(0))
    assert refund.basket_items[0].sku == "0123456789"
    assert refund.created_at == datetime(2022, 2, 16, 17, 23, 48, tzinfo=UTC)


def test_refund_basket_item_responses():
    [sdk_row] = [RefundableItem.from_dict(r) for r in data_of("success-get-basket-response.json")]
    assert sdk_row.total_amount == D("2790.67")
    assert sdk_row.available_amount is None  # the SDK sample predates the field
    tea, delivery = (
        RefundableItem.from_dict(r) for r in data_of("contract-refund-basket-item-response.json")
    )
    assert (tea.available_amount, tea.available_vat_amount) == (D("1000.01"), D("180.33"))
    assert (delivery.available_amount, delivery.type) == (D(0), "service")


def test_check_auth_response():
    assert AuthInfo.from_dict(data_of("success-check-auth-response.json")).user_id == (
        "017c3c54-5df4-4a72-e90b-b811795fc379"
    )
    assert AuthInfo.from_dict({"userId": None, "profile": None}).user_id is None


def test_shipment_response():
    [shipment] = [Shipment.from_dict(r) for r in data_of("contract-shipment-list-response.json")]
    assert shipment.id == 371723
    assert shipment.document_date == date(2023, 12, 12)
    assert (shipment.final, shipment.amount) == (True, D("1239.6"))
    assert shipment.basket_items[0].vat_code == "VATNONE"


def test_every_success_fixture_is_covered_above():
    # A new recorded body must get a parsing test, not be ignored.
    covered = {
        "success-check-auth-response.json",
        "success-create-order-response.json",
        "success-create-refund-order.json",
        "success-delete-order-response.json",
        "success-get-basket-response.json",
        "success-get-order-response.json",
        "success-update-order-response.json",
    }
    assert {p.name for p in FIXTURES.glob("success-*.json")} == covered


def test_the_real_notification_parses_into_an_order():
    order = parse_notification(fixture_bytes("notification-example.body"))
    assert order.id == "0188d934-85f8-f872-2ac6-ad202d71b985"
    assert order.status == "success"  # the SDK's artefact, kept as sent (CONTRACT §4.4)
    assert order.amount == D("2790.67")
    assert order.merchant_order_id_visible == "55626"
    assert order.customer is not None and order.customer.country_id == "RUS"
    assert order.payment_url == (
        "https://pay.invoicebox.ru/order/0188d934-85bd-2e43-9057-53275f15a1e2"
    )


@pytest.mark.parametrize("body", [b"", b"<html>502</html>", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_a_notification_that_is_not_a_json_object(body):
    with pytest.raises(ProtocolError):
        parse_notification(body)


def test_parsing_is_tolerant():
    order = Order.from_dict(
        {
            "id": "x",
            "status": "on_the_moon",
            "amount": 100,
            "vatAmount": "not a number",
            "createdAt": "yesterday",
            "paidAt": "2024-01-01T10:00:00Z",
            "basketItems": [
                {"sku": "a", "quantity": 2, "amount": 1, "brandNewField": {"x": 1}},
                "garbage",
            ],
            "customer": "not an object",
            "processable": "yes",
            "shopId": {"nested": True},
            "somethingNew": [1, 2, 3],
        }
    )
    assert order.status == "on_the_moon"
    assert order.amount == D(100)
    assert order.vat_amount is None
    assert order.created_at is None
    assert order.paid_at == datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert [(i.sku, i.quantity, i.total_amount) for i in order.basket_items] == [("a", D(2), None)]
    assert order.basket_items[0].raw["brandNewField"] == {"x": 1}
    assert (order.customer, order.processable, order.shop_id) == (None, None, None)
    assert order.raw["somethingNew"] == [1, 2, 3]
    assert Order.from_dict({}).id == ""
    assert Refund.from_dict({"basketItems": None}).basket_items == []


def test_numbers_are_read_through_their_shortest_repr():
    assert Order.from_dict({"amount": 0.1 + 0.2}).amount == D("0.30000000000000004")
    assert Order.from_dict({"amount": 2790.67}).amount == D("2790.67")
    assert Order.from_dict({"amount": 1239.6}).amount == D("1239.6")


def test_datetimes_go_out_as_atom_with_an_offset():
    assert format_datetime(datetime(2020, 12, 22, tzinfo=UTC)) == "2020-12-22T00:00:00+00:00"
    moscow = timezone(timedelta(hours=3))
    assert format_datetime(datetime(2020, 12, 22, 3, 0, 0, 999, tzinfo=moscow)) == (
        "2020-12-22T03:00:00+03:00"
    )
    with pytest.raises(ValueError, match="timezone-aware"):
        format_datetime(datetime(2020, 12, 22))
    assert parse_datetime("2020-12-22T03:00:00+03:00") == datetime(2020, 12, 22, tzinfo=UTC)


@pytest.mark.parametrize(("written", "meant"), [
    ("completed", GatewayOrderStatus.COMPLETED), ("success", GatewayOrderStatus.COMPLETED),
    ("canceled", GatewayOrderStatus.CANCELED), ("cancelled", GatewayOrderStatus.CANCELED),
    ("hold", GatewayOrderStatus.HOLD), ("paid", None), ("", None), (None, None), (3, None),
])
def test_an_order_status_is_read_with_its_spelling_variants(written, meant):
    assert GatewayOrderStatus.read(written) is meant


def test_the_earlier_names_of_the_status_enums_still_work_with_a_warning():
    import storefront.invoicebox as invoicebox

    with pytest.warns(DeprecationWarning, match="use GatewayOrderStatus"):
        assert invoicebox.OrderStatus is GatewayOrderStatus
    with pytest.warns(DeprecationWarning, match="use GatewayRefundStatus"):
        assert invoicebox.RefundStatus is GatewayRefundStatus
