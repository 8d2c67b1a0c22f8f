"""The orders list flags guarantee (hold) payments not shipped within
``STOREFRONT_HOLD_SHIP_DAYS``, as the order page does, and can be narrowed to them; the
narrowed list pages by its keys like any other, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask import Flask

from storefront.config import normalise_database_url
from storefront.extensions import db
from storefront.models import Order, Shipment, now_utc
from storefront.payments import overdue_holds
from storefront.staff import queries
from storefront.staff.accounts import create_staff

from .helpers import MUG, make_order, sign_in

DAYS = 3


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def shop_app(request, make_app) -> Flask:
    if request.param == "sqlite":
        return make_app(STOREFRONT_HOLD_SHIP_DAYS=DAYS)
    url = normalise_database_url(request.getfixturevalue("postgres_url"))
    return make_app(SQLALCHEMY_DATABASE_URI=url, STOREFRONT_HOLD_SHIP_DAYS=DAYS)


def held(number: str, *, days_ago: float, minutes_ago: int = 0,
         shipment: str | None = None) -> None:
    """A guarantee payment held ``days_ago``, with a shipment in status ``shipment``."""
    order = make_order(number=number, status="awaiting_shipment", lines=(MUG,),
                       created_at=now_utc() - timedelta(days=days_ago, minutes=minutes_ago))
    payment = order.payments[0]
    payment.status = "hold"
    order.paid_at = payment.paid_at = now_utc() - timedelta(days=days_ago)
    if shipment is not None:
        db.session.flush()
        db.session.add(Shipment(order_id=order.id, payment_id=payment.id, status=shipment,
                                document_number="TN-1", document_date=date(2026, 11, 30),
                                amount=order.amount, vat_amount=order.vat_amount))
    db.session.commit()


def rows(page: str) -> dict[str, bool]:
    """Each listed order's number, and whether it carries the "not shipped in time" flag."""
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        number = re.search(r'href="/staff/orders/([^"?]+)"', row)
        if number:
            found[number.group(1)] = "hold-overdue" in row
    return found


@pytest.fixture
def holds(shop_app) -> None:
    with shop_app.app_context():
        held("261127-LATE1", days_ago=5)
        held("261127-LATE2", days_ago=DAYS + 0.1)
        held("261127-SOON1", days_ago=1)  # not overdue yet
        held("261127-SHIP1", days_ago=5, shipment="draft")  # shipped: no longer waiting
        held("261127-CANC1", days_ago=5, shipment="canceled")  # its shipment did not count
        paid = make_order(number="261127-PAID1", status="paid", lines=(MUG,),
                          created_at=now_utc() - timedelta(days=6))
        paid.paid_at = now_utc() - timedelta(days=6)
        db.session.commit()


EXPECTED = {"261127-LATE1", "261127-LATE2", "261127-CANC1"}


def test_the_list_flags_holds_not_shipped_in_time(staff_on, holds):
    page = staff_on.get("/staff/orders").get_data(as_text=True)
    listed = rows(page)
    assert len(listed) == 6
    assert {number for number, flagged in listed.items() if flagged} == EXPECTED
    assert "not shipped in time" in page
    with staff_on.application.app_context():  # the same orders the order page flags
        assert {order.number for order in overdue_holds()} == EXPECTED


def test_the_list_filters_to_them_and_says_so_in_russian(staff_on, holds):
    page = staff_on.get("/staff/orders?overdue=1").get_data(as_text=True)
    assert set(rows(page)) == EXPECTED and all(rows(page).values())
    assert "3 orders" in page
    assert re.search(r'<input[^>]*checked[^>]*name="overdue"|<input[^>]*name="overdue"'
                     r'[^>]*checked', page)
    # With a status too: the conditions add up.
    assert rows(staff_on.get("/staff/orders?overdue=1&status=paid").get_data(as_text=True)) \
        == {}
    russian = staff_on.get("/staff/orders?overdue=1",
                           headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "не отгружен в срок" in russian
    assert "Только гарантийные, не отгруженные в срок" in russian


@pytest.mark.parametrize("limit", [None, 10], ids=["keys", "in-order"])
def test_the_filtered_list_pages_by_its_keys(shop_app, staff_on, monkeypatch, limit):
    if limit is not None:  # pages read through the index instead of cut from the keys
        monkeypatch.setattr(queries, "EXACT_COUNT_LIMIT", limit)
    with shop_app.app_context():
        for n in range(30):
            held(f"261127-H{n:04d}", days_ago=DAYS + 1, minutes_ago=n)
        for n in range(5):  # interleaved, never on these pages
            held(f"261127-S{n:04d}", days_ago=1, minutes_ago=n)
    expected = [f"261127-H{n:04d}" for n in range(30)]
    seen, url = [], "/staff/orders?overdue=1"
    while url:
        page = staff_on.get(url).get_data(as_text=True)
        seen.append(list(rows(page)))
        found = re.search(r'href="([^"]+)" rel="next"', page)
        url = found.group(1).replace("&amp;", "&") if found else None
        if url:
            assert "overdue=1" in url
    assert [len(p) for p in seen] == [25, 5]
    assert sum(seen, []) == expected


def test_the_flag_follows_the_setting(make_app):
    app = make_app(STOREFRONT_HOLD_SHIP_DAYS=10)
    with app.app_context():
        held("261127-LATE1", days_ago=5)
        create_staff("anna@sever-coffee.ru", "correct horse battery")
        db.session.commit()
        assert db.session.execute(db.select(Order.status)).scalar_one() == "awaiting_shipment"
    client = app.test_client()
    sign_in(client)
    assert rows(client.get("/staff/orders").get_data(as_text=True)) == {"261127-LATE1": False}
    assert rows(client.get("/staff/orders?overdue=1").get_data(as_text=True)) == {}
