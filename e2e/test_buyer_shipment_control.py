"""Shipment control in the browser: the last unit is gone by the time the buyer presses Pay.

The sandbox's merchant has ``shipment_control`` on (as ``make demo`` sets it from
``STOREFRONT_SHIPMENT_CONTROL``), so Pay shows a wait page with a spinner while it notifies
the shop; the shop, with the same setting, answers ``shipping_unavailable``; the payment page
says the shop cannot fulfil the order and how the money comes back, then sends the buyer to
the shop's failure page, which says the same in its own words; the runner refunds it.

The last-unit race runs the same way for two buyers at once, with the shop on PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from storefront import create_app
from storefront.catalog import seed_catalog
from storefront.config import normalise_database_url
from storefront.extensions import db
from storefront.models import Order, Product, Refund, Reversal
from storefront.payments.reconcile import run_pass
from storefront.schema import upgrade
from tests.conftest import DEMO_MERCHANT_ID, fresh_postgres_database, test_config
from tests.support.sandbox import SandboxProcess
from tests.support.shop import LiveShop

from .conftest import LOCALES, SANDBOX_BUTTONS, SANDBOX_WORDS, WORDS, buy, order_token_in, press

SLUG = "ceramic-mug-300"
SHOP_WORDS = {  # the shop's failure page for an order it cannot fill
    "en": {"heading": "Order not deliverable", "why": "an item ran out while you were paying",
           "money": "returned to you in full"},
    "ru": {"heading": "Заказ не может быть выполнен",
           "why": "товар закончился, пока вы оплачивали заказ",
           "money": "возвращается вам полностью"},
}


@pytest.fixture(scope="module")
def controlled_sandbox(tmp_path_factory) -> Iterator[SandboxProcess]:
    config = {"merchants": [{"id": DEMO_MERCHANT_ID, "shipment_control": True}]}
    with SandboxProcess(tmp_path_factory.mktemp("e2e-control-sandbox"),
                        config=config) as process:
        yield process


def _shop(sandbox: SandboxProcess, tmp_path, **overrides: Any) -> LiveShop:
    app = create_app(test_config(
        tmp_path, WTF_CSRF_ENABLED=True,
        INVOICEBOX_API_URL=sandbox.url, INVOICEBOX_TOKEN=sandbox.token,
        INVOICEBOX_MERCHANT_ID=sandbox.merchant_id,
        INVOICEBOX_NOTIFICATION_KEY=sandbox.notification_key, INVOICEBOX_WRITE_TIMEOUT=5,
        STOREFRONT_SHIPMENT_CONTROL=True, **overrides))
    with app.app_context():
        upgrade()
        seed_catalog()
        db.session.commit()
    return LiveShop(app)


@pytest.fixture(scope="module")
def controlled_shop(controlled_sandbox, tmp_path_factory) -> Iterator[LiveShop]:
    with _shop(controlled_sandbox, tmp_path_factory.mktemp("e2e-control-shop")) as live:
        yield live


@pytest.fixture(scope="module")
def racing_shop(controlled_sandbox, tmp_path_factory) -> Iterator[LiveShop]:
    """The same shop on PostgreSQL, where its row locks are real (the last-unit race)."""
    with fresh_postgres_database("storefront_e2e") as url, _shop(
            controlled_sandbox, tmp_path_factory.mktemp("e2e-race-shop"),
            SQLALCHEMY_DATABASE_URI=normalise_database_url(url)) as live:
        yield live


@pytest.fixture
def javascript() -> bool:
    """Whether the browser runs the pages' scripts; a test may parametrize it."""
    return True


@pytest.fixture
def context(new_context, language: str, javascript: bool) -> BrowserContext:
    return new_context(locale=LOCALES[language], java_script_enabled=javascript)


def _set_stock(shop: LiveShop, slug: str, stock: int) -> None:
    with shop.app.app_context():
        product = db.session.execute(db.select(Product).where(Product.slug == slug)).scalar_one()
        product.stock = stock
        db.session.commit()


# In English with scripts (the buyer clicks "Return to the shop"); in Russian without them
# (the wait page refreshes itself and the failure page moves on by itself).
@pytest.mark.parametrize(("language", "javascript"), [("en", True), ("ru", False)])
def test_the_last_unit_gone_the_buyer_is_told_and_the_money_comes_back(
        page: Page, controlled_shop: LiveShop, controlled_sandbox: SandboxProcess, language,
        javascript):
    shop, sandbox = controlled_shop, controlled_sandbox
    sandbox.clear_scenarios()
    _set_stock(shop, SLUG, 1)
    buy(page, shop, [(SLUG, 1)], language=language)
    expect(page).to_have_url(re.compile(re.escape(sandbox.url) + r"/order/"))
    _set_stock(shop, SLUG, 0)  # another buyer's payment took it meanwhile
    sandbox.scenario("notification_delay", seconds=2)  # the shop is slow to answer

    press(page, "pay")

    said = SANDBOX_WORDS[language]
    expect(page.get_by_role("heading", name=said["waiting"])).to_be_visible()
    expect(page.locator(".waiting .spinner")).to_be_visible()
    expect(page.get_by_role("heading", name=said["cannot"])).to_be_visible(timeout=15_000)
    expect(page.get_by_text(said["refund"])).to_be_visible()
    expect(page.get_by_role("link", name=said["to_shop"])).to_be_visible()
    if javascript:
        page.get_by_role("link", name=said["to_shop"]).click()
    expect(page).to_have_url(re.compile(re.escape(shop.url) + r"/orders/.+/failed$"),
                             timeout=15_000)  # without a click: a few seconds later
    heading, explained = SHOP_WORDS[language]["heading"], SHOP_WORDS[language]["why"]
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.get_by_text(explained)).to_be_visible()
    expect(page.get_by_text(SHOP_WORDS[language]["money"])).to_be_visible()
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


@pytest.mark.postgres
def test_the_last_unit_through_the_real_payment_page(
        browser: Browser, racing_shop: LiveShop, controlled_sandbox: SandboxProcess):
    """Two buyers, one unit, both on the payment page, both press Pay: one gets the goods,
    the other the payment page's failure, the shop's explanation and their money back."""
    shop, sandbox = racing_shop, controlled_sandbox
    sandbox.clear_scenarios()
    _set_stock(shop, SLUG, 1)
    contexts = [browser.new_context(locale=LOCALES["en"]) for _ in range(2)]
    try:
        pages = [context.new_page() for context in contexts]
        for page in pages:  # checkout checks the stock but holds nothing: both get through
            buy(page, shop, [(SLUG, 1)])
            expect(page).to_have_url(re.compile(re.escape(sandbox.url) + r"/order/"))
        # Both notifications wait a second after their Pay, so they reach the shop together.
        sandbox.scenario("notification_delay", count=2, seconds=1)
        for page in pages:
            page.get_by_role("button", name=SANDBOX_BUTTONS["en"]["pay"], exact=True).click(
                no_wait_after=True)

        said = SANDBOX_WORDS["en"]
        outcome = re.compile(f"{WORDS['en']['paid']}|{said['cannot']}")
        ends = []
        for page in pages:
            heading = page.get_by_role("heading", name=outcome)
            expect(heading).to_be_visible(timeout=20_000)
            ends.append(heading.inner_text())
        assert sorted(ends) == [WORDS["en"]["paid"], said["cannot"]], ends
        winner, loser = (pages if ends[0] == WORDS["en"]["paid"] else pages[::-1])
        expect(winner).to_have_url(re.compile(re.escape(shop.url) + r"/orders/.+/success$"))
        expect(loser.get_by_text(said["refund"])).to_be_visible()
        loser.get_by_role("link", name=said["to_shop"]).click()
        expect(loser).to_have_url(re.compile(re.escape(shop.url) + r"/orders/.+/failed$"))
        expect(loser.get_by_text(SHOP_WORDS["en"]["why"])).to_be_visible()
        tokens = {"winner": order_token_in(winner.url), "loser": order_token_in(loser.url)}
    finally:
        for context in contexts:
            context.close()

    with shop.app.app_context():
        orders = {who: db.session.execute(db.select(Order).where(Order.public_token == token)
                                          ).scalar_one() for who, token in tokens.items()}
        assert (orders["winner"].status, orders["loser"].status) == ("paid", "undeliverable")
        assert db.session.execute(db.select(Product.stock).where(Product.slug == SLUG)
                                  ).scalar_one() == 0  # no oversell, never below zero
        run_pass("e2e-runner")  # the reconcile runner reverses the loser's payment
        paid_ids = {who: order.payments[0].invoicebox_order_id for who, order in orders.items()}
        amount = orders["loser"].amount
        assert db.session.execute(db.select(Refund.order_id)).scalars().all() == [
            orders["loser"].id]
    [refund] = sandbox.get(f"api/refunds?parentId={paid_ids['loser']}")["data"]
    assert round(refund["amount"] * 100) == amount
    assert sandbox.get(f"api/refunds?parentId={paid_ids['winner']}")["data"] == []
    # The gateway's own record of the answers: one success, one shipping_unavailable.
    codes = {who: [a["code"] for a in sandbox.get(f"api/orders/{invoicebox_id}")[
        "notificationAttempts"]] for who, invoicebox_id in paid_ids.items()}
    assert codes == {"winner": [None], "loser": ["shipping_unavailable"]}, codes


@pytest.mark.parametrize("language", ["ru", "en"])
def test_a_guarantee_for_goods_gone_is_refused_and_reversed_by_delete(
        page: Page, controlled_shop: LiveShop, controlled_sandbox: SandboxProcess, language):
    shop, sandbox = controlled_shop, controlled_sandbox
    _set_stock(shop, "french-press-350", 1)
    buy(page, shop, [("french-press-350", 1)], language=language)
    expect(page).to_have_url(re.compile(re.escape(sandbox.url) + r"/order/"))
    _set_stock(shop, "french-press-350", 0)  # another buyer's payment took it meanwhile

    page_language = page.locator("html").get_attribute("lang") or "ru"
    page.get_by_role("button", name=SANDBOX_BUTTONS[page_language]["guarantee"],
                     exact=True).click()

    expect(page).to_have_url(re.compile(re.escape(shop.url) + r"/orders/.+/failed$"),
                             timeout=20_000)  # the payment page may show its own failure first
    heading = {"en": "Order not deliverable", "ru": "Заказ не может быть выполнен"}[language]
    explained = {"en": "an item ran out while you were paying",
                 "ru": "товар закончился, пока вы оплачивали заказ"}[language]
    released = {"en": "reserved on your card is released",
                "ru": "зарезервированные на карте"}[language]
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
