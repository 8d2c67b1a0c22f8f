"""The race shipment control exists for (CONTRACT §5.4), under gunicorn on PostgreSQL: two
buyers pay for the last unit within the same moment. One gets it; the other's notification
is answered ``shipping_unavailable``, their order is marked undeliverable with a reversal,
and the reconcile runner, a separate process run afterwards, refunds them in full. With
guarantee (hold) payments the loser's order is "not deliverable, guarantee being released"
and the runner cancels its Invoicebox order with ``DELETE`` instead (CONTRACT §4.1, §5.4):
the sandbox turns it ``canceled`` and nothing is refunded.

The shop runs with ``STOREFRONT_SHIPMENT_CONTROL=on``; the notifications are the sandbox's
own signed bodies, held back and then sent together.
"""

from __future__ import annotations

import pytest

from storefront.extensions import db
from storefront.models import Order, Refund, Reversal

from .flows import order_record, pay_quietly, place_order, set_stock, stock_of
from .live import at_once, post_from_thread
from .reconcile_runs import reconcile

pytestmark = pytest.mark.postgres

URL = "/invoicebox/notification"


@pytest.fixture(scope="module")
def shop_env() -> dict[str, str]:
    return {"STOREFRONT_SHIPMENT_CONTROL": "on"}


def _race_for_the_last_unit(live_shop, slug: str, guarantee: bool = False):
    """Two buyers pay for the only unit of ``slug`` and both notifications arrive at once.

    Checks what every such race must end in (one taken, the other refused with
    ``shipping_unavailable``, stock at 0, never below) and returns the buyers and each
    order's status by number.
    """
    set_stock(live_shop, slug, 1)
    buyers = [place_order(live_shop, [(slug, 1)]) for _ in range(2)]
    bodies = [pay_quietly(live_shop, placed.invoicebox_id, guarantee=guarantee)
              for placed in buyers]

    answers = at_once(2, lambda i: post_from_thread(live_shop.url + URL, *bodies[i]))

    replies = sorted((a.status_code, a.json().get("code", "")) for a in answers)
    assert replies == [(200, ""), (200, "shipping_unavailable")], replies
    assert stock_of(live_shop, slug) == 0  # never below: CHECK (stock >= 0)
    statuses = {placed.number: order_record(live_shop, placed.number)["status"]
                for placed in buyers}
    return buyers, statuses


# Two senders meet less surely than twenty: the race is run a few times.
@pytest.mark.parametrize("round_", range(3))
def test_two_buyers_of_the_last_unit_one_gets_it_the_other_gets_the_money_back(live_shop,
                                                                              round_):
    buyers, statuses = _race_for_the_last_unit(live_shop, "ceramic-mug-300")
    assert sorted(statuses.values()) == ["paid", "undeliverable"]
    [loser] = [number for number, status in statuses.items() if status == "undeliverable"]
    with live_shop.app.app_context():
        loser_id = db.session.execute(
            db.select(Order.id).where(Order.number == loser)).scalar_one()
        reversals = db.session.execute(
            db.select(Reversal.order_id, Reversal.refund_id).where(
                Reversal.order_id.in_(db.select(Order.id).where(
                    Order.number.in_(list(statuses)))))).all()
        assert reversals == [(loser_id, None)]  # recorded with the answer; nothing refunded

    reconcile(live_shop)  # the runner, as cron would start it

    with live_shop.app.app_context():
        refund_id = db.session.execute(
            db.select(Reversal.refund_id).where(Reversal.order_id == loser_id)).scalar_one()
        refund = db.session.get(Refund, refund_id)
        order = db.session.get(Order, loser_id)
        assert refund.status == "created" and refund.amount == order.amount
    loser_ib = next(p.invoicebox_id for p in buyers if p.number == loser)
    remote = live_shop.sandbox.get(f"api/refunds?parentId={loser_ib}")["data"]
    assert [round(r["amount"] * 100) for r in remote] == [order.amount]
    record = order_record(live_shop, loser)
    assert record["events"].count("undeliverable") == 1
    assert record["events"].count("reversal_issued") == 1


@pytest.mark.parametrize("round_", range(3))
def test_two_guarantees_for_the_last_unit_one_is_held_the_other_deleted(live_shop, round_):
    buyers, statuses = _race_for_the_last_unit(live_shop, "french-press-350", guarantee=True)
    assert sorted(statuses.values()) == ["awaiting_shipment", "hold_undeliverable"]
    [loser] = [number for number, status in statuses.items()
               if status == "hold_undeliverable"]
    [winner] = [placed for placed in buyers if placed.number != loser]
    loser_ib = next(p.invoicebox_id for p in buyers if p.number == loser)
    with live_shop.app.app_context():
        loser_id = db.session.execute(
            db.select(Order.id).where(Order.number == loser)).scalar_one()
        reversals = db.session.execute(
            db.select(Reversal.order_id, Reversal.refund_id, Reversal.issued_at).where(
                Reversal.order_id.in_(db.select(Order.id).where(
                    Order.number.in_(list(statuses)))))).all()
        assert reversals == [(loser_id, None, None)]  # recorded with the answer only
    assert live_shop.sandbox.get(f"api/orders/{loser_ib}")["status"] == "hold"

    reconcile(live_shop)  # the runner, as cron would start it

    assert live_shop.sandbox.get(f"api/orders/{loser_ib}")["status"] == "canceled"
    assert live_shop.sandbox.get(
        f"api/orders/{winner.invoicebox_id}")["status"] == "hold"  # untouched
    assert live_shop.sandbox.get(f"api/refunds?parentId={loser_ib}")["data"] == []
    with live_shop.app.app_context():
        reversal = db.session.execute(
            db.select(Reversal).where(Reversal.order_id == loser_id)).scalar_one()
        assert reversal.refund_id is None and reversal.issued_at is not None
    record = order_record(live_shop, loser)
    assert record["status"] == "canceled"
    assert record["events"].count("undeliverable") == 1
    assert record["events"].count("reversal_issued") == 1
    assert order_record(live_shop, winner.number)["status"] == "awaiting_shipment"
