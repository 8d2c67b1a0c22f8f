"""End-to-end fixtures: the sandbox and the shop on loopback ports, driven by real Chromium.

* ``sandbox``: a :class:`~tests.support.sandbox.SandboxProcess` for the whole session
  (its scenarios are cleared before every test).
* ``shop``: the shop served in a thread on a free port (:class:`~tests.support.shop.LiveShop`)
  with CSRF on, ``STOREFRONT_PUBLIC_URL`` pointing at itself and ``INVOICEBOX_API_URL`` at the
  sandbox. ``shop.url`` is its address and ``shop.app`` a Flask app on the same database:
  ``with shop.app.app_context(): ...`` to look at what the buyer's clicks did.
* ``paid_order``: the public token of an order bought and paid over plain HTTP, for tests
  that start after a payment (e.g. refunds).
* :func:`buy` fills the cart and the checkout form in the browser and clicks
  "Pay with Invoicebox"; the page is then on the sandbox's payment page.

Pytest-playwright uses Debian's Chromium (``browser_type_launch_args``). When a test fails,
a screenshot of each open page and a Playwright trace are kept under ``e2e-artifacts/``.
Every test in this folder is marked ``e2e``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from flask_migrate import upgrade
from playwright.sync_api import BrowserContext, Page, expect

from storefront import create_app
from storefront.catalog import seed_catalog
from storefront.extensions import db
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(item.fspath).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


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
        buyer: Mapping[str, str] = PRIVATE_BUYER) -> None:
    """Put ``items`` in the cart and check out in the browser, up to "Pay with Invoicebox".

    ``buyer`` uses the checkout form's field names (see ``tests.support.shop``).
    """
    for slug, quantity in items:
        page.goto(f"{shop.url}/products/{slug}")
        page.get_by_label("Quantity").fill(str(quantity))
        page.get_by_role("button", name="Add to cart").click()
        expect(page.get_by_text("Added to your cart")).to_be_visible()
    page.get_by_role("link", name="Cart", exact=True).click()
    page.get_by_role("button", name="Checkout").click()
    company = buyer.get("customer_type") == "legal"
    page.get_by_label("Company" if company else "Individual", exact=True).check()
    page.get_by_label("Full name").fill(buyer["full_name"])
    page.get_by_label("Email").fill(buyer["email"])
    page.get_by_label("Phone").fill(buyer["phone"])
    if company:
        page.get_by_label("INN").fill(buyer["inn"])
        page.get_by_label("KPP").fill(buyer.get("kpp", ""))
        page.get_by_label("Legal address").fill(buyer["address"])
    page.get_by_role("button", name="Pay with Invoicebox").click()


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
