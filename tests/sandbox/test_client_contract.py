"""The shop's Invoicebox client against the running sandbox, over real HTTP.

Every client method is called at least once; error answers must come out as the client's
exception classes, and notifications must verify with the client's ``verify_signature``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from storefront.invoicebox import (
    AuthError,
    Basket,
    CreateOrderRequest,
    CreateRefundRequest,
    CreateShipmentRequest,
    Customer,
    InvoiceboxClient,
    NotFound,
    Order,
    RateLimited,
    ServerError,
    UnknownOutcome,
    UpdateOrderRequest,
    ValidationError,
    gateway_json,
    parse_notification,
    verify_signature,
)
from tests.support.receiver import NotificationReceiver
from tests.support.sandbox import DEMO_MERCHANT_ID, SandboxProcess

from .helpers import eventually

SHA256_MERCHANT = "0188d934-0000-7000-8000-000000000256"
SHA256_TOKEN = "f" * 32
SHA256_KEY = "another-key"

pytestmark = pytest.mark.usefixtures("fresh")


@pytest.fixture(scope="module")
def sandbox_config(receiver: NotificationReceiver) -> dict[str, Any]:
    return {"merchants": [
        {"id": DEMO_MERCHANT_ID, "notification_url": receiver.url},
        {"id": SHA256_MERCHANT, "token": SHA256_TOKEN, "notification_key": SHA256_KEY,
         "signature_algorithm": "sha256", "notification_url": f"{receiver.url}/256"},
    ]}


@pytest.fixture(params=["v3", "l3"])
def client(request: pytest.FixtureRequest,
           sandbox: SandboxProcess) -> Iterator[InvoiceboxClient]:
    with InvoiceboxClient(sandbox.url, sandbox.token, api_version=request.param) as api:
        yield api


def tea_basket() -> Basket:
    basket = Basket()
    basket.add(sku="tea-1", name="Чай улун, 100 г", unit_price="1000.00", quantity=2,
               vat_code="RUS_VAT22")
    basket.add_delivery("300.00", "RUS_VAT22")
    return basket


def order_request(number: str, merchant_id: str = DEMO_MERCHANT_ID,
                  **overrides: Any) -> CreateOrderRequest:
    values: dict[str, Any] = {
        "merchant_id": merchant_id, "merchant_order_id": number,
        "description": "Заказ чая", "basket_items": tea_basket().items,
        "expiration_date": datetime.now(UTC) + timedelta(days=1),
        "customer": Customer(type="private", email="buyer@example.com"),
        "language_id": "ru", "success_url": "https://shop.example/ok",
    }
    values.update(overrides)
    return CreateOrderRequest(**values)


def paid_order(client: InvoiceboxClient, sandbox: SandboxProcess, number: str) -> Order:
    order = client.create_order(order_request(number))
    sandbox.control(f"orders/{order.id}/pay")
    return client.get_order(order.id)


def test_auth(client: InvoiceboxClient, sandbox: SandboxProcess) -> None:
    assert client.check_auth() is True
    assert client.auth_info().user_id
    with InvoiceboxClient(sandbox.url, "0" * 32, api_version=client.api_version) as wrong:
        assert wrong.check_auth() is False


def test_order_life_cycle(client: InvoiceboxClient, sandbox: SandboxProcess) -> None:
    order = client.create_order(order_request("C-1"))

    assert (order.status, order.amount, order.vat_amount) == (
        "created", Decimal("2300.00"), Decimal("414.76"))
    assert order.payment_url == f"{sandbox.url}/order/{order.order_container_id}"
    assert [item.sku for item in order.basket_items] == ["tea-1", "delivery"]
    assert order.created_at is not None and order.created_at.tzinfo is not None
    assert client.get_order(order.id).merchant_order_id == "C-1"

    basket = Basket()
    basket.add(sku="tea-1", name="Чай улун, 100 г", unit_price="1000.00", quantity=1,
               vat_code="RUS_VAT22")
    updated = client.update_order(order.id, UpdateOrderRequest(
        description="Один чай", basket_items=basket.items))
    assert (updated.description, updated.amount) == ("Один чай", Decimal("1000"))

    canceled = client.cancel_order(order.id)
    assert canceled.status == "canceled"
    with pytest.raises(ValidationError) as refused:
        client.update_order(order.id, UpdateOrderRequest(description="x"))
    assert refused.value.code == "wrong_order_status" and refused.value.request_id


def test_finding_orders(client: InvoiceboxClient) -> None:
    for number in ("F-1", "F-2", "F-2"):
        client.create_order(order_request(number))

    page = client.find_orders({"merchantOrderId": ["F-1", "F-2"]}, order_by=["-createdAt"],
                              page=1, page_size=2)
    assert (len(page), page.total_count, page.page, page.page_size) == (2, 3, 1, 2)
    assert len(client.find_orders_by_merchant_order_id("F-2")) == 2
    assert client.find_order_by_merchant_order_id("F-1").merchant_order_id == "F-1"
    assert client.find_order_by_merchant_order_id("F-404") is None


def test_api_errors_map_to_the_client_exceptions(client: InvoiceboxClient,
                                                 sandbox: SandboxProcess) -> None:
    with pytest.raises(NotFound):
        client.get_order("00000000-0000-0000-0000-000000000000")
    with pytest.raises(NotFound) as missing:
        client.cancel_order("00000000-0000-0000-0000-000000000000")
    assert missing.value.http_status == 404 and missing.value.code == "not_found"

    with pytest.raises(AuthError) as forbidden:
        client.create_order(order_request("E-1", merchant_id=SHA256_MERCHANT))
    assert (forbidden.value.http_status, forbidden.value.code) == (403, "forbidden")

    with InvoiceboxClient(sandbox.url, "0" * 32, api_version=client.api_version) as wrong:
        with pytest.raises(AuthError) as unauthorized:
            wrong.find_orders()
    assert unauthorized.value.http_status == 401 and unauthorized.value.request_id

    past = datetime.now(UTC) - timedelta(days=1)
    with pytest.raises(ValidationError) as invalid:
        client.create_order(order_request("E-2", expiration_date=past))
    assert invalid.value.code == "wrong_expiration_date"
    assert [f.name for f in invalid.value.fields] == ["expirationDate"]


def test_rate_limits_are_honoured_on_reads(sandbox: SandboxProcess) -> None:
    naps: list[float] = []
    with InvoiceboxClient(sandbox.url, sandbox.token, sleep=naps.append) as patient:
        sandbox.scenario("api_429", seconds=2, method="GET")
        assert patient.check_auth() is True
    assert naps == [2]

    with InvoiceboxClient(sandbox.url, sandbox.token, max_retries=1) as impatient:
        sandbox.scenario("api_429", seconds=3)
        with pytest.raises(RateLimited) as limited:
            impatient.find_orders()
    assert limited.value.retry_after == 3 and limited.value.code is None


def test_server_errors(sandbox: SandboxProcess) -> None:
    with InvoiceboxClient(sandbox.url, sandbox.token, max_retries=1) as api:
        sandbox.scenario("api_500", method="GET")
        with pytest.raises(ServerError) as failed:
            api.find_orders()
        assert (failed.value.http_status, failed.value.code) == (500, None)

        sandbox.scenario("api_500", method="POST")
        with pytest.raises(UnknownOutcome):
            api.create_order(order_request("S-1"))
        # the sandbox did nothing, and reconciliation says so
        assert api.find_order_by_merchant_order_id("S-1") is None


def test_a_write_that_times_out_is_reconciled(sandbox: SandboxProcess) -> None:
    with InvoiceboxClient(sandbox.url, sandbox.token, write_timeout=(3, 0.5)) as api:
        sandbox.scenario("api_timeout", seconds=1.5, method="POST")
        with pytest.raises(UnknownOutcome):
            api.create_order(order_request("T-1"))
        found = eventually(lambda: api.find_order_by_merchant_order_id("T-1"), timeout=5)

    assert found.status == "created"


def test_refunds(client: InvoiceboxClient, sandbox: SandboxProcess) -> None:
    order = paid_order(client, sandbox, "R-1")
    before = {item.sku: item for item in client.get_refundable_items(order.id)}
    assert before["tea-1"].available_amount == Decimal("2000")

    part = Basket()
    part.add_units_of(before["tea-1"], 1)
    refund = client.create_refund(CreateRefundRequest(
        parent_id=order.id, merchant_order_id="R-1-1", description="Возврат",
        basket_items=part.items))
    assert (refund.status, refund.amount, refund.parent_id) == ("created", Decimal("1000"),
                                                                order.id)
    after = {item.sku: item for item in client.get_refundable_items(order.id)}
    assert after["tea-1"].available_amount == Decimal("1000")

    with pytest.raises(ValidationError) as duplicate:
        client.create_refund(CreateRefundRequest(
            parent_id=order.id, merchant_order_id="R-1-1", description="Снова",
            basket_items=part.items))
    assert duplicate.value.code == "merchant_order_id_duplicate"

    stale = Basket()  # built from the remainder as it was before the first refund
    stale.add_remainder_of(before["tea-1"])
    with pytest.raises(ValidationError) as over:
        client.create_refund(CreateRefundRequest(
            parent_id=order.id, merchant_order_id="R-1-2", description="Всё",
            basket_items=stale.items))
    assert over.value.code == "wrong_total_amount"
    assert over.value.fields[0].name == "basketItems[0].totalAmount"

    assert [r.id for r in client.find_refunds({"parentId": order.id})] == [refund.id]
    assert client.find_refund_by_merchant_order_id("R-1-1", parent_id=order.id).id == refund.id
    assert client.find_refund_by_merchant_order_id("R-1-9") is None


def test_refund_of_an_unpaid_order(client: InvoiceboxClient) -> None:
    order = client.create_order(order_request("U-1"))
    with pytest.raises(ValidationError) as refused:
        client.get_refundable_items(order.id)
    assert refused.value.code == "wrong_order_status"


def test_correction_order(client: InvoiceboxClient, sandbox: SandboxProcess) -> None:
    order = paid_order(client, sandbox, "K-1")
    lines = Basket()
    lines.add_units_of(order.basket_items[0], 2)
    draft = client.create_refund(CreateRefundRequest(
        parent_id=order.id, merchant_order_id="K-1-1", description="Возврат со сбором",
        basket_items=lines.items, status="draft"))
    fee = Basket()
    fee.add(sku="fee", name="Сбор за возврат", unit_price="150.00", vat_code="RUS_VAT22",
            type="service")
    correction = client.create_correction_order(order_request(
        "K-1-fee", basket_items=fee.items, parent_id=draft.id))

    assert (draft.status, correction.status, correction.parent_id) == (
        "draft", "completed", draft.id)
    refund = client.find_refund_by_merchant_order_id("K-1-1")
    assert refund.status == "created"
    assert refund.raw["netAmount"] == 1850


def test_shipments(client: InvoiceboxClient, sandbox: SandboxProcess) -> None:
    order = paid_order(client, sandbox, "H-1")
    shipment = client.create_shipment(CreateShipmentRequest(
        order_id=order.id, basket_items=order.basket_items, document_number="TN-1",
        document_date=date(2024, 1, 15), final=True))

    assert isinstance(shipment.id, int)
    assert (shipment.order_id, shipment.document_date, shipment.final) == (
        order.id, date(2024, 1, 15), True)
    assert [s.id for s in client.list_shipments(order.id)] == [shipment.id]
    assert len(client.find_shipments({"orderId": order.id})) == 1
    with pytest.raises(ValidationError) as again:
        client.create_shipment(CreateShipmentRequest(order_id=order.id,
                                                     basket_items=order.basket_items))
    assert again.value.code == "wrong_total_amount"


def test_notifications_verify_with_the_clients_signature_check(
        sandbox: SandboxProcess, receiver: NotificationReceiver) -> None:
    with InvoiceboxClient(sandbox.url, sandbox.token) as demo, \
            InvoiceboxClient(sandbox.url, SHA256_TOKEN) as other:
        first = paid_order(demo, sandbox, "N-1")
        order = other.create_order(order_request("N-2", merchant_id=SHA256_MERCHANT))
        sandbox.control(f"orders/{order.id}/pay")
        notes = receiver.wait_for(2)

    by_path = {note.path: note for note in notes}
    sha1, sha256 = by_path["/notify"], by_path["/notify/256"]
    assert verify_signature(sha1.body, sha1.headers["X-Signature"], sandbox.notification_key)
    assert verify_signature(sha256.body, sha256.headers["X-Signature"], SHA256_KEY, "sha256")
    assert not verify_signature(sha256.body, sha256.headers["X-Signature"], SHA256_KEY)
    parsed = parse_notification(sha1.body)
    assert (parsed.id, parsed.status, parsed.amount) == (first.id, "completed", first.amount)
    assert parsed.paid_at is not None
    assert gateway_json(sha1.json()) == sha1.body  # the client's PHP encoder agrees


def test_tampered_notifications_do_not_verify(sandbox: SandboxProcess,
                                              receiver: NotificationReceiver) -> None:
    with InvoiceboxClient(sandbox.url, sandbox.token) as api:
        sandbox.scenario("notification_bad_signature")
        paid_order(api, sandbox, "B-1")
        sandbox.scenario("notification_wrong_amount")
        order = paid_order(api, sandbox, "B-2")
        # delivered concurrently, so they may arrive in either order
        notes = {note.json()["merchantOrderId"]: note for note in receiver.wait_for(2)}
        bad_signature, wrong_amount = notes["B-1"], notes["B-2"]

    assert not verify_signature(bad_signature.body, bad_signature.headers["X-Signature"],
                                sandbox.notification_key)
    assert verify_signature(wrong_amount.body, wrong_amount.headers["X-Signature"],
                            sandbox.notification_key)
    assert parse_notification(wrong_amount.body).amount == order.amount + 1
