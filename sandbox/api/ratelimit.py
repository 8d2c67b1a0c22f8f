"""Sliding-window rate limits of CONTRACT §1.5: per account token and per source IP."""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque

from ..config import RateLimit


class SlidingWindow:
    """At most ``limit`` hits per ``window`` seconds for each key."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, key: str, now: float | None = None) -> int | None:
        """Count a request. Returns None if allowed, else the seconds to wait (Retry-After)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits[key]
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(1, math.ceil(hits[0] + self.window - now))
            hits.append(now)
            return None

    def clear(self) -> None:
        with self._lock:
            self._hits.clear()


class RateLimiter:
    """The account and IP windows together; switched off entirely by ``enabled: false``."""

    def __init__(self, settings: RateLimit) -> None:
        self.enabled = settings.enabled
        self.account = SlidingWindow(*RateLimit.parse(settings.account))
        self.ip = SlidingWindow(*RateLimit.parse(settings.ip))

    def check(self, ip: str, token: str | None) -> int | None:
        """Seconds to wait if this request exceeds a limit, else None."""
        if not self.enabled:
            return None
        wait = self.ip.hit(ip)
        if wait is None and token:
            wait = self.account.hit(token)
        return wait

    def clear(self) -> None:
        self.account.clear()
        self.ip.clear()
