"""Refunds that keep a fee, raced on PostgreSQL under gunicorn: one draft and one correction
order however often the form is sent, and two reconcile runners finishing the same drafts
send each correction order once.

A module of its own, so that no other test's drafts are due while the runners work and the
sandbox's counters count exactly this module's correction orders.
"""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

import pytest

from storefront.extensions import db
from storefront.models import Refund, now_utc

from .flows import order_record, paid_order
from .reconcile_runs import two_runners
from .test_refund_races import sandbox_refunds, submit_together

pytestmark = pytest.mark.postgres

COFFEE = ("ethiopia-yirgacheffe-250", "CB-ETH-250", 89000)
CORRECTIONS = "POST /v3/billing/api/order/correction-order"
DRAFTS = 4
PAID_OUT = ("created", "completed")  # the sandbox completes refunds after a second


def corrections(shop) -> int:
    return shop.sandbox.get("api/counters").get(CORRECTIONS, 0)


def test_the_same_fee_refund_form_sent_eight_times_at_once_keeps_the_fee_once(live_shop):
    slug, sku, price = COFFEE
    placed = paid_order(live_shop, [(slug, 2)])
    staff = live_shop.staff_browser()
    form = staff.refund_form(placed.number, quantities={sku: 1})
    form.update(fee_amount="90", fee_reason="Restocking fee")
    live_shop.sandbox.control("api/counters/clear")
    # The correction order takes a second, so the copies meet the first while it is sent.
    live_shop.sandbox.scenario("api_timeout", seconds=1, method="POST",
                               path="/correction-order")

    answers = submit_together(live_shop, staff, placed.number, [form] * 8)

    assert [a.status_code for a in answers] == [302] * 8, [a.text[:500] for a in answers]
    [made] = sandbox_refunds(live_shop, placed.invoicebox_id)
    assert made["status"] in PAID_OUT
    assert Decimal(str(made["netAmount"])) == Decimal("800")  # 890 less the 90 kept
    assert corrections(live_shop) == 1
    [(number, status, amount, _)] = order_record(live_shop, placed.number)["refunds"]
    assert (number, amount) == (f"R-{placed.number}-1", price) and status in PAID_OUT


def test_two_runners_finish_the_same_drafts_sending_each_correction_order_once(live_shop):
    slug, sku, _price = COFFEE
    placed = [paid_order(live_shop, [(slug, 1)]) for _ in range(DRAFTS)]
    staff = live_shop.staff_browser()
    live_shop.sandbox.scenario("api_500", count=DRAFTS, method="POST", path="/correction-order")
    for each in placed:
        form = staff.refund_form(each.number, quantities={sku: 1})
        form.update(fee_amount="100", fee_reason="Restocking fee")
        assert staff.post(f"/staff/orders/{each.number}/refund", data=form).status_code == 302
    with live_shop.app.app_context():
        assert db.session.execute(db.select(db.func.count(Refund.id)).where(
            Refund.status == "draft")).scalar_one() == DRAFTS
        # Long past the window in which the failed sends could still be in flight.
        db.session.execute(db.update(Refund).where(Refund.status == "draft").values(
            correction_sent_at=now_utc() - timedelta(hours=1)))
        db.session.commit()
    live_shop.sandbox.control("api/counters/clear")
    # Each correction order takes a moment, so one runner claims while the other sends.
    live_shop.sandbox.scenario("api_timeout", count=DRAFTS, seconds=0.5, method="POST",
                               path="/correction-order")

    with two_runners(live_shop, STOREFRONT_RECONCILE_BATCH="1") as outputs:
        deadline = time.monotonic() + 90
        while any(sandbox_refunds(live_shop, p.invoicebox_id)[0]["status"] not in PAID_OUT
                  for p in placed):
            assert time.monotonic() < deadline, "the runners did not finish every draft"
            time.sleep(0.3)
        with live_shop.app.app_context():
            while db.session.execute(db.select(db.func.count(Refund.id)).where(
                    Refund.status == "draft")).scalar_one():
                assert time.monotonic() < deadline, "a draft stayed a draft in the shop"
                db.session.rollback()
                time.sleep(0.3)
        time.sleep(2)  # a further pass each: nothing is due, so nothing is sent again

    assert corrections(live_shop) == DRAFTS, outputs
    for each in placed:
        [remote] = sandbox_refunds(live_shop, each.invoicebox_id)
        assert Decimal(str(remote["netAmount"])) == Decimal("790")
        [(_, status, _, _)] = order_record(live_shop, each.number)["refunds"]
        assert status in PAID_OUT
