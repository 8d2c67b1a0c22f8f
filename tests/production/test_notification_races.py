"""Notifications racing each other through several gunicorn workers on PostgreSQL.

What settles each race is the database: ``mark_paid`` locks the order and then the payment
(``FOR NO KEY UPDATE``) and changes them with conditional ``UPDATE``s, so of any number of
transactions applying "paid" at the same moment exactly one finds them payable.
"""

from __future__ import annotations

import pytest

from storefront.invoicebox import InvoiceboxClient, gateway_json, sign

from .flows import order_record, pay_quietly, place_order, second_invoicebox_order
from .live import at_once, post_from_thread

pytestmark = pytest.mark.postgres

SENDERS = 20
URL = "/invoicebox/notification"


def test_twenty_identical_notifications_make_one_paid_transition(live_shop):
    placed = place_order(live_shop, [("french-press-350", 1), ("ceramic-mug-300", 2)])
    raw, headers = pay_quietly(live_shop, placed.invoicebox_id)
    assert order_record(live_shop, placed.number)["status"] == "awaiting_payment"

    answers = at_once(SENDERS, lambda _: post_from_thread(live_shop.url + URL, raw, headers))

    assert [(a.status_code, a.json()) for a in answers] == [(200, {"status": "success"})] * SENDERS
    record = order_record(live_shop, placed.number)
    assert record["status"] == "paid" and record["paid_at"] is not None
    assert record["payments"] == [(1, placed.invoicebox_id, "completed", True)]
    assert record["events"].count("paid") == 1
    payment_id = record["payment_ids"][placed.invoicebox_id]
    assert record["notifications"].count((payment_id, "success", None, True)) == 1
    # Every other copy found it paid: stored as such, or (once its worker had seen the
    # payment settle) answered from that worker's memory and not stored again.
    assert record["notifications"].count((payment_id, "success", None, False)) <= SENDERS - 1
    assert {row[:3] for row in record["notifications"]} == {(payment_id, "success", None)}


# Two senders meet less surely than twenty: the race is run on a few orders.
@pytest.mark.parametrize("round_", range(3))
def test_two_invoicebox_orders_paying_one_order_at_once_pay_it_once(live_shop, round_):
    placed = place_order(live_shop, [("tieguanyin-oolong-100", 1)])
    other_id = second_invoicebox_order(live_shop, placed)
    first = pay_quietly(live_shop, placed.invoicebox_id)
    second = pay_quietly(live_shop, other_id)

    answers = at_once(2, lambda i: post_from_thread(live_shop.url + URL, *(first, second)[i]))

    # Whichever arrives first, only the attempt the shop can still be paid through pays:
    # the other is refused, as already paid (second) or as not payable (first).
    codes = [(a.status_code, a.json().get("code", "")) for a in answers]
    assert codes[0] == (200, ""), codes
    assert codes[1] in ((200, "order_already_paid"), (200, "order_wrong_status")), codes
    record = order_record(live_shop, placed.number)
    assert record["status"] == "paid"
    assert [status for _, _, status, _ in record["payments"]] == ["completed", "expired"]
    assert record["events"].count("paid") == 1
    assert [n[1:] for n in record["notifications"]].count(("success", None, True)) == 1
    assert [n[1] for n in record["notifications"]].count("error") == 1
    [winner] = [ib for _, ib, status, paid in record["payments"] if status == "completed" and paid]
    assert winner == placed.invoicebox_id


def test_twenty_identical_cancel_notifications_close_the_payment_once(live_shop):
    placed = place_order(live_shop, [("demerara-sugar-500", 1)])
    client = InvoiceboxClient(live_shop.sandbox.url, live_shop.sandbox.token)
    canceled = client.cancel_order(placed.invoicebox_id)
    assert canceled.status == "canceled"
    raw = gateway_json(canceled.raw)
    headers = {"Content-Type": "application/json",
               "X-Signature": sign(raw, live_shop.sandbox.notification_key)}

    answers = at_once(SENDERS, lambda _: post_from_thread(live_shop.url + URL, raw, headers))

    assert [(a.status_code, a.json()) for a in answers] == [(200, {"status": "success"})] * SENDERS
    record = order_record(live_shop, placed.number)
    assert record["payments"] == [(1, placed.invoicebox_id, "canceled", False)]
    assert record["status"] == "new"
    assert record["events"].count("payment_canceled") == 1
