"""Shipment control (``STOREFRONT_SHIPMENT_CONTROL=on``, CONTRACT §5.4): the notification
takes the stock before it is answered; when it cannot, it answers ``shipping_unavailable``,
the order becomes "not deliverable, money going back" and a reversal is recorded, which the
reconcile runner issues afterwards as a full refund."""

from __future__ import annotations

import pytest

from storefront.extensions import db
from storefront.models import Notification, Order, Reversal

from .conftest import awaiting_order, notify_paid, order_state, set_stock_directly, stock_of

UNAVAILABLE = {"status": "error", "code": "shipping_unavailable",
               "message": "The goods cannot be delivered; the payment will be refunded in full."}


@pytest.fixture
def app(make_app):
    return make_app(STOREFRONT_SHIPMENT_CONTROL=True)


def _reversals(app) -> list[tuple[int, int | None]]:
    with app.app_context():
        return [(r.order_id, r.refund_id) for r in db.session.execute(
            db.select(Reversal).order_by(Reversal.id)).scalars()]


def test_goods_in_stock_are_taken_before_the_answer(app, client):
    order = awaiting_order(app, {"ceramic-mug-300": 2})
    assert notify_paid(client, order).get_json() == {"status": "success"}
    assert stock_of(app, "ceramic-mug-300") == 98
    assert order_state(app, order.order_id)["status"] == "paid"
    assert _reversals(app) == []


def test_goods_not_in_stock_are_answered_shipping_unavailable(app, client):
    set_stock_directly(app, "ceramic-mug-300", 1)
    order = awaiting_order(app, {"ceramic-mug-300": 2, "french-press-350": 1})
    assert notify_paid(client, order).get_json() == UNAVAILABLE
    state = order_state(app, order.order_id)
    assert state["status"] == "undeliverable" and state["short"] is False
    assert state["events"][-2:] == ["paid", "undeliverable"]
    assert stock_of(app, "ceramic-mug-300") == 1 and stock_of(app, "french-press-350") == 100
    assert _reversals(app) == [(order.order_id, None)]  # recorded; nothing refunded yet
    with app.app_context():
        [row] = db.session.execute(db.select(Notification)).scalars().all()
        assert (row.reply_status, row.reply_code, row.applied) == (
            "error", "shipping_unavailable", True)
        assert db.session.get(Order, order.order_id).payments[0].status == "completed"


def test_every_copy_of_that_notification_gets_the_same_answer(app, client):
    set_stock_directly(app, "ceramic-mug-300", 0)
    order = awaiting_order(app, {"ceramic-mug-300": 1})
    answers = [notify_paid(client, order).get_json() for _ in range(3)]
    assert answers == [UNAVAILABLE] * 3
    assert _reversals(app) == [(order.order_id, None)]
    assert order_state(app, order.order_id)["events"].count("undeliverable") == 1


def test_the_last_unit_goes_to_one_buyer_and_the_other_is_refused(app, client):
    set_stock_directly(app, "ceramic-mug-300", 1)
    first = awaiting_order(app, {"ceramic-mug-300": 1})
    second = awaiting_order(app, {"ceramic-mug-300": 1})
    assert notify_paid(client, first).get_json() == {"status": "success"}
    assert notify_paid(client, second).get_json() == UNAVAILABLE
    assert stock_of(app, "ceramic-mug-300") == 0
    assert _reversals(app) == [(second.order_id, None)]


def test_the_buyer_is_told_in_plain_words(app, client):
    set_stock_directly(app, "ceramic-mug-300", 0)
    order = awaiting_order(app, {"ceramic-mug-300": 1})
    notify_paid(client, order)
    with app.app_context():
        token = db.session.get(Order, order.order_id).public_token
    for page in (f"/orders/{token}/failed", f"/orders/{token}", f"/orders/{token}/success"):
        text = client.get(page).text
        assert "ran out while you were paying" in text, page
        assert "returned to you in full" in text, page
        assert "Payment received" not in text, page
    russian = client.get(f"/orders/{token}/failed", headers={"Accept-Language": "ru"}).text
    assert "закончился, пока вы оплачивали" in russian
    assert "возвращается вам полностью" in russian and "1–5 рабочих дней" in russian
    assert "гарантийный" not in russian


@pytest.mark.parametrize("payment_status", ["hold", "canceled"])
def test_a_guarantee_payment_is_told_nothing_is_charged(app, client, payment_status):
    """A guarantee payment the shop cannot fill is reversed, not refunded: the page says the
    reserved money is released (before and after the reversal), as the payment page does."""
    set_stock_directly(app, "ceramic-mug-300", 0)
    order = awaiting_order(app, {"ceramic-mug-300": 1})
    notify_paid(client, order)
    with app.app_context():  # the payment as a guarantee payment leaves it
        found = db.session.get(Order, order.order_id)
        found.payments[0].status = payment_status
        db.session.commit()
        token = found.public_token
    english = client.get(f"/orders/{token}/failed").text
    assert "nothing will be charged" in english and "guarantee payment" in english
    assert "1 to 5 working days" in english and "returned to you in full" not in english
    russian = client.get(f"/orders/{token}/failed", headers={"Accept-Language": "ru"}).text
    assert "ничего не спишем" in russian and "гарантийный платёж" in russian


def test_without_shipment_control_the_same_payment_is_accepted(make_app):
    app = make_app()  # the default: off
    set_stock_directly(app, "ceramic-mug-300", 0)
    order = awaiting_order(app, {"ceramic-mug-300": 1})
    assert notify_paid(app.test_client(), order).get_json() == {"status": "success"}
    assert order_state(app, order.order_id)["short"] is True
    assert _reversals(app) == []


@pytest.mark.parametrize(("value", "expected"), [
    (None, False), ("off", False), ("on", True), ("ON", True), ("1", True), ("no", False)])
def test_the_setting_reads_on_and_off(tmp_path, value, expected):
    from storefront.config import load_settings
    from tests.test_app import FULL_ENV

    env = dict(FULL_ENV, **({"STOREFRONT_SHIPMENT_CONTROL": value} if value else {}))
    assert load_settings(env, str(tmp_path))["STOREFRONT_SHIPMENT_CONTROL"] is expected


def test_a_misspelt_setting_stops_the_shop(tmp_path):
    from storefront.config import ConfigError, load_settings
    from tests.test_app import FULL_ENV

    with pytest.raises(ConfigError, match="STOREFRONT_SHIPMENT_CONTROL must be on or off"):
        load_settings(dict(FULL_ENV, STOREFRONT_SHIPMENT_CONTROL="maybe"), str(tmp_path))


def test_make_demo_mirrors_the_setting_to_the_sandbox_merchant(monkeypatch, tmp_path):
    import json

    from scripts import demo

    monkeypatch.setattr(demo, "sandbox_state", lambda: tmp_path / "sandbox.sqlite3")
    for value, expected in (("on", True), ("off", False), ("", False)):
        monkeypatch.setenv("STOREFRONT_SHIPMENT_CONTROL", value)
        path = demo.write_sandbox_config("http://127.0.0.1:8000")
        [merchant] = json.loads(path.read_text())["merchants"]
        assert merchant["shipment_control"] is expected
