"""Stock is taken when the payment is applied, all or nothing, under the product's lock;
an order that cannot be filled is paid and flagged for staff (shipment control off)."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from storefront import catalog_version
from storefront.extensions import db
from storefront.models import OrderEvent, Product

from .conftest import (
    awaiting_order,
    notify_paid,
    order_state,
    set_stock_directly,
    stock_of,
)


def test_a_payment_takes_its_goods_from_stock(app, client):
    order = awaiting_order(app, {"french-press-350": 2, "ceramic-mug-300": 1,
                                 "brewing-lesson-1h": 3})
    answer = notify_paid(client, order)
    assert answer.get_json() == {"status": "success"}
    assert stock_of(app, "french-press-350") == 98
    assert stock_of(app, "ceramic-mug-300") == 99
    assert stock_of(app, "brewing-lesson-1h") is None  # a service: not counted
    state = order_state(app, order.order_id)
    assert state["status"] == "paid" and state["short"] is False
    assert state["events"][-2:] == ["paid", "stock_taken"]


def test_a_replayed_notification_takes_nothing_twice(app, client):
    order = awaiting_order(app, {"french-press-350": 3})
    for _ in range(3):
        assert notify_paid(client, order).get_json() == {"status": "success"}
    assert stock_of(app, "french-press-350") == 97
    assert order_state(app, order.order_id)["events"].count("stock_taken") == 1


def test_an_order_that_cannot_be_filled_is_paid_flagged_and_takes_nothing(app, client):
    set_stock_directly(app, "french-press-350", 1)
    order = awaiting_order(app, {"french-press-350": 2, "ceramic-mug-300": 1})
    assert notify_paid(client, order).get_json() == {"status": "success"}
    # All or nothing: the mug that was there is not taken either.
    assert stock_of(app, "french-press-350") == 1
    assert stock_of(app, "ceramic-mug-300") == 100
    state = order_state(app, order.order_id)
    assert state["status"] == "paid" and state["short"] is True
    assert "stock_short" in state["events"] and "stock_taken" not in state["events"]
    with app.app_context():
        event = db.session.execute(db.select(OrderEvent).where(
            OrderEvent.order_id == order.order_id, OrderEvent.kind == "stock_short")).scalar_one()
        assert event.data == {"short": {"FP-GLS-350": [2, 1]}}


def test_the_last_unit_goes_to_the_first_payment_and_the_second_is_flagged(app, client):
    set_stock_directly(app, "ceramic-mug-300", 1)
    first = awaiting_order(app, {"ceramic-mug-300": 1})
    second = awaiting_order(app, {"ceramic-mug-300": 1})
    notify_paid(client, first)
    notify_paid(client, second)
    assert stock_of(app, "ceramic-mug-300") == 0
    assert order_state(app, first.order_id)["short"] is False
    assert order_state(app, second.order_id)["short"] is True


def test_a_good_whose_stock_is_not_counted_is_never_short(app, client):
    set_stock_directly(app, "french-press-350", None)
    order = awaiting_order(app, {"french-press-350": 50})
    notify_paid(client, order)
    assert stock_of(app, "french-press-350") is None
    assert order_state(app, order.order_id)["short"] is False


def test_selling_the_last_unit_moves_the_catalog_version_and_other_sales_do_not(app, client):
    set_stock_directly(app, "ceramic-mug-300", 3)
    with app.app_context():
        before = catalog_version.current()
    notify_paid(client, awaiting_order(app, {"ceramic-mug-300": 2}))
    with app.app_context():
        assert catalog_version.current() == before  # still in stock: the catalog is the same
    notify_paid(client, awaiting_order(app, {"ceramic-mug-300": 1}))
    with app.app_context():
        assert catalog_version.current() == before + 1  # out of stock now


def test_the_database_refuses_stock_below_zero(app):
    with app.app_context():
        with pytest.raises(IntegrityError):
            db.session.execute(db.update(Product).where(Product.slug == "french-press-350")
                               .values(stock=-1))
            db.session.flush()
        db.session.rollback()
