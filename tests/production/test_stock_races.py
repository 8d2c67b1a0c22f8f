"""Payments taking the same stock at the same moment, through several gunicorn workers on
PostgreSQL.

What settles each race is the database: the paid transition locks the order, its payment,
then the order's products (``FOR NO KEY UPDATE``, in ascending id order, in one statement),
and takes stock with ``UPDATE ... WHERE stock >= quantity`` under ``CHECK (stock >= 0)``.
So however many payments for the same goods arrive together, no unit is sold twice, stock
never goes below zero, and every payment that found too little is flagged, not lost.
"""

from __future__ import annotations

import pytest

from storefront.extensions import db
from storefront.models import Order, OrderEvent, Product

from .flows import order_record, pay_quietly, place_order
from .live import at_once, post_from_thread

pytestmark = pytest.mark.postgres

URL = "/invoicebox/notification"


def _set_stock(shop, stocks: dict[str, int]) -> None:
    with shop.app.app_context():
        for slug, stock in stocks.items():
            product = db.session.execute(
                db.select(Product).where(Product.slug == slug)).scalar_one()
            product.stock = stock
        db.session.commit()


def _stock(shop, slug: str) -> int | None:
    with shop.app.app_context():
        return db.session.execute(
            db.select(Product.stock).where(Product.slug == slug)).scalar_one()


def _taken(shop, numbers: list[str]) -> dict[str, dict[str, int]]:
    """What each order's history says it took from stock."""
    with shop.app.app_context():
        rows = db.session.execute(
            db.select(Order.number, OrderEvent.data).join(OrderEvent)
            .where(Order.number.in_(numbers), OrderEvent.kind == "stock_taken")).all()
    return {number: data["taken"] for number, data in rows}


def _short(shop, numbers: list[str]) -> set[str]:
    with shop.app.app_context():
        return set(db.session.execute(db.select(Order.number).where(
            Order.number.in_(numbers), Order.short_of_stock.is_(True))).scalars())


def _pay_all_at_once(shop, orders) -> list:
    bodies = [pay_quietly(shop, placed.invoicebox_id) for placed in orders]
    return at_once(len(bodies), lambda i: post_from_thread(shop.url + URL, *bodies[i]))


def test_ten_payments_for_three_units_sell_three(live_shop):
    _set_stock(live_shop, {"ceramic-mug-300": 10})  # enough for every buyer's cart
    orders = [place_order(live_shop, [("ceramic-mug-300", 1)]) for _ in range(10)]
    _set_stock(live_shop, {"ceramic-mug-300": 3})  # ...then most of it went elsewhere

    answers = _pay_all_at_once(live_shop, orders)

    # The payments all stand (shipment control is off): Invoicebox is told success.
    assert [(a.status_code, a.json()) for a in answers] == [(200, {"status": "success"})] * 10
    numbers = [placed.number for placed in orders]
    assert all(order_record(live_shop, n)["status"] == "paid" for n in numbers)
    assert _stock(live_shop, "ceramic-mug-300") == 0
    taken = _taken(live_shop, numbers)
    assert len(taken) == 3 and all(t == {"MUG-CER-300": 1} for t in taken.values())
    # Exactly the others are flagged for staff, and they took nothing.
    assert _short(live_shop, numbers) == set(numbers) - set(taken)


def test_orders_of_two_goods_in_either_order_never_deadlock_nor_oversell(live_shop):
    _set_stock(live_shop, {"tieguanyin-oolong-100": 20, "demerara-sugar-500": 20})
    orders = [
        place_order(live_shop, [("tieguanyin-oolong-100", 1), ("demerara-sugar-500", 2)]
                    if i % 2 else [("demerara-sugar-500", 2), ("tieguanyin-oolong-100", 1)])
        for i in range(10)
    ]
    _set_stock(live_shop, {"tieguanyin-oolong-100": 7, "demerara-sugar-500": 9})

    answers = _pay_all_at_once(live_shop, orders)

    assert [a.json() for a in answers] == [{"status": "success"}] * 10
    numbers = [placed.number for placed in orders]
    taken = _taken(live_shop, numbers)
    # Sugar allows four orders of two (9 // 2); all or nothing, so tea is taken four times.
    assert len(taken) == 4
    assert _stock(live_shop, "demerara-sugar-500") == 1
    assert _stock(live_shop, "tieguanyin-oolong-100") == 3
    assert _short(live_shop, numbers) == set(numbers) - set(taken)
    for number in numbers:
        assert order_record(live_shop, number)["status"] == "paid"
