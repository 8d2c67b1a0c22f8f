"""Canceling unpaid orders and syncing a payment whose notification was lost."""

from __future__ import annotations

import pytest

from storefront.extensions import db
from storefront.models import GatewayCall
from tests.sandbox.helpers import eventually
from tests.support.sandbox import SandboxError

from .live import NOWHERE, ShopOnSandbox

COFFEE = "CB-ETH-250"


REASON = {"reason": "The buyer asked to cancel"}


def test_cancel_deletes_the_invoicebox_order_so_it_cannot_be_paid(shop):
    number = shop.unpaid_order({COFFEE: 1})
    client = shop.staff_client()
    response = client.post(f"/staff/orders/{number}/cancel", data=REASON)
    assert response.headers["Location"] == f"/staff/orders/{number}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Order {number} canceled." in page
    assert shop.gateway.get_order(shop.invoicebox_id(number)).status == "canceled"
    with pytest.raises(SandboxError, match="409"):
        shop.pay_at_sandbox(number)
    with shop.app.app_context():
        order = shop.order(number)
        assert order.status == "canceled"
        assert [p.status for p in order.payments] == ["canceled"]
    assert "Cancel order" not in client.get(f"/staff/orders/{number}").get_data(as_text=True)


def test_cancel_of_an_order_paid_meanwhile_is_refused_and_syncs_it(shop):
    """The buyer paid, the notification was lost, then staff try to cancel."""
    number = shop.unpaid_order({COFFEE: 1})
    shop.pay_at_sandbox(number)
    client = shop.staff_client()
    response = client.post(f"/staff/orders/{number}/cancel", data=REASON)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "the buyer has already paid" in page
    assert shop.gateway.get_order(shop.invoicebox_id(number)).status == "completed"
    with shop.app.app_context():
        assert shop.order(number).status == "paid"


def test_cancel_is_refused_for_a_paid_order(shop):
    number = shop.paid_order({COFFEE: 1})
    client = shop.staff_client()
    response = client.post(f"/staff/orders/{number}/cancel", data=REASON)
    assert "Only an unpaid order can be canceled" in \
        client.get(response.headers["Location"]).get_data(as_text=True)
    assert shop.gateway.get_order(shop.invoicebox_id(number)).status == "completed"


def test_sync_marks_paid_an_order_whose_notification_was_lost(shop):
    number = shop.unpaid_order({COFFEE: 1})
    shop.pay_at_sandbox(number)  # the notification goes to a closed port
    client = shop.staff_client()
    assert ">awaiting payment</span>" in client.get(f"/staff/orders/{number}").get_data(
        as_text=True)
    response = client.post(f"/staff/orders/{number}/sync")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Synced with Invoicebox: the order was updated." in page
    assert ">paid</span>" in page
    with shop.app.app_context():
        assert shop.order(number).status == "paid"
    again = client.post(f"/staff/orders/{number}/sync")
    assert "nothing had changed" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_cancel_whose_answer_is_lost_reads_the_order_back(make_app, sandbox):
    """The DELETE outlives our timeout: we ask the order's status instead of resending."""
    shop = ShopOnSandbox(make_app(INVOICEBOX_API_URL=sandbox.url, INVOICEBOX_WRITE_TIMEOUT=0.3,
                                  STOREFRONT_PUBLIC_URL=NOWHERE), sandbox)
    number = shop.unpaid_order({COFFEE: 1})
    invoicebox_id = shop.invoicebox_id(number)
    # Held well past our 0.3 s timeout, so that the read-back below still finds it held.
    sandbox.scenario("api_timeout", seconds=3.0, method="DELETE", path=invoicebox_id)
    client = shop.staff_client()
    response = client.post(f"/staff/orders/{number}/cancel", data=REASON)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    # Read back while the gateway still holds the DELETE: the order is still payable.
    assert "Invoicebox did not cancel the order; it can still be paid. Try again." in page
    with shop.app.app_context():
        assert shop.order(number).status == "awaiting_payment"
        calls = [(c.method, c.outcome) for c in db.session.execute(
            db.select(GatewayCall).order_by(GatewayCall.id)).scalars()]
    assert calls[-2:] == [("DELETE", "unknown"), ("GET", "ok")]

    eventually(lambda: shop.gateway.get_order(invoicebox_id).status == "canceled")
    # DELETE of a canceled order: 200
    again = client.post(f"/staff/orders/{number}/cancel", data=REASON)
    assert f"Order {number} canceled." in client.get(again.headers["Location"]).get_data(
        as_text=True)


def test_cancel_of_an_expired_invoicebox_order_syncs_it_first(shop):
    number = shop.unpaid_order({COFFEE: 1})
    shop.sandbox.control(f"orders/{shop.invoicebox_id(number)}/expire")
    client = shop.staff_client()
    first = client.post(f"/staff/orders/{number}/cancel", data=REASON)
    assert "its payment is expired there" in client.get(first.headers["Location"]).get_data(
        as_text=True)
    with shop.app.app_context():
        assert shop.order(number).status == "expired"
    second = client.post(f"/staff/orders/{number}/cancel", data=REASON)
    assert f"Order {number} canceled." in client.get(second.headers["Location"]).get_data(
        as_text=True)
    with shop.app.app_context():
        assert shop.order(number).status == "canceled"


def test_cancel_with_invoicebox_down_says_so_plainly_and_logs_the_detail(shop, caplog):
    number = shop.unpaid_order({COFFEE: 1})
    client = shop.staff_client()
    shop.app.config["INVOICEBOX_API_URL"] = NOWHERE  # the gateway's host stops answering
    shop.app.extensions.pop("invoicebox_client")
    try:
        response = client.post(f"/staff/orders/{number}/cancel", data=REASON)
        page = client.get(response.headers["Location"]).get_data(as_text=True)
    finally:
        shop.app.config["INVOICEBOX_API_URL"] = shop.sandbox.url
        shop.app.extensions.pop("invoicebox_client")
    assert "Invoicebox could not be reached. Nothing was changed; try again in a moment." in page
    assert "port=9" not in page and "Errno" not in page and "refused" not in page
    assert "Connection refused" in caplog.text  # the detail is for the log
    with shop.app.app_context():
        assert shop.order(number).status == "awaiting_payment"
