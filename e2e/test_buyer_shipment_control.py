"""Shipment control in the browser: the last unit is gone by the time the buyer presses Pay.

The sandbox's merchant has ``shipment_control`` on (as ``make demo`` sets it from
``STOREFRONT_SHIPMENT_CONTROL``), so it notifies the shop before it answers the buyer; the
shop, with the same setting, answers ``shipping_unavailable``; the sandbox sends the buyer to
the shop's failure page, which says what happens to the money; the runner refunds it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask_migrate import upgrade
from playwright.sync_api import Page, expect

from storefront import create_app
from storefront.catalog import seed_catalog
from storefront.extensions import db
from storefront.models import Order, Product, Reversal
from storefront.payments.reconcile import run_pass
from tests.conftest import DEMO_MERCHANT_ID, test_config
from tests.support.sandbox import SandboxProcess
from tests.support.shop import LiveShop

from .conftest import buy, order_token_in, press


@pytest.fixture(scope="module")
def controlled_sandbox(tmp_path_factory) -> Iterator[SandboxProcess]:
    config = {"merchants": [{"id": DEMO_MERCHANT_ID, "shipment_control": True}]}
    with SandboxProcess(tmp_path_factory.mktemp("e2e-control-sandbox"),
                        config=config) as process:
        yield process


@pytest.fixture(scope="module")
def controlled_shop(controlled_sandbox, tmp_path_factory) -> Iterator[LiveShop]:
    sandbox = controlled_sandbox
    app = create_app(test_config(
        tmp_path_factory.mktemp("e2e-control-shop"), WTF_CSRF_ENABLED=True,
        INVOICEBOX_API_URL=sandbox.url, INVOICEBOX_TOKEN=sandbox.token,
        INVOICEBOX_MERCHANT_ID=sandbox.merchant_id,
        INVOICEBOX_NOTIFICATION_KEY=sandbox.notification_key, INVOICEBOX_WRITE_TIMEOUT=5,
        STOREFRONT_SHIPMENT_CONTROL=True))
    with app.app_context():
        upgrade()
        seed_catalog()
        db.session.commit()
    with LiveShop(app) as live:
        yield live


def _set_stock(shop: LiveShop, slug: str, stock: int) -> None:
    with shop.app.app_context():
        product = db.session.execute(db.select(Product).where(Product.slug == slug)).scalar_one()
        product.stock = stock
        db.session.commit()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_last_unit_gone_the_buyer_is_told_and_the_money_comes_back(
        page: Page, controlled_shop: LiveShop, controlled_sandbox: SandboxProcess, language):
    shop, sandbox = controlled_shop, controlled_sandbox
    _set_stock(shop, "ceramic-mug-300", 1)
    buy(page, shop, [("ceramic-mug-300", 1)], language=language)
    expect(page).to_have_url(re.compile(re.escape(sandbox.url) + r"/order/"))
    _set_stock(shop, "ceramic-mug-300", 0)  # another buyer's payment took it meanwhile

    press(page, "pay")

    expect(page).to_have_url(re.compile(re.escape(shop.url) + r"/orders/.+/failed$"))
    heading = {"en": "Order not deliverable", "ru": "Заказ не может быть выполнен"}[language]
    explained = {"en": "an item ran out while you were paying",
                 "ru": "товар закончился, пока вы оплачивали заказ"}[language]
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.get_by_text(explained)).to_be_visible()
    token = order_token_in(page.url)
    with shop.app.app_context():
        order = db.session.execute(db.select(Order).where(Order.public_token == token)
                                   ).scalar_one()
        assert order.status == "undeliverable"
        invoicebox_id = order.payments[0].invoicebox_order_id
        assert db.session.execute(db.select(Reversal.refund_id).where(
            Reversal.order_id == order.id)).scalar_one() is None
        run_pass("e2e-runner")  # the reconcile runner, after the answer
        assert db.session.execute(db.select(Reversal.refund_id).where(
            Reversal.order_id == order.id)).scalar_one() is not None
    [refund] = sandbox.get(f"api/refunds?parentId={invoicebox_id}")["data"]
    assert round(refund["amount"] * 100) == order.amount
    # Refunded now; the buyer's pages still say why, not "paid".
    page.reload()
    expect(page.get_by_text(explained)).to_be_visible()
    page.goto(f"{shop.url}/orders/{token}")
    expect(page.get_by_text(explained)).to_be_visible()


GUARANTEE = {"en": "Pay as guarantee", "ru": "Оплатить гарантийно"}  # the sandbox's button


@pytest.mark.parametrize("language", ["ru", "en"])
def test_a_guarantee_for_goods_gone_is_refused_and_reversed_by_delete(
        page: Page, controlled_shop: LiveShop, controlled_sandbox: SandboxProcess, language):
    shop, sandbox = controlled_shop, controlled_sandbox
    _set_stock(shop, "french-press-350", 1)
    buy(page, shop, [("french-press-350", 1)], language=language)
    expect(page).to_have_url(re.compile(re.escape(sandbox.url) + r"/order/"))
    _set_stock(shop, "french-press-350", 0)  # another buyer's payment took it meanwhile

    page_language = page.locator("html").get_attribute("lang") or "ru"
    page.get_by_role("button", name=GUARANTEE[page_language], exact=True).click()

    expect(page).to_have_url(re.compile(re.escape(shop.url) + r"/orders/.+/failed$"),
                             timeout=20_000)  # the payment page may show its own failure first
    heading = {"en": "Order not deliverable", "ru": "Заказ не может быть выполнен"}[language]
    explained = {"en": "an item ran out while you were paying",
                 "ru": "товар закончился, пока вы оплачивали заказ"}[language]
    released = {"en": "reserved on your card as a guarantee is released in full",
                "ru": "зарезервированные на вашей карте в качестве гарантии, "
                      "освобождаются полностью"}[language]
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.get_by_text(explained)).to_be_visible()
    expect(page.get_by_text(released)).to_be_visible()
    token = order_token_in(page.url)
    with shop.app.app_context():
        order = db.session.execute(db.select(Order).where(Order.public_token == token)
                                   ).scalar_one()
        assert order.status == "hold_undeliverable"
        invoicebox_id = order.payments[0].invoicebox_order_id
        reversal = db.session.execute(db.select(Reversal).where(
            Reversal.order_id == order.id)).scalar_one()
        assert reversal.issued_at is None  # recorded with the answer, not carried out
    assert sandbox.get(f"api/orders/{invoicebox_id}")["status"] == "hold"

    with shop.app.app_context():
        assert run_pass("e2e-runner").reversals_issued == 1  # the runner: DELETE

    assert sandbox.get(f"api/orders/{invoicebox_id}")["status"] == "canceled"
    assert sandbox.get(f"api/refunds?parentId={invoicebox_id}")["data"] == []
    with shop.app.app_context():
        db.session.expire_all()
        assert db.session.execute(db.select(Order.status).where(
            Order.public_token == token)).scalar_one() == "canceled"
    page.reload()  # reversed now; the buyer's pages still say why
    expect(page.get_by_text(released)).to_be_visible()
    page.goto(f"{shop.url}/orders/{token}")
    expect(page.get_by_text(explained)).to_be_visible()
    expect(page.get_by_text(released)).to_be_visible()
