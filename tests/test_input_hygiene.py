"""Hostile bytes and numbers in requests: a NUL, a control character, a number with 25
digits. PostgreSQL cannot store a NUL in text and refuses an OFFSET past bigint, so each of
these used to reach the database and end in a 500. Every probe here must be a 400 or 404
with the shop's error page, on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient

from storefront.extensions import db
from storefront.models import Order
from storefront.staff.accounts import create_staff
from tests.staff.fake_gateway import DELIVERY, PARENT_ID, TEA, serve_refundable
from tests.staff.helpers import STAFF_EMAIL, STAFF_PASSWORD, make_order, sign_in
from tests.support.shop import PRIVATE_BUYER

pytestmark = pytest.mark.postgres

NUL = "\x00"
TOKEN = "t" * 30  # as long as a real public token
ORDER_NUMBER = "261127-TEA01"
REFUND_TOKEN = "form-token-0000000001"


@pytest.fixture
def shop(pg_app: Flask) -> Flask:
    """The shop on PostgreSQL with a staff member and a paid order to refund."""
    with pg_app.app_context():
        create_staff(STAFF_EMAIL, STAFF_PASSWORD)
        make_order(number=ORDER_NUMBER, lines=(TEA, DELIVERY), invoicebox_order_id=PARENT_ID)
        db.session.commit()
    return pg_app


@pytest.fixture
def buyer(shop: Flask) -> FlaskClient:
    """A buyer with something in the cart, so the checkout form is read in full."""
    client = shop.test_client()
    answer = client.post("/cart/add", data={"product": "french-press-350", "quantity": "1"})
    assert answer.status_code == 303
    return client


@pytest.fixture
def staff(shop: Flask) -> FlaskClient:
    client = shop.test_client()
    assert sign_in(client).status_code == 302
    return client


@pytest.fixture
def gateway() -> Iterator[responses.RequestsMock]:
    """Invoicebox for the refund screen's reads, so that a probe gets as far as it can."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        serve_refundable(mocked)
        yield mocked


def _checkout(**changes: str) -> dict[str, str]:
    return {**PRIVATE_BUYER, "checkout_token": "c" * 43, **changes}


def _refund(**changes: str) -> dict[str, str]:
    return {"form_token": REFUND_TOKEN, "reason": "Damaged", "lines-0-sku": "tea-1",
            "lines-0-quantity": "1", **changes}


# (who asks, method, path, form): the attack's probes. Each was a 500 or a 422 before.
PROBES = {
    "product slug": ("buyer", "GET", "/products/%00", None),
    "order status": ("buyer", "GET", f"/orders/{TOKEN}%00/status", None),
    "order page": ("buyer", "GET", "/orders/%00" + "a" * 25, None),
    "staff search": ("staff", "GET", "/staff/orders?q=%00", None),
    "staff order": ("staff", "GET", "/staff/orders/%00", None),
    "staff list cursor": ("staff", "GET", "/staff/orders?after=%00", None),
    "staff sign-in email": ("anyone", "POST", "/staff/login",
                            {"email": f"anna{NUL}@sever-coffee.ru", "password": "x"}),
    "checkout name": ("buyer", "POST", "/checkout", _checkout(full_name=f"Анна{NUL}")),
    "checkout email": ("buyer", "POST", "/checkout", _checkout(email=f"anna{NUL}@example.ru")),
    "checkout phone": ("buyer", "POST", "/checkout", _checkout(phone=f"+7 900 111-22-33{NUL}")),
    "checkout token": ("buyer", "POST", "/checkout", _checkout(checkout_token="c" * 42 + NUL)),
    "checkout address": ("buyer", "POST", "/checkout",
                         _checkout(customer_type="legal", inn="7707083893", kpp="773601001",
                                   address=f"Москва{NUL}")),
    "refund reason": ("staff", "POST", f"/staff/orders/{ORDER_NUMBER}/refund",
                      _refund(reason=f"Damaged{NUL}")),
    "refund form token": ("staff", "POST", f"/staff/orders/{ORDER_NUMBER}/refund",
                          _refund(form_token=REFUND_TOKEN + NUL)),
    "field name": ("buyer", "POST", "/cart/add",
                   {"product": "french-press-350", "quantity": "1", f"x{NUL}": "1"}),
}


@pytest.mark.parametrize("probe", list(PROBES))
def test_a_nul_is_a_client_error_never_a_500(
        probe, request, shop, gateway):
    who, method, path, form = PROBES[probe]
    client = shop.test_client() if who == "anyone" else request.getfixturevalue(who)
    response = client.open(path, method=method, data=form, headers={"Accept": "text/html"})
    assert response.status_code in (400, 404), response.get_data(as_text=True)[:500]
    assert "<title>" in response.get_data(as_text=True)  # the shop's own error page


def test_a_multi_line_address_still_goes_through(buyer, gateway):
    """Newlines and tabs are what a textarea sends: only the other control characters go."""
    address = "117997, г. Москва\r\nул. Вавилова,\tд. 19"
    response = buyer.post("/checkout", data=_checkout(
        customer_type="legal", inn="7707083893", kpp="773601001", address=address))
    assert response.status_code == 303  # on to payment (Invoicebox is down here: order page)
    with buyer.application.app_context():
        saved = db.session.execute(db.select(Order.customer_address)
                              .where(Order.customer_type == "legal")).scalar_one()
    assert saved == address


def test_a_header_smuggled_into_next_is_refused_before_sign_in(staff):
    """A line break in a query string is refused at the door: no redirect, no header."""
    response = staff.application.test_client().post(
        "/staff/login", query_string={"next": "/staff/orders\r\nLocation: https://evil.example"},
        data={"email": STAFF_EMAIL, "password": STAFF_PASSWORD})
    assert response.status_code == 400
    assert "Location" not in response.headers
