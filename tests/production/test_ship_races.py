"""Ship forms racing each other through several gunicorn workers on PostgreSQL.

Three things settle these races: the Ship form's one-time token is unique (the same form
sent twice finds the first shipment), the shipped count of each order line is raised by one
``UPDATE`` under a CHECK that keeps it within the line's quantity (no unit ships twice), and
an order has at most one shipment awaiting its answer (a partial unique index).
"""

from __future__ import annotations

import pytest
import requests

from storefront.extensions import db
from storefront.models import Order, Shipment

from .flows import paid_order
from .live import Browser, ProductionShop, at_once, post_from_thread

pytestmark = pytest.mark.postgres

SKU = "CB-ETH-250"
ITEMS = [("ethiopia-yirgacheffe-250", 2)]


def submit_together(shop: ProductionShop, browsers: list[Browser], number: str,
                    forms: list[dict[str, str]]) -> list[requests.Response]:
    """POST ``forms[i]`` as ``browsers[i]`` (or the one browser), all at once."""
    url = f"{shop.url}/staff/orders/{number}/ship"
    cookies = [{"Cookie": b.cookie_header()} for b in browsers]
    return at_once(len(forms), lambda i: post_from_thread(url, forms[i],
                                                          cookies[i % len(cookies)]))


def remote_units(shop: ProductionShop, invoicebox_id: str) -> list[int]:
    """The units of each shipment the sandbox registered for the order."""
    data = shop.sandbox.get(f"api/shipments?orderId={invoicebox_id}")["data"]
    return [sum(int(i["quantity"]) for i in s["basketItems"]) for s in data]


def local(shop: ProductionShop, number: str) -> tuple[int, list[tuple[str, str]]]:
    """The line's shipped count and the shop's shipments (status, form token)."""
    with shop.app.app_context():
        order = db.session.execute(db.select(Order).where(Order.number == number)).scalar_one()
        rows = db.session.execute(db.select(Shipment).where(Shipment.order_id == order.id)
                                  .order_by(Shipment.id)).scalars().all()
        return order.lines[0].shipped_quantity, [(s.status, s.form_token) for s in rows]


def test_the_same_ship_form_pressed_eight_times_ships_once(live_shop):
    placed = paid_order(live_shop, ITEMS)
    staff = live_shop.staff_browser()
    # One of two units: a second shipment would still fit, so only the token stops copies.
    form = staff.ship_form(placed.number, {SKU: 1})
    live_shop.sandbox.scenario("api_timeout", seconds=1, method="POST",
                               path="/billing/api/order/shipment")

    answers = submit_together(live_shop, [staff], placed.number, [form] * 8)

    assert remote_units(live_shop, placed.invoicebox_id) == [1]
    shipped, rows = local(live_shop, placed.number)
    assert shipped == 1 and rows == [("draft", form["form_token"])]
    assert [a.status_code for a in answers] == [302] * 8


def test_two_staff_shipping_everything_at_once_ship_it_once(live_shop):
    placed = paid_order(live_shop, ITEMS)
    one, other = live_shop.staff_browser(), live_shop.staff_browser()
    forms = [one.ship_form(placed.number, {SKU: 2}, document="TN-A"),
             other.ship_form(placed.number, {SKU: 2}, document="TN-B")]

    answers = submit_together(live_shop, [one, other], placed.number, forms)

    assert remote_units(live_shop, placed.invoicebox_id) == [2]
    shipped, rows = local(live_shop, placed.number)
    assert shipped == 2 and [status for status, _ in rows] == ["draft"]
    assert sorted(a.status_code for a in answers) == [302, 422]


def test_many_forms_for_one_unit_each_never_ship_more_than_was_bought(live_shop):
    placed = paid_order(live_shop, ITEMS)
    staff = live_shop.staff_browser()
    forms = [staff.ship_form(placed.number, {SKU: 1}, document=f"TN-{i}") for i in range(6)]

    answers = submit_together(live_shop, [staff], placed.number, forms)

    units = remote_units(live_shop, placed.invoicebox_id)
    shipped, rows = local(live_shop, placed.number)
    assert sum(units) <= 2 and shipped == sum(units)
    assert len([s for s, _ in rows if s == "draft"]) == len(units)
    assert all(a.status_code in (302, 422) for a in answers)
    assert [a.status_code for a in answers].count(302) == len(units)
