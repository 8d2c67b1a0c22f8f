"""Switches that make the next N events misbehave, for testing a shop's error handling.

A scenario is armed with a name and a count; each matching event consumes one unit. Scenarios
live in memory only: they are test set-up, not gateway state.

API scenarios (``api_*``) match REST requests: ``method`` compares with the HTTP method and
``path`` is a substring of the request path. Notification scenarios (``notification_*``) match
deliveries: ``path`` is a substring of the notification URL (or, for ``notification_drop``,
of the order's ``merchantOrderId``).
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import asdict, dataclass

API_SCENARIOS = {
    "api_500": "answer 500 without doing anything",
    "api_429": "answer 429 with Retry-After (`seconds`, default 1) without doing anything",
    "api_timeout": "sleep `seconds` (default 35), then process the request normally",
}
NOTIFICATION_SCENARIOS = {
    "notification_delay": "deliver the notification only after `seconds` (default 5)",
    "notification_twice": "deliver the notification twice, concurrently",
    "notification_before_redirect": "deliver synchronously before the Pay redirect",
    "notification_bad_signature": "send a wrong X-Signature",
    "notification_wrong_amount": "send a wrong amount, correctly signed",
    "notification_drop": "never send the notification, nor retry it (state `dropped`)",
}
SCENARIOS = {**API_SCENARIOS, **NOTIFICATION_SCENARIOS}
DEFAULT_SECONDS = {"api_timeout": 35.0, "notification_delay": 5.0, "api_429": 1.0}


@dataclass
class Scenario:
    id: int
    name: str
    remaining: int
    seconds: float | None = None
    method: str | None = None
    path: str | None = None

    @property
    def effective_seconds(self) -> float:
        if self.seconds is not None:
            return self.seconds
        return DEFAULT_SECONDS.get(self.name, 0.0)

    def matches(self, method: str | None, target: str) -> bool:
        if self.method and method and self.method.upper() != method.upper():
            return False
        return not self.path or self.path in target

    def as_json(self) -> dict[str, object]:
        data: dict[str, object] = asdict(self)
        data["description"] = SCENARIOS[self.name]
        return data


class Scenarios:
    """Thread-safe registry of armed scenarios."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[Scenario] = []
        self._ids = itertools.count(1)

    def add(self, name: str, count: int = 1, seconds: float | None = None,
            method: str | None = None, path: str | None = None) -> Scenario:
        """Arm a scenario. ValueError on an unknown name or a bad count/seconds."""
        if name not in SCENARIOS:
            raise ValueError(f"unknown scenario {name!r}; known: {sorted(SCENARIOS)}")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError("count must be a positive integer")
        if seconds is not None and (isinstance(seconds, bool) or seconds < 0):
            raise ValueError("seconds must be a non-negative number")
        with self._lock:
            scenario = Scenario(next(self._ids), name, count,
                                None if seconds is None else float(seconds),
                                method or None, path or None)
            self._items.append(scenario)
        return scenario

    def take(self, name: str, *, method: str | None = None, target: str = "") -> Scenario | None:
        """Consume one unit of the oldest matching scenario called ``name``, if any."""
        with self._lock:
            for scenario in self._items:
                if scenario.name == name and scenario.matches(method, target):
                    scenario.remaining -= 1
                    if scenario.remaining <= 0:
                        self._items.remove(scenario)
                    return scenario
        return None

    def list(self) -> list[dict[str, object]]:
        with self._lock:
            return [s.as_json() for s in self._items]

    def clear(self) -> int:
        with self._lock:
            count = len(self._items)
            self._items.clear()
        return count
