"""Numbers are read in the ASCII digits 0-9 only, wherever a request carries one.

``int("١")`` is 1 and ``"٣".isdigit()`` is True in Python: before, a refund quantity, a
page number or the status poll's seconds written in another script's digits were taken as
numbers. The forms' fields are in ``tests/shop`` (quantities, INN, KPP, phone).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient

from storefront.extensions import db
from storefront.models import GatewayCall, Order
from storefront.numbers import money_kopecks, whole_number
from storefront.staff.accounts import create_staff
from tests.staff.fake_gateway import (
    DELIVERY,
    PARENT_ID,
    REFUND_URL,
    TEA,
    created_refund,
    posts,
    serve_refundable,
)
from tests.staff.helpers import STAFF_EMAIL, STAFF_PASSWORD, make_order, sign_in

ORDER_NUMBER = "261127-TEA01"


@pytest.mark.parametrize(("text", "maximum", "number"), [
    ("0", 10, 0), ("7", 10, 7), ("10", 10, 10), ("007", 999, 7),
    ("11", 10, None), ("100", 10, None), ("9" * 30, 10**6, None),
    ("١", 10, None), ("３", 10, None), ("1_0", 100, None), (" 1", 10, None), ("+1", 10, None),
    ("-1", 10, None), ("", 10, None), (None, 10, None),
])
def test_whole_numbers_are_ascii_digits_up_to_a_maximum(text, maximum, number):
    assert whole_number(text, maximum) == number


@pytest.mark.parametrize(("text", "kopecks"), [
    ("150", 15000), ("150.5", 15050), ("150,50", 15050), ("0.01", 1), ("1 490.00", 149000),
    ("1\u00a0490,5", 149050), ("007", 700), ("0", 0),
    ("150.505", None), ("-1", None), ("+1", None), ("1e3", None), ("NaN", None),
    ("Infinity", None), ("\u0661", None), ("\uff11", None), ("1_000", None), (".5", None),
    ("5.", None), ("1.2.3", None), ("", None), (None, None), ("9" * 40, None),
    ("1000000000.01", None),
])
def test_money_is_ascii_digits_with_at_most_two_places(text, kopecks):
    assert money_kopecks(text, 10**11) == kopecks


@pytest.fixture
def staff(app: Flask) -> FlaskClient:
    with app.app_context():
        create_staff(STAFF_EMAIL, STAFF_PASSWORD)
        make_order(number=ORDER_NUMBER, lines=(TEA, DELIVERY), invoicebox_order_id=PARENT_ID)
        db.session.commit()
    client = app.test_client()
    assert sign_in(client).status_code == 302
    return client


@pytest.fixture
def gateway() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        serve_refundable(mocked)
        mocked.post(REFUND_URL, json={"data": created_refund(f"R-{ORDER_NUMBER}-1"),
                                      "extendedData": []})
        yield mocked


@pytest.mark.parametrize("quantity", ["١", "１", "1_0"])
def test_a_refund_quantity_in_other_digits_is_refused_and_nothing_is_sent(
        staff, gateway, quantity):
    response = staff.post(f"/staff/orders/{ORDER_NUMBER}/refund", data={
        "form_token": "form-token-0000000001", "reason": "Damaged",
        "lines-0-sku": "tea-1", "lines-0-quantity": quantity})
    assert response.status_code == 422
    assert "digits 0-9" in response.get_data(as_text=True)
    assert posts(gateway) == []


def test_the_same_refund_in_ascii_digits_is_sent(staff, gateway):
    """The other side of the test above: the form itself works."""
    response = staff.post(f"/staff/orders/{ORDER_NUMBER}/refund", data={
        "form_token": "form-token-0000000001", "reason": "Damaged", "confirm": "1",
        "lines-0-sku": "tea-1", "lines-0-quantity": "1"})
    assert response.status_code == 302
    assert [sent["basketItems"][0]["quantity"] for sent in posts(gateway)] == [1]


@pytest.mark.parametrize("cursor", ["٢", "0", "-1", "2.0", "9" * 30, "x' OR '1'='1"])
def test_the_orders_list_takes_a_cursor_that_names_no_order_as_the_first_page(staff, cursor):
    """The list pages by order number (``after``/``before``), never by a number it parses:
    anything that is not an order's number leads to the first page."""
    def listing(html: str) -> str:  # the page below its header (whose language links
        return html[html.index("<main"):]  # carry the page's own address back)

    first = listing(staff.get("/staff/orders").get_data(as_text=True))
    for key in ("after", "before"):
        response = staff.get("/staff/orders", query_string={key: cursor})
        assert response.status_code == 200
        assert listing(response.get_data(as_text=True)) == first


def test_the_status_poll_reads_its_seconds_in_ascii_digits(app):
    """An hour of waiting makes the page ask Invoicebox; "٣٦٠٠" is no number of seconds."""
    with app.app_context():
        order = make_order(status="awaiting_payment")
        token, order_id = order.public_token, order.id
    client = app.test_client()
    with responses.RequestsMock(assert_all_requests_are_fired=False):
        assert client.get(f"/orders/{token}/status?waited=٣٦٠٠").status_code == 200
        with app.app_context():
            asked = db.session.execute(
                db.select(GatewayCall).where(GatewayCall.order_id == order_id)).all()
        assert asked == []
        assert client.get(f"/orders/{token}/status?waited=3600").status_code == 200
        with app.app_context():
            asked = db.session.execute(
                db.select(GatewayCall).where(GatewayCall.order_id == order_id)).all()
        assert asked != []  # the same poll in ASCII digits does ask
    with app.app_context():
        assert db.session.get(Order, order_id).status == "awaiting_payment"
