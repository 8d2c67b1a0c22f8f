"""How many API requests the sandbox received, per method and path, for tests that must
prove a shop asked something once (``GET /_sandbox/api/counters``)."""

from __future__ import annotations

import threading
from collections import Counter


class RequestCounters:
    """Thread-safe counts keyed ``"GET /v3/filter/api/order/order"`` (query left out)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def hit(self, method: str, path: str) -> None:
        with self._lock:
            self._counts[f"{method.upper()} {path}"] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._counts.items()))

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()
