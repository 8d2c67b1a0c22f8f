"""Shipping from the staff screen against the real sandbox: partial shipments, what is left,
over-shipment, the same form twice, the status progression to the issued documents, a lost
answer found again, refunds after a shipment, and the buyer's "Shipped"."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy.exc import IntegrityError

from storefront.extensions import db
from storefront.models import OrderEvent, OrderLine, Shipment
from storefront.payments import run_pass
from tests.sandbox.helpers import eventually

from .live import ShopOnSandbox, refund_data, refund_form, shop_on

COFFEE, MUG = "CB-ETH-250", "MUG-CER-300"


@pytest.fixture(scope="module")
def sandbox_env() -> dict[str, str]:
    """Shipments move on only when a test advances them."""
    return {"SANDBOX_REFUND_DELAY": "60", "SANDBOX_SHIPMENT_DELAY": "3600"}


@pytest.fixture
def shop(make_app, sandbox) -> ShopOnSandbox:
    return shop_on(make_app, sandbox, STOREFRONT_RECONCILE_GRACE_SECONDS=0)


def ship_form(client: FlaskClient, number: str) -> tuple[str, list[str]]:
    page = client.get(f"/staff/orders/{number}/ship").get_data(as_text=True)
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', page).group(1)
    return token, re.findall(r'name="lines-\d+-sku" value="([^"]+)"', page)


def ship_data(token: str, skus: list[str], quantities: dict[str, int],
              document: str = "TN-1", day: str = "2026-11-30") -> dict[str, str]:
    data = {"form_token": token, "document_number": document, "document_date": day}
    for index, sku in enumerate(skus):
        data[f"lines-{index}-sku"] = sku
        data[f"lines-{index}-quantity"] = str(quantities.get(sku, 0))
    return data


def ship(client: FlaskClient, number: str, quantities: dict[str, int], document: str = "TN-1"):
    token, skus = ship_form(client, number)
    return client.post(f"/staff/orders/{number}/ship",
                       data=ship_data(token, skus, quantities, document))


def shipments(shop: ShopOnSandbox, number: str) -> list[Shipment]:
    with shop.app.app_context():
        order_id = shop.order(number).id
        rows = db.session.execute(db.select(Shipment).where(Shipment.order_id == order_id)
                                  .order_by(Shipment.id)).scalars().all()
        for row in rows:
            _ = row.lines
        return list(rows)


def remote_shipments(shop: ShopOnSandbox, number: str) -> list[dict]:
    data = shop.sandbox.get(f"api/shipments?orderId={shop.invoicebox_id(number)}")["data"]
    return sorted(data, key=lambda s: s["id"])


def shipped(shop: ShopOnSandbox, number: str) -> dict[str, int]:
    with shop.app.app_context():
        return {line.sku: line.shipped_quantity for line in shop.order(number).lines}


def test_two_partial_shipments_register_at_invoicebox_and_show_what_is_left(shop):
    number = shop.paid_order({COFFEE: 2, MUG: 1})
    client = shop.staff_client()
    page = client.get(f"/staff/orders/{number}/ship").get_data(as_text=True)
    assert "Left to ship" in page and 'max="2"' in page and 'max="1"' in page

    first = ship(client, number, {COFFEE: 1}, "TN-1")
    assert first.headers["Location"] == f"/staff/orders/{number}"
    second = ship(client, number, {COFFEE: 1, MUG: 1}, "TN-2")
    assert second.status_code == 302

    local = shipments(shop, number)
    remote = remote_shipments(shop, number)
    assert [(s.document_number, s.status, s.amount) for s in local] == [
        ("TN-1", "draft", 89000), ("TN-2", "draft", 208000)]
    assert [s.invoicebox_shipment_id for s in local] == [str(r["id"]) for r in remote]
    assert [[(i["sku"], i["quantity"]) for i in r["basketItems"]] for r in remote] == [
        [(COFFEE, 1)], [(COFFEE, 1), (MUG, 1)]]
    assert remote[0]["documentNumber"] == "TN-1" and remote[0]["documentDate"] == "2026-11-30"
    assert Decimal(str(remote[1]["amount"])) == Decimal("2080.00")
    assert shipped(shop, number) == {COFFEE: 2, MUG: 1}

    order_page = client.get(f"/staff/orders/{number}").get_data(as_text=True)
    assert "TN-1" in order_page and "TN-2" in order_page and "Shipment registered" in order_page
    assert f"/staff/orders/{number}/ship" not in order_page  # nothing left to ship


def test_over_shipment_is_refused_and_nothing_is_sent(shop):
    number = shop.paid_order({COFFEE: 2, MUG: 1})
    client = shop.staff_client()
    ship(client, number, {COFFEE: 2})
    before = shop.sandbox.get("api/counters")

    response = ship(client, number, {COFFEE: 1}, "TN-2")

    assert response.status_code == 422
    assert "More units were chosen than are left to ship" in response.get_data(as_text=True)
    after = shop.sandbox.get("api/counters")
    assert after.get("POST /v3/billing/api/order/shipment") == \
        before.get("POST /v3/billing/api/order/shipment")
    assert len(shipments(shop, number)) == 1 and shipped(shop, number) == {COFFEE: 2, MUG: 0}


def test_the_database_refuses_shipping_more_than_a_line_holds(shop):
    number = shop.paid_order({COFFEE: 2})
    with shop.app.app_context():
        line_id = shop.order(number).lines[0].id
        with pytest.raises(IntegrityError):
            db.session.execute(db.update(OrderLine).where(OrderLine.id == line_id)
                               .values(shipped_quantity=3))
            db.session.flush()
        db.session.rollback()


def test_the_same_form_sent_twice_ships_once(shop):
    number = shop.paid_order({COFFEE: 2})
    client = shop.staff_client()
    token, skus = ship_form(client, number)
    data = ship_data(token, skus, {COFFEE: 1})

    assert client.post(f"/staff/orders/{number}/ship", data=data).status_code == 302
    assert client.post(f"/staff/orders/{number}/ship", data=data).status_code == 302

    assert len(shipments(shop, number)) == 1 and len(remote_shipments(shop, number)) == 1
    assert shipped(shop, number) == {COFFEE: 1}


def test_an_unpaid_order_cannot_be_shipped(shop):
    number = shop.unpaid_order({COFFEE: 1})
    client = shop.staff_client()
    response = client.get(f"/staff/orders/{number}/ship")
    assert response.status_code == 302
    assert "Only a paid order can be shipped" in client.get(
        response.headers["Location"]).get_data(as_text=True)


def test_the_runner_follows_a_shipment_to_its_documents(shop):
    number = shop.paid_order({COFFEE: 2, MUG: 1})
    client = shop.staff_client()
    ship(client, number, {COFFEE: 2, MUG: 1})
    [remote] = remote_shipments(shop, number)
    shop.sandbox.control(f"shipments/{remote['id']}/advance")
    with shop.app.app_context():
        assert run_pass("test").shipment_orders_read == 1
    assert shipments(shop, number)[0].status == "processing"

    done = shop.sandbox.control(f"shipments/{remote['id']}/advance")
    assert [d["kind"] for d in done["documents"]] == ["receipt"]
    with shop.app.app_context():
        report = run_pass("test")
        assert (report.shipment_orders_read, report.shipments_changed) == (1, 1)
        assert run_pass("test").shipment_orders_read == 0  # ended: no longer read
        kinds = [e.kind for e in db.session.execute(db.select(OrderEvent)).scalars()]
    [local] = shipments(shop, number)
    assert local.status == "completed" and local.completed_at is not None
    assert kinds.count("shipment_completed") == 1
    page = client.get(f"/staff/orders/{number}").get_data(as_text=True)
    assert "Full settlement receipt issued to the buyer" in page


def test_a_shipment_canceled_by_invoicebox_frees_its_units(shop):
    number = shop.paid_order({COFFEE: 2})
    client = shop.staff_client()
    ship(client, number, {COFFEE: 2})
    [remote] = remote_shipments(shop, number)
    shop.sandbox.control(f"shipments/{remote['id']}/cancel")

    client.post(f"/staff/orders/{number}/sync")

    assert shipments(shop, number)[0].status == "canceled"
    assert shipped(shop, number) == {COFFEE: 0}
    assert ship(client, number, {COFFEE: 2}, "TN-2").status_code == 302


def test_a_lost_answer_is_found_by_its_document_number(make_app, sandbox):
    shop = shop_on(make_app, sandbox, INVOICEBOX_WRITE_TIMEOUT=0.5,
                   STOREFRONT_RECONCILE_GRACE_SECONDS=0)
    number = shop.paid_order({COFFEE: 2})
    client = shop.staff_client()
    # The gateway holds our request past our 0.5 s timeout, then registers it anyway:
    # long enough for the second Ship below to find it still unknown on a slow machine.
    sandbox.scenario("api_timeout", seconds=5, method="POST",
                     path="/v3/billing/api/order/shipment")
    response = ship(client, number, {COFFEE: 1}, "TN-LOST")
    assert "answer was lost" in client.get(response.headers["Location"]).get_data(as_text=True)
    [local] = shipments(shop, number)
    assert local.status == "sending" and local.invoicebox_shipment_id is None
    # Another shipment must wait until this one's fate is known.
    refused = ship(client, number, {COFFEE: 1}, "TN-NEXT")
    assert refused.status_code == 422
    assert "still waiting for Invoicebox" in refused.get_data(as_text=True)

    eventually(lambda: len(remote_shipments(shop, number)) == 1, timeout=15)
    with shop.app.app_context():
        run_pass("test")
    [local] = shipments(shop, number)
    assert local.status == "draft"
    assert local.invoicebox_shipment_id == str(remote_shipments(shop, number)[0]["id"])
    assert shipped(shop, number) == {COFFEE: 1}


def test_a_shipped_order_can_still_be_refunded(shop):
    number = shop.paid_order({COFFEE: 2, MUG: 1})
    client = shop.staff_client()
    ship(client, number, {MUG: 1})
    token, skus = refund_form(client, number)

    response = client.post(f"/staff/orders/{number}/refund",
                           data=refund_data(token, skus, {MUG: 1}))

    assert response.headers["Location"] == f"/staff/orders/{number}"
    [remote] = shop.sandbox_refunds(number)
    assert [(i["sku"], i["quantity"]) for i in remote["basketItems"]] == [(MUG, 1)]


def test_the_buyer_sees_what_was_shipped(shop):
    number = shop.paid_order({COFFEE: 2, MUG: 1})
    ship(shop.staff_client(), number, {COFFEE: 1}, "TN-7")
    with shop.app.app_context():
        token = shop.order(number).public_token

    page = shop.app.test_client().get(f"/orders/{token}").get_data(as_text=True)

    assert "Shipped" in page and "TN-7" in page and "30.11.2026" in page
    assert "× 1" in page


def test_the_runner_ships_paid_services_by_itself_when_the_shop_says_so(make_app, sandbox):
    shop = shop_on(make_app, sandbox, STOREFRONT_AUTO_SHIP_SERVICES=True)
    number = shop.paid_order({"SRV-LESSON-1H": 1, COFFEE: 1, "delivery": 1})

    with shop.app.app_context():
        assert run_pass("test").services_shipped == 1
        assert run_pass("test").services_shipped == 0  # nothing left: not shipped twice

    [remote] = remote_shipments(shop, number)
    assert [(i["sku"], i["quantity"]) for i in remote["basketItems"]] == [("SRV-LESSON-1H", 1)]
    assert remote["documentNumber"] == f"AUTO-{number}-1"
    [local] = shipments(shop, number)
    assert (local.status, local.staff_id) == ("draft", None)
    assert shipped(shop, number) == {"SRV-LESSON-1H": 1, COFFEE: 0, "delivery": 0}


def test_services_wait_for_staff_when_the_setting_is_off(shop):
    number = shop.paid_order({"SRV-LESSON-1H": 1})
    with shop.app.app_context():
        assert run_pass("test").services_shipped == 0
    assert remote_shipments(shop, number) == []
