"""Guarantee (hold) payments over real HTTP: the shop served on a port, the sandbox notifying
it. A guarantee makes the order "paid, awaiting shipment"; its final shipment charges it;
canceling a held order with nothing shipped reverses it at Invoicebox, and is refused once
a shipment exists; a hold left unshipped too long is flagged for staff."""

from __future__ import annotations

import time

import pytest

from storefront.extensions import db
from storefront.models import Order, OrderEvent, Payment
from storefront.payments import run_pass
from storefront.staff.accounts import create_staff
from tests.sandbox.helpers import eventually
from tests.support.sandbox import SandboxProcess
from tests.support.shop import LiveShop, checkout, sandbox_order_id, wait_for_status

from .helpers import STAFF_EMAIL, STAFF_PASSWORD, sign_in
from .test_shipments_sandbox import ship

COFFEE, MUG = "CB-ETH-250", "MUG-CER-300"
ITEMS = [("ethiopia-yirgacheffe-250", 2), ("ceramic-mug-300", 1)]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    with SandboxProcess(tmp_path_factory.mktemp("sandbox"),
                        env={"SANDBOX_SHIPMENT_DELAY": "3600"}) as process:
        yield process


@pytest.fixture
def shop(make_app, sandbox):
    sandbox.clear_scenarios()
    app = make_app(INVOICEBOX_API_URL=sandbox.url, STOREFRONT_HOLD_SHIP_DAYS=3)
    with app.app_context():
        create_staff(STAFF_EMAIL, STAFF_PASSWORD)
        db.session.commit()
    with LiveShop(app) as live:
        yield live


def held_order(shop: LiveShop, sandbox: SandboxProcess) -> tuple[str, str, str]:
    """An order paid as a guarantee and applied from the sandbox's notification:
    (public token, order number, Invoicebox id)."""
    answer = checkout(shop.url, ITEMS)
    invoicebox_id = sandbox_order_id(sandbox, answer.location)
    paid = sandbox.control(f"orders/{invoicebox_id}/pay", {"guarantee": True})
    assert paid["status"] == "hold"
    token = _order_by_remote(shop, invoicebox_id).public_token
    order = wait_for_status(shop, token, "awaiting_shipment")
    return token, order.number, invoicebox_id


def _order_by_remote(shop: LiveShop, invoicebox_id: str) -> Order:
    with shop.app.app_context():
        return db.session.execute(db.select(Order).join(Payment).where(
            Payment.invoicebox_order_id == invoicebox_id)).scalar_one()


def staff(shop: LiveShop):
    client = shop.app.test_client()
    assert sign_in(client).status_code == 302
    return client


def events(shop: LiveShop, token: str) -> list[str]:
    order = shop.order(token)
    with shop.app.app_context():
        return list(db.session.execute(db.select(OrderEvent.kind).where(
            OrderEvent.order_id == order.id).order_by(OrderEvent.id)).scalars())


def advance(sandbox: SandboxProcess, invoicebox_id: str) -> None:
    for shipment in sandbox.get(f"api/shipments?orderId={invoicebox_id}")["data"]:
        while shipment["status"] in ("draft", "pending"):
            shipment = sandbox.control(f"shipments/{shipment['id']}/advance")


def test_a_guarantee_is_paid_awaiting_shipment_and_charged_by_the_final_shipment(shop, sandbox):
    token, number, invoicebox_id = held_order(shop, sandbox)
    order = shop.order(token)
    assert [p.status for p in order.payments] == ["hold"] and order.paid_at is not None
    client = staff(shop)
    page = client.get(f"/staff/orders/{number}").get_data(as_text=True)
    assert "paid, awaiting shipment" in page and "Refund</a>" not in page
    buyer = shop.app.test_client().get(f"/orders/{token}").get_data(as_text=True)
    assert "paid, awaiting shipment" in buyer

    assert ship(client, number, {COFFEE: 2}, "TN-1").status_code == 302
    advance(sandbox, invoicebox_id)
    time.sleep(0.5)
    assert shop.order(token).status == "awaiting_shipment"  # one line is still to ship
    assert ship(client, number, {MUG: 1}, "TN-2").status_code == 302
    advance(sandbox, invoicebox_id)

    order = wait_for_status(shop, token, "paid")
    assert [p.status for p in order.payments] == ["completed"]
    assert sandbox.get(f"api/orders/{invoicebox_id}")["status"] == "completed"
    kinds = events(shop, token)
    assert "held" in kinds and kinds.count("hold_charged") == 1 and "paid" not in kinds
    # Charged: now it is refunded like any paid order.
    assert "Refund</a>" in client.get(f"/staff/orders/{number}").get_data(as_text=True)


def test_canceling_a_held_order_with_nothing_shipped_reverses_the_guarantee(shop, sandbox):
    token, number, invoicebox_id = held_order(shop, sandbox)
    client = staff(shop)
    form = client.get(f"/staff/orders/{number}/cancel").get_data(as_text=True)
    assert "reverses the guarantee" in form

    answer = client.post(f"/staff/orders/{number}/cancel", data={"reason": "Out of stock"})

    assert answer.status_code == 302
    assert "releases the reserved money" in client.get(answer.headers["Location"]).get_data(
        as_text=True)
    order = shop.order(token)
    assert order.status == "canceled" and [p.status for p in order.payments] == ["canceled"]
    assert sandbox.get(f"api/orders/{invoicebox_id}")["status"] == "canceled"
    assert {"hold_reversed", "order_canceled"} <= set(events(shop, token))


def test_a_held_order_cannot_be_canceled_once_shipped(shop, sandbox):
    token, number, invoicebox_id = held_order(shop, sandbox)
    client = staff(shop)
    ship(client, number, {COFFEE: 1}, "TN-1")
    before = sandbox.get("api/counters").get(
        f"DELETE /v3/billing/api/order/order/{invoicebox_id}")

    answer = client.post(f"/staff/orders/{number}/cancel", data={"reason": "Changed mind"})

    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "can no longer be reversed" in page
    assert shop.order(token).status == "awaiting_shipment"
    assert sandbox.get(f"api/orders/{invoicebox_id}")["status"] == "hold"
    assert sandbox.get("api/counters").get(
        f"DELETE /v3/billing/api/order/order/{invoicebox_id}") == before


def test_a_hold_not_shipped_in_time_is_flagged(make_app, sandbox):
    app = make_app(INVOICEBOX_API_URL=sandbox.url, STOREFRONT_HOLD_SHIP_DAYS=0)
    with app.app_context():
        create_staff(STAFF_EMAIL, STAFF_PASSWORD)
        db.session.commit()
    with LiveShop(app) as live:
        token, number, _ = held_order(live, sandbox)
        client = staff(live)
        page = client.get(f"/staff/orders/{number}").get_data(as_text=True)
        assert "not shipped yet" in page
        ship(client, number, {COFFEE: 1}, "TN-1")
        assert "not shipped yet" not in client.get(
            f"/staff/orders/{number}").get_data(as_text=True)


def test_a_lost_hold_notification_is_applied_by_the_status_check(shop, sandbox):
    answer = checkout(shop.url, ITEMS)
    invoicebox_id = sandbox_order_id(sandbox, answer.location)
    sandbox.scenario("notification_drop", count=5, path="-")  # every merchantOrderId
    sandbox.control(f"orders/{invoicebox_id}/pay", {"guarantee": True})
    order = _order_by_remote(shop, invoicebox_id)
    client = staff(shop)

    client.post(f"/staff/orders/{order.number}/sync")

    eventually(lambda: shop.order(order.public_token).status == "awaiting_shipment")
    assert [p.status for p in shop.order(order.public_token).payments] == ["hold"]


def test_a_lost_charge_notification_is_found_by_the_runner(shop, sandbox):
    token, number, invoicebox_id = held_order(shop, sandbox)
    client = staff(shop)
    ship(client, number, {COFFEE: 2, MUG: 1}, "TN-ALL")
    sandbox.scenario("notification_drop", count=5, path="-")  # the charge is never told
    advance(sandbox, invoicebox_id)
    assert sandbox.get(f"api/orders/{invoicebox_id}")["status"] == "completed"
    assert shop.order(token).status == "awaiting_shipment"

    with shop.app.app_context():
        shop.app.config["STOREFRONT_RECONCILE_GRACE_SECONDS"] = 0
        report = run_pass("test")

    assert report.shipments_changed == 1
    order = shop.order(token)
    assert order.status == "paid" and [p.status for p in order.payments] == ["completed"]
    assert "hold_charged" in events(shop, token)
