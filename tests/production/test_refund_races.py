"""Refund forms racing each other through several gunicorn workers on PostgreSQL.

Two things settle these races: the refund form's one-time token is unique in the database
(the same form sent twice finds the first refund), and an order has at most one pending
refund (a partial unique index), which is checked against what Invoicebox says is
refundable once it holds that slot, before it is sent.
"""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape

import pytest
import requests

from storefront.invoicebox import InvoiceboxClient, decimal_to_kopecks

from .flows import order_record, paid_order
from .live import Browser, ProductionShop, at_once, post_from_thread

pytestmark = pytest.mark.postgres

COFFEE = ("ethiopia-yirgacheffe-250", "CB-ETH-250", 89000)


def sandbox_refunds(shop: ProductionShop, invoicebox_id: str) -> list[dict]:
    return shop.sandbox.get(f"api/refunds?parentId={invoicebox_id}")["data"]


def refundable(shop: ProductionShop, invoicebox_id: str) -> dict[str, Decimal]:
    """What the sandbox itself still lets the shop refund, per sku."""
    gateway = InvoiceboxClient(shop.sandbox.url, shop.sandbox.token)
    return {i.sku: i.available_amount for i in gateway.get_refundable_items(invoicebox_id)}


def form_error(html: str) -> str:
    """The refusal shown at the top of the refund screen."""
    found = re.search(r'<p class="flash flash-error" role="alert">(.*?)</p>', html, re.S)
    assert found, "the page shows no refusal"
    return unescape(found.group(1))


def submit_together(shop: ProductionShop, browser: Browser, number: str,
                    forms: list[dict[str, str]]) -> list[requests.Response]:
    """POST the refund forms of order ``number`` at once, as ``browser``'s staff member."""
    url = f"{shop.url}/staff/orders/{number}/refund"
    headers = {"Cookie": browser.cookie_header()}
    return at_once(len(forms), lambda i: post_from_thread(url, forms[i], headers))


def test_the_same_refund_form_sent_eight_times_at_once_refunds_once(live_shop):
    slug, sku, price = COFFEE
    placed = paid_order(live_shop, [(slug, 2), ("ceramic-mug-300", 1)])
    staff = live_shop.staff_browser()
    # One of two units: a second refund of the same would still fit, so only the form's
    # token (not a lack of money) can stop the copies.
    form = staff.refund_form(placed.number, quantities={sku: 1})
    # Invoicebox takes a second to answer the refund (well within the write timeout), so
    # the copies certainly meet the first one while its answer is still on the way.
    live_shop.sandbox.scenario("api_timeout", seconds=1, method="POST",
                               path="/billing/api/order/refund-order")

    answers = submit_together(live_shop, staff, placed.number, [form] * 8)

    [made] = sandbox_refunds(live_shop, placed.invoicebox_id)
    assert decimal_to_kopecks(Decimal(str(made["amount"]))) == price
    assert made["merchantOrderId"] == f"R-{placed.number}-1"
    record = order_record(live_shop, placed.number)
    [(number, status, amount, token)] = record["refunds"]
    assert (number, amount, token) == (f"R-{placed.number}-1", price, form["form_token"])
    assert status in ("created", "completed")
    assert record["status"] == "partially_refunded"
    # Every copy is shown the one refund the form made: a double click is not an error.
    assert [a.status_code for a in answers] == [302] * 8
    assert {a.headers.get("Location") for a in answers} == {f"/staff/orders/{placed.number}"}
    assert decimal_to_kopecks(refundable(live_shop, placed.invoicebox_id)[sku]) == price


def test_two_refund_forms_racing_for_what_is_left_refund_it_once(live_shop):
    slug, sku, price = COFFEE
    placed = paid_order(live_shop, [(slug, 3)])
    staff = live_shop.staff_browser()
    first = staff.post(f"/staff/orders/{placed.number}/refund",
                       data=staff.refund_form(placed.number, quantities={sku: 1}))
    assert first.status_code == 302
    # Both screens offer the two units left; either form alone would take all of it.
    by_units = staff.refund_form(placed.number, quantities={sku: 2}, reason="Two returned")
    by_everything = staff.refund_form(placed.number, everything=True, reason="All returned")

    answers = submit_together(live_shop, staff, placed.number, [by_units, by_everything])

    codes = sorted(a.status_code for a in answers)
    assert codes == [302, 422], [a.text[:2000] for a in answers]
    [refused] = [form_error(a.text) for a in answers if a.status_code == 422]
    assert any(reason in refused for reason in (
        "still waiting for Invoicebox",  # the winner's answer was not yet in
        "Another refund of this order is being issued",  # the winner held the slot
        "changed while this refund was prepared",  # read before the winner, checked after
        "only 0 unit(s) can still be refunded",  # read after the winner
        "Nothing is left to refund",
    )), refused
    made = sandbox_refunds(live_shop, placed.invoicebox_id)
    refunded = sum(decimal_to_kopecks(Decimal(str(r["amount"]))) for r in made)
    assert len(made) == 2 and refunded == 3 * price
    assert all(amount == 0 for amount in refundable(live_shop, placed.invoicebox_id).values())
    record = order_record(live_shop, placed.number)
    # Nothing was sent for the refused form: no refund row, not even a rejected one.
    assert [amount for _, _, amount, _ in record["refunds"]] == [price, 2 * price]
    assert {status for _, status, _, _ in record["refunds"]} <= {"created", "completed"}
    assert sum(amount for _, _, amount, _ in record["refunds"]) <= record["amount"]
    assert record["status"] == "refunded"
