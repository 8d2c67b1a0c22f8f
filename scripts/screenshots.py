"""Screenshots of the demo for the README: ``make screenshots`` writes ``docs/screenshots/*.png``.

It starts the demo (``scripts/demo.py``) on free ports with databases of its own in a
temporary folder, so the demo data you play with stay as they are, and drives Chromium
through the journey a buyer and a staff member take: the catalog, a product, the cart, the
checkout, the Invoicebox payment page, the return page, the staff order and the refund
screen with its confirmation. It does so in Russian and in English, on a desktop and on a
390 × 844 phone, and names each file ``<language>-<device>-<step>.png``.

It also checks each page as a phone shows it: a page wider than the screen (one that
scrolls sideways) is logged, and the script exits 1.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
DEVICES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
LOCALES = {"ru": "ru-RU", "en": "en-US"}
STAFF = ("staff@example.com", "staff")  # the demo's own staff account
# What the pages say, in each language (the shop's catalogs and the sandbox's own words).
WORDS = {
    "ru": {"add": "В корзину", "cart": "Корзина", "checkout": "Оформить заказ",
           "individual": "Физическое лицо", "name": "ФИО или название", "email": "Эл. почта",
           "phone": "Телефон", "consent": "Я согласен на обработку",
           "pay_with": "Оплатить через Инвойсбокс", "paid": "Оплата получена",
           "sign_in": "Войти", "password": "Пароль", "refund": "Возврат",
           "issue": "Оформить возврат", "reason": "Причина", "quantity": "Количество к возврату"},
    "en": {"add": "Add to cart", "cart": "Cart", "checkout": "Checkout",
           "individual": "Individual", "name": "Full name", "email": "Email",
           "phone": "Phone", "consent": "I consent to the processing",
           "pay_with": "Pay with Invoicebox", "paid": "Payment received",
           "sign_in": "Sign in", "password": "Password", "refund": "Refund",
           "issue": "Issue refund", "reason": "Reason", "quantity": "Quantity to refund"},
}
# The sandbox's payment page speaks the order's language, whatever the shop's page spoke.
SANDBOX_PAY = {"ru": "Оплатить", "en": "Pay"}

log = logging.getLogger("screenshots")
# The innermost elements that reach past the right edge of the screen: what makes it scroll.
_CULPRITS = """() => {
  const wide = [...document.querySelectorAll("body *")].filter(
    (e) => e.getBoundingClientRect().right > window.innerWidth + 1);
  return wide.filter((e) => !wide.some((o) => o !== e && e.contains(o))).slice(0, 4).map(
    (e) => e.tagName.toLowerCase() + (e.className ? "." + String(e.className).split(" ")[0] : "")
      + ":" + Math.round(e.getBoundingClientRect().right));
}"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, demo: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if demo.poll() is not None:
            raise SystemExit("screenshots: the demo stopped before it was ready")
        try:
            with urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except (URLError, OSError):
            time.sleep(0.3)
    raise SystemExit(f"screenshots: {url} did not answer in {seconds:.0f} s")


def press_sandbox_pay(page: Page) -> None:
    language = page.locator("html").get_attribute("lang") or "ru"
    page.get_by_role("button", name=SANDBOX_PAY.get(language, "Оплатить"), exact=True).click()


class Journey:
    """One language on one device: every step is a page, checked and photographed."""

    def __init__(self, page: Page, shop: str, language: str, device: str) -> None:
        self.page, self.shop, self.language, self.device = page, shop, language, device
        self.words = WORDS[language]
        self.too_wide: list[str] = []

    def shot(self, step: str) -> None:
        page = self.page
        page.wait_for_load_state("networkidle")
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if width[0] > width[1]:
            culprits = page.evaluate(_CULPRITS)
            self.too_wide.append(f"{self.language}-{self.device}-{step}: {width[0]} > {width[1]}"
                                 f" ({', '.join(culprits)})")
        page.screenshot(path=str(OUT / f"{self.language}-{self.device}-{step}.png"),
                        full_page=self.device == "desktop")

    def run(self) -> None:
        page, words = self.page, self.words
        page.goto(self.shop + "/")
        self.shot("01-catalog")
        page.goto(self.shop + "/products/french-press-350")
        page.get_by_role("button", name=words["add"]).click()
        page.goto(self.shop + "/products/ethiopia-yirgacheffe-250")
        self.shot("02-product")
        page.get_by_role("button", name=words["add"]).click()
        page.get_by_role("link", name=words["cart"], exact=True).click()
        self.shot("03-cart")
        page.get_by_role("button", name=words["checkout"]).click()
        page.get_by_label(words["individual"], exact=True).check()
        page.get_by_label(words["name"]).fill("Анна Смирнова")
        page.get_by_label(words["email"]).fill("anna@example.ru")
        page.get_by_label(words["phone"]).fill("+7 900 111-22-33")
        page.get_by_label(words["consent"]).check()
        self.shot("04-checkout")
        page.get_by_role("button", name=words["pay_with"]).last.click()
        page.wait_for_url(re.compile(r"/order/"))
        self.shot("05-payment-page")
        press_sandbox_pay(page)
        expect(page.get_by_role("heading", name=words["paid"])).to_be_visible(timeout=30_000)
        self.shot("06-return-page")
        number = page.locator(".return-page strong").first.inner_text()
        self.staff(number)

    def staff(self, number: str) -> None:
        page, words = self.page, self.words
        page.goto(self.shop + "/staff/login")
        page.get_by_label(words["email"]).fill(STAFF[0])
        page.get_by_label(words["password"]).fill(STAFF[1])
        page.get_by_role("button", name=words["sign_in"]).click()
        self.shot("07-staff-orders")
        page.goto(f"{self.shop}/staff/orders/{number}")
        self.shot("08-staff-order")
        page.get_by_role("link", name=words["refund"], exact=True).click()
        page.get_by_label(words["quantity"]).first.fill("1")
        page.get_by_label(words["reason"]).fill("Разбито при доставке" if self.language == "ru"
                                                else "Broken in delivery")
        self.shot("09-refund")
        page.get_by_role("button", name=words["issue"]).click()
        self.shot("10-refund-confirm")


def photograph(shop: str) -> list[str]:
    OUT.mkdir(parents=True, exist_ok=True)
    too_wide: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                             args=["--no-sandbox", "--disable-gpu"])
        for language, locale in LOCALES.items():
            for device, viewport in DEVICES.items():
                context = browser.new_context(locale=locale, viewport=viewport,
                                              device_scale_factor=1)
                journey = Journey(context.new_page(), shop, language, device)
                journey.run()
                too_wide += journey.too_wide
                log.info("%s, %s: done", language, device)
                context.close()
        browser.close()
    return too_wide


def with_demo(action: Callable[[str], list[str]]) -> int:
    shop_port, sandbox_port, smtp_port = free_port(), free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="screenshots-") as folder:
        env = dict(os.environ, STOREFRONT_PORT=str(shop_port), SANDBOX_PORT=str(sandbox_port),
                   SMTP_PORT=str(smtp_port), STOREFRONT_MAIL_DIR=f"{folder}/mail",
                   DATABASE_URL=f"sqlite:///{folder}/shop.db",
                   SANDBOX_STATE=f"{folder}/sandbox.sqlite3", STOREFRONT_CATALOG_CACHE_SECONDS="0")
        demo = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "demo.py")], cwd=ROOT,
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            wait_for(f"http://127.0.0.1:{shop_port}/healthz", demo)
            wait_for(f"http://127.0.0.1:{sandbox_port}/_sandbox/health", demo)
            too_wide = action(f"http://127.0.0.1:{shop_port}")
        finally:
            demo.send_signal(signal.SIGTERM)
            demo.wait(timeout=30)
    for page in too_wide:
        log.error("wider than the screen: %s", page)
    log.info("wrote %d screenshots to %s", len(list(OUT.glob("*.png"))), OUT.relative_to(ROOT))
    return 1 if too_wide else 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="screenshots: %(message)s")
    sys.exit(with_demo(photograph))
