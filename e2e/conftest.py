"""End-to-end fixtures: the sandbox and the shop on loopback ports, driven by real Chromium.

* ``sandbox``: a :class:`~tests.support.sandbox.SandboxProcess` for the whole session
  (its scenarios are cleared before every test).
* ``shop``: the shop served in a thread on a free port (:class:`~tests.support.shop.LiveShop`)
  with CSRF on, ``STOREFRONT_PUBLIC_URL`` pointing at itself and ``INVOICEBOX_API_URL`` at the
  sandbox. ``shop.url`` is its address and ``shop.app`` a Flask app on the same database:
  ``with shop.app.app_context(): ...`` to look at what the buyer's clicks did.
* ``paid_order``: the public token of an order bought and paid over plain HTTP, for tests
  that start after a payment (e.g. refunds).
* ``language``: the browser's language, ``en`` (``en-US``) unless a test parametrizes it
  (``ru`` is ``ru-RU``); every page's context is made with that locale. :data:`WORDS` holds
  what the shop's pages say in each.
* :func:`buy` fills the cart and the checkout form in the browser and clicks
  "Pay with Invoicebox"; the page is then on the sandbox's payment page, where
  :func:`press` finds a button in that page's own language.

Pytest-playwright uses Debian's Chromium (``browser_type_launch_args``). When a test fails,
a screenshot of each open page and a Playwright trace are kept under ``e2e-artifacts/``.
Every test in this folder is marked ``e2e``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from storefront import create_app
from storefront.catalog import seed_catalog
from storefront.extensions import db
from storefront.invoicebox import InvoiceboxClient
from storefront.models import Order
from storefront.schema import upgrade
from storefront.staff.accounts import StaffAccountError, create_staff
from tests.conftest import test_config
from tests.support.sandbox import SandboxProcess
from tests.support.shop import PRIVATE_BUYER, LiveShop, checkout_paid_order

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "e2e-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


LOCALES = {"en": "en-US", "ru": "ru-RU"}
# What the shop's pages say, in each language (the catalogs' translations).
WORDS: dict[str, dict[str, str]] = {
    "en": {"quantity": "Quantity", "add": "Add to cart", "added": "Added to your cart",
           "cart": "Cart", "checkout": "Checkout", "individual": "Individual",
           "company": "Company", "full_name": "Full name", "email": "Email", "phone": "Phone",
           "inn": "INN", "kpp": "KPP", "address": "Legal address",
           "consent": "I consent to the processing", "pay_with": "Pay with Invoicebox",
           "paid": "Payment received", "hero": "Freshly roasted coffee",
           "password": "Password", "sign_in": "Sign in", "orders": "Orders", "order": "Order",
           "refund": "Refund", "issue": "Issue refund", "reason": "Reason",
           "to_refund": "Quantity to refund: ", "confirm": "Confirm refund of",
           "created": "Refund created", "fully": "fully refunded", "refunds": "Refunds",
           "status_paid": "paid", "status_partial": "partially refunded",
           "completed": "completed"},
    "ru": {"quantity": "Количество", "add": "В корзину", "added": "Добавлено в корзину",
           "cart": "Корзина", "checkout": "Оформить заказ", "individual": "Физическое лицо",
           "company": "Организация", "full_name": "ФИО или название", "email": "Эл. почта",
           "phone": "Телефон", "inn": "ИНН", "kpp": "КПП", "address": "Юридический адрес",
           "consent": "Я согласен на обработку", "pay_with": "Оплатить через Инвойсбокс",
           "paid": "Оплата получена", "hero": "Свежеобжаренный кофе",
           "password": "Пароль", "sign_in": "Войти", "orders": "Заказы", "order": "Заказ",
           "refund": "Возврат", "issue": "Оформить возврат", "reason": "Причина",
           "to_refund": "Количество к возврату: ", "confirm": "Подтвердить возврат",
           "created": "Возврат создан", "fully": "возвращено полностью",
           "refunds": "Возвраты", "status_paid": "оплачен",
           "status_partial": "частично возвращён", "completed": "завершён"},
}
# The sandbox's payment page speaks the order's language (its own words, not the shop's).
SANDBOX_BUTTONS = {
    "en": {"pay": "Pay", "guarantee": "Pay as guarantee", "decline": "Decline",
           "back": "Back to shop"},
    "ru": {"pay": "Оплатить", "guarantee": "Оплатить гарантийно", "decline": "Отказаться",
           "back": "Вернуться в магазин"},
}
# What the payment page says under shipment control: the wait while the shop is asked, and
# its "cannot fulfil" answer with how the money comes back (a payment, a guarantee).
SANDBOX_WORDS = {
    "en": {"waiting": "Confirming your payment", "cannot": "The shop cannot fulfil this order",
           "refund": "will be returned in full", "release": "Nothing will be charged",
           "to_shop": "Return to the shop"},
    "ru": {"waiting": "Подтверждаем оплату", "cannot": "Магазин не может выполнить заказ",
           "refund": "вернётся полностью", "release": "Деньги не будут списаны",
           "to_shop": "Вернуться в магазин"},
}
PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(item.fspath).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def language() -> str:
    """The browser's language; a test may parametrize it."""
    return "en"


@pytest.fixture
def context(new_context, language: str) -> BrowserContext:
    """Every page of a test in the browser's language (its ``Accept-Language``)."""
    return new_context(locale=LOCALES[language])


@pytest.fixture(scope="session")
def sandbox_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    with SandboxProcess(tmp_path_factory.mktemp("e2e-sandbox")) as process:
        yield process


@pytest.fixture
def sandbox(sandbox_process: SandboxProcess) -> SandboxProcess:
    """The session's sandbox, with no scenario left armed by an earlier test."""
    sandbox_process.clear_scenarios()
    return sandbox_process


@pytest.fixture(scope="session")
def shop(sandbox_process: SandboxProcess, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[LiveShop]:
    config = test_config(
        tmp_path_factory.mktemp("e2e-shop"),
        WTF_CSRF_ENABLED=True,
        INVOICEBOX_API_URL=sandbox_process.url,
        INVOICEBOX_TOKEN=sandbox_process.token,
        INVOICEBOX_MERCHANT_ID=sandbox_process.merchant_id,
        INVOICEBOX_NOTIFICATION_KEY=sandbox_process.notification_key,
        INVOICEBOX_WRITE_TIMEOUT=5,
    )
    app = create_app(config)
    with app.app_context():
        upgrade()
        seed_catalog()
        db.session.commit()
    with LiveShop(app) as live:
        yield live


@pytest.fixture
def paid_order(shop: LiveShop, sandbox: SandboxProcess) -> str:
    """The public token of a freshly paid order (bought over HTTP, paid at the sandbox)."""
    return checkout_paid_order(shop, sandbox, [("french-press-350", 1),
                                               ("courier-delivery-moscow", 1)])


def buy(page: Page, shop: LiveShop, items: Iterable[tuple[str, int]] = (("french-press-350", 1),),
        buyer: Mapping[str, str] = PRIVATE_BUYER, language: str = "en",
        on_each_page: Callable[[Page], None] | None = None) -> None:
    """Put ``items`` in the cart and check out in the browser, up to "Pay with Invoicebox".

    ``buyer`` uses the checkout form's field names (see ``tests.support.shop``); the labels
    are found in ``language``, the language the browser asks for. ``on_each_page`` is
    called on every page of the way (product, cart, checkout), e.g. to check its layout.
    """
    words = WORDS[language]
    check = on_each_page or (lambda _: None)
    for slug, quantity in items:
        page.goto(f"{shop.url}/products/{slug}")
        check(page)
        page.get_by_label(words["quantity"]).fill(str(quantity))
        page.get_by_role("button", name=words["add"]).click()
        expect(page.get_by_text(words["added"])).to_be_visible()
    page.get_by_role("link", name=words["cart"], exact=True).click()
    check(page)
    page.get_by_role("button", name=words["checkout"]).click()
    company = buyer.get("customer_type") == "legal"
    page.get_by_label(words["company" if company else "individual"], exact=True).check()
    page.get_by_label(words["full_name"]).fill(buyer["full_name"])
    page.get_by_label(words["email"]).fill(buyer["email"])
    page.get_by_label(words["phone"]).fill(buyer["phone"])
    if company:
        page.get_by_label(words["inn"]).fill(buyer["inn"])
        page.get_by_label(words["kpp"]).fill(buyer.get("kpp", ""))
        page.get_by_label(words["address"]).fill(buyer["address"])
    page.get_by_label(words["consent"]).check()
    check(page)
    page.get_by_role("button", name=words["pay_with"]).click()


def press(page: Page, button: str) -> None:
    """Press ``pay``, ``guarantee``, ``decline`` or ``back`` on the sandbox's payment page,
    named in the page's own language (``<html lang>``), as a buyer reads it."""
    language = page.locator("html").get_attribute("lang") or "ru"
    page.get_by_role("button", name=SANDBOX_BUTTONS[language][button], exact=True).click()


def fits_the_screen(page: Page) -> None:
    """The page does not scroll sideways: nothing is wider than the window."""
    page.wait_for_load_state("load")
    width, window = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= window, f"{page.url} is {width} px wide in a {window} px window"


def staff_member(shop: LiveShop, email: str, password: str) -> None:
    """A staff account with these credentials (kept if an earlier test made it)."""
    with shop.app.app_context():
        try:
            create_staff(email, password)
        except StaffAccountError:  # made by an earlier test of this session
            db.session.rollback()
        else:
            db.session.commit()


def sign_in(page: Page, words: Mapping[str, str], email: str, password: str) -> None:
    """Fill in and send the staff sign-in form the page shows."""
    page.get_by_label(words["email"]).fill(email)
    page.get_by_label(words["password"]).fill(password)
    page.get_by_role("button", name=words["sign_in"]).click()


def order_ids(shop: LiveShop, public_token: str) -> tuple[str, str]:
    """The order's number and its Invoicebox id."""
    with shop.app.app_context():
        order = db.session.execute(
            db.select(Order).where(Order.public_token == public_token)).scalar_one()
        return order.number, order.paid_payment.invoicebox_order_id


def refundable(sandbox: SandboxProcess, invoicebox_id: str) -> dict[str, Decimal]:
    """What the sandbox still lets refund, by SKU."""
    gateway = InvoiceboxClient(sandbox.url, sandbox.token)
    return {item.sku: item.available_amount
            for item in gateway.get_refundable_items(invoicebox_id)}


def order_token_in(url: str) -> str:
    found = re.search(r"/orders/([A-Za-z0-9_-]+)", url)
    assert found, f"not an order page: {url}"
    return found.group(1)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(autouse=True)
def _artifacts_on_failure(request: pytest.FixtureRequest, context: BrowserContext
                          ) -> Iterator[None]:
    """Trace every test; keep the trace and a screenshot per page only when it failed."""
    context.tracing.start(screenshots=True, snapshots=True)
    yield
    report = getattr(request.node, "report_call", None)
    if report is None or not report.failed:
        context.tracing.stop()
        return
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-120:]
    for index, open_page in enumerate(context.pages):
        try:
            open_page.screenshot(path=str(ARTIFACTS / f"{name}-{index}.png"), full_page=True)
        except Exception:  # a crashed page must not hide the test's own failure
            pass
    context.tracing.stop(path=str(ARTIFACTS / f"{name}-trace.zip"))
