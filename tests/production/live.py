"""The shop as it is deployed: gunicorn with several worker processes on PostgreSQL, talking
to the sandbox over HTTP, and a browser-like client for it.

Usage (see ``conftest.py`` for the fixture that does this once per module)::

    with ProductionShop(workdir, postgres_url, sandbox) as shop:   # migrated, seeded, serving
        browser = shop.browser()                                    # a buyer
        staff = shop.staff_browser()                                # signed in
        with shop.app.app_context(): ...                            # the same database, in-process

:class:`ProductionShop` prepares the database with the shop's own commands (``flask db
upgrade``, ``flask seed``, ``flask staff create``), then runs ``gunicorn --config
gunicorn.conf.py`` with ``STOREFRONT_MODE=production`` and every secret given explicitly, and
waits until ``/healthz`` answers and all ``WEB_CONCURRENCY`` workers have been forked.
``shop.app`` is an in-process app on the same database, for arranging and asserting; it never
serves a request.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from html import unescape
from pathlib import Path
from typing import Any, TypeVar

import requests
from flask import Flask

from storefront import create_app
from storefront.config import normalise_database_url
from storefront.extensions import db
from tests.conftest import test_config
from tests.support.sandbox import SandboxProcess
from tests.support.shop import PRIVATE_BUYER, checkout_token, csrf_token

T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WORKERS = 3
THREADS = 8
START_TIMEOUT = 30.0
STAFF_EMAIL = "olga@sever-coffee.ru"
STAFF_PASSWORD = "a long production password"


def free_port() -> int:
    """A port the kernel just handed out on the loopback (never 8000 or 8001)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Browser(requests.Session):
    """A browser, for a shop that is deployed behind TLS.

    In production mode the shop marks its cookies ``Secure``, as it must behind the
    TLS-terminating proxy. Here the test client stands where that proxy would, so the
    loopback's plain HTTP is its secure channel; but ``http.cookiejar`` (and so
    ``requests``) never sends a ``Secure`` cookie over ``http``. The shop is therefore run
    unchanged, and this client notes which cookies came marked ``Secure`` and then clears
    the flag on its copies. Redirects are never followed (requests would prepare the next
    hop before the flag is cleared): a test reads ``Location`` itself.
    """

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url
        self.secure_cookies: set[str] = set()  # names of cookies that arrived ``Secure``
        self.headers["Accept-Language"] = "en"  # the tests read the English pages

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs["allow_redirects"] = False
        kwargs.setdefault("timeout", 30)
        return super().request(method, self.base_url + url if url.startswith("/") else url,
                               *args, **kwargs)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        response = super().send(request, **kwargs)
        for cookie in self.cookies:
            if cookie.secure:
                self.secure_cookies.add(cookie.name)
                cookie.secure = False
        return response

    def page(self, path: str) -> str:
        """GET a page that must answer 200; its HTML."""
        response = self.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        return response.text

    def cookie_header(self) -> str:
        """The ``Cookie`` header this browser sends, for requests made from other threads."""
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.cookies)

    def fill_cart(self, items: Iterable[tuple[str, int]]) -> None:
        for slug, quantity in items:
            page = self.page(f"/products/{slug}")
            answer = self.post("/cart/add", data={"product": slug, "quantity": str(quantity),
                                                   "csrf_token": csrf_token(page)})
            assert answer.status_code == 303, answer.status_code

    def checkout_form(self, items: Iterable[tuple[str, int]],
                      buyer: Mapping[str, str] = PRIVATE_BUYER) -> dict[str, str]:
        """Fill the cart and open the checkout page; the form as the browser would send it."""
        self.fill_cart(items)
        page = self.page("/checkout")
        return {**buyer, "checkout_token": checkout_token(page), "csrf_token": csrf_token(page)}

    def refund_form(self, number: str, *, reason: str = "Returned by the buyer",
                    quantities: Mapping[str, int] | None = None,
                    everything: bool = False) -> dict[str, str]:
        """Open the refund screen of order ``number``; the form filled in as staff would,
        as the confirmation page sends it on (``confirm``)."""
        page = self.page(f"/staff/orders/{number}/refund")
        found = re.search(r'name="form_token" type="hidden" value="([^"]+)"', page)
        assert found, "the refund screen has no one-time token"
        data = {"csrf_token": csrf_token(page) or "", "form_token": unescape(found.group(1)),
                "reason": reason, "confirm": "1"}
        for index, sku in enumerate(re.findall(r'name="lines-\d+-sku" value="([^"]+)"', page)):
            data[f"lines-{index}-sku"] = sku
            data[f"lines-{index}-quantity"] = str((quantities or {}).get(sku, 0))
        if everything:
            data["everything"] = "y"
        return data


    def ship_form(self, number: str, quantities: Mapping[str, int], *,
                  document: str = "TN-1", day: str = "2026-11-30") -> dict[str, str]:
        """Open the Ship screen of order ``number``; the form filled in as staff would."""
        page = self.page(f"/staff/orders/{number}/ship")
        found = re.search(r'name="form_token" type="hidden" value="([^"]+)"', page)
        assert found, "the Ship screen has no one-time token"
        data = {"csrf_token": csrf_token(page) or "", "form_token": unescape(found.group(1)),
                "document_number": document, "document_date": day}
        for index, sku in enumerate(re.findall(r'name="lines-\d+-sku" value="([^"]+)"', page)):
            data[f"lines-{index}-sku"] = sku
            data[f"lines-{index}-quantity"] = str(quantities.get(sku, 0))
        return data


class ProductionShop:
    """gunicorn serving the shop on a free loopback port; a context manager."""

    def __init__(self, workdir: Path, database_url: str, sandbox: SandboxProcess) -> None:
        self.workdir = Path(workdir)
        self.sandbox = sandbox
        self.database_url = database_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.secret_key = secrets.token_urlsafe(32)
        self.log_path = self.workdir / "gunicorn.log"
        self.env = self._environment()
        self.app = self._local_app()
        self._proc: subprocess.Popen | None = None

    def _environment(self) -> dict[str, str]:
        # Nothing from the developer's shell may steer the shop: drop its settings first.
        theirs = ("STOREFRONT_", "INVOICEBOX_", "GUNICORN_", "SMTP_", "DATABASE_URL", "SECRET_KEY",
                  "WEB_CONCURRENCY", "LOG_LEVEL")
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(theirs)}
        return {
            **inherited,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT),
                                                        os.environ.get("PYTHONPATH")])),
            "STOREFRONT_MODE": "production",
            "SECRET_KEY": self.secret_key,
            "DATABASE_URL": self.database_url,
            "INVOICEBOX_API_URL": self.sandbox.url,
            "INVOICEBOX_TOKEN": self.sandbox.token,
            "INVOICEBOX_MERCHANT_ID": self.sandbox.merchant_id,
            "INVOICEBOX_NOTIFICATION_KEY": self.sandbox.notification_key,
            "STOREFRONT_PUBLIC_URL": self.url,
            "STOREFRONT_HOST": "127.0.0.1",
            "STOREFRONT_PORT": str(self.port),
            "WEB_CONCURRENCY": str(WORKERS),
            # Enough threads in every worker for a race test's requests to stand at its gate
            # together even if one worker accepts them all, as a busy machine makes it do.
            "GUNICORN_THREADS": str(THREADS),
            "LOG_LEVEL": "INFO",
        }

    def _local_app(self) -> Flask:
        return create_app(test_config(
            self.workdir, SQLALCHEMY_DATABASE_URI=normalise_database_url(self.database_url),
            INVOICEBOX_API_URL=self.sandbox.url, STOREFRONT_PUBLIC_URL=self.url))

    # -- life cycle -----------------------------------------------------------------------
    def __enter__(self) -> ProductionShop:
        self.flask("db", "upgrade")
        self.flask("seed")
        self.flask("staff", "create", STAFF_EMAIL, "--password", STAFF_PASSWORD)
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(
                [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py"], cwd=REPO_ROOT,
                env=self.env, stdout=log, stderr=subprocess.STDOUT)
        try:
            self._wait_until_ready()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.send_signal(signal.SIGTERM)  # graceful: finish what is in flight
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        with self.app.app_context():
            db.engine.dispose()  # let the database be dropped

    def flask(self, *args: str) -> str:
        """Run ``flask --app storefront ARGS`` with the shop's environment; its output."""
        done = subprocess.run([str(BIN / "flask"), "--app", "storefront", *args], cwd=REPO_ROOT,
                              env=self.env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"flask {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                raise AssertionError(f"gunicorn exited during start-up:\n{self.log_tail()}")
            try:
                health = requests.get(f"{self.url}/healthz", timeout=1)
                if health.status_code == 200 and health.json() == {"status": "ok",
                                                                     "database": "ok"}:
                    if self.workers() == WORKERS:
                        return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise AssertionError(f"gunicorn was not ready within {START_TIMEOUT:g} s "
                             f"({self.workers()} workers):\n{self.log_tail()}")

    def workers(self) -> int:
        """How many worker processes the gunicorn master has forked (Linux /proc)."""
        master = self._proc.pid if self._proc is not None else -1
        count = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == master:
                count += 1
        return count

    def log_tail(self, lines: int = 80) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    # -- clients --------------------------------------------------------------------------
    def browser(self) -> Browser:
        return Browser(self.url)

    def staff_browser(self) -> Browser:
        """A browser signed in as the staff member created at start-up."""
        browser = self.browser()
        page = browser.page("/staff/login")
        answer = browser.post("/staff/login", data={
            "email": STAFF_EMAIL, "password": STAFF_PASSWORD, "csrf_token": csrf_token(page)})
        assert answer.status_code == 302, answer.status_code
        assert answer.headers["Location"].endswith("/staff/orders")
        assert "session" in browser.secure_cookies  # production mode: Secure cookies
        return browser


def at_once(count: int, action: Callable[[int], T]) -> list[T]:
    """Run ``action(0..count-1)`` on ``count`` threads released together; their results.

    A barrier holds every thread until all are ready, so the requests leave together
    and overlap in the shop. An exception in any thread is raised here.
    """
    start = threading.Barrier(count)

    def run(index: int) -> T:
        start.wait(timeout=30)
        return action(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def post_from_thread(url: str, data: Any, headers: Mapping[str, str]) -> requests.Response:
    """One POST on its own connection (a ``requests.Session`` is not shared across threads),
    from a browser that asks for English, as the tests read English words."""
    return requests.post(url, data=data, headers={"Accept-Language": "en", **headers},
                         allow_redirects=False, timeout=60)
