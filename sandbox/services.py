"""The sandbox's long-lived parts, shared by every blueprint and background thread."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from flask import current_app, has_request_context, request

from .api.ratelimit import RateLimiter
from .config import Merchant, SandboxConfig
from .counters import RequestCounters
from .maintenance import tick
from .notifier import Notifier
from .scenarios import Scenarios
from .store import Store

log = logging.getLogger(__name__)


@dataclass
class Services:
    config: SandboxConfig
    store: Store
    scenarios: Scenarios
    notifier: Notifier
    limiter: RateLimiter
    counters: RequestCounters = field(default_factory=RequestCounters)
    _sweeper: threading.Thread | None = field(default=None, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)

    @classmethod
    def build(cls, config: SandboxConfig, store: Store) -> Services:
        scenarios = Scenarios()
        return cls(config, store, scenarios, Notifier(config, store, scenarios),
                   RateLimiter(config.rate_limit))

    def merchant(self, merchant_id: str) -> Merchant | None:
        return self.config.merchant(merchant_id)

    def public_base(self) -> str:
        """Base of ``paymentUrl``: the configured public URL, else the URL this request used."""
        if self.config.payment_page_base:
            return self.config.payment_page_base
        if has_request_context():
            return request.host_url.rstrip("/")
        return "http://127.0.0.1:8001"

    def start_background(self) -> None:
        """Start the notification worker and the periodic expiry/refund sweep."""
        self.notifier.start()

        def sweep() -> None:
            while not self._stop.wait(self.config.sweep_interval_s):
                try:
                    tick(self)
                except Exception:  # the sweep must survive a bad round
                    log.exception("periodic sweep failed")

        self._sweeper = threading.Thread(target=sweep, name="sweeper", daemon=True)
        self._sweeper.start()

    def stop_background(self) -> None:
        self._stop.set()
        self.notifier.stop()


def services() -> Services:
    """The Services of the current Flask app."""
    return current_app.extensions["sandbox"]
