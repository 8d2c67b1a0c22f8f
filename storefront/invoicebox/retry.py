"""When a read is retried, and how long to wait (CONTRACT §1.5).

Only reads are ever retried (see :mod:`.transport`). A read is retried after a connection
error or timeout, an HTTP 429 and any 5xx, at most ``max_attempts`` times in total, with
exponential backoff and "equal jitter" (half the delay fixed, half random) so that many
workers do not retry in step. A 429 with ``Retry-After`` waits exactly that long, unless it
is longer than ``retry_after_cap``: then the read gives up at once and the caller gets
:class:`RateLimited` with ``retry_after``, rather than a web request blocked for minutes.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests
from urllib3.exceptions import NewConnectionError

from .errors import InvoiceboxError, RateLimited

__all__ = ["RetryPolicy", "never_sent", "parse_retry_after"]

_RETRYABLE_EXCEPTIONS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP-date); else None."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, seconds) if seconds == seconds else None  # NaN is not a delay


def never_sent(exc: requests.RequestException) -> bool:
    """True when the request provably never left: no connection could be opened.

    Only then is a failed write a definite failure; a timeout or a reset after connecting
    may have reached the server.
    """
    if isinstance(
        exc,
        requests.ConnectTimeout
        | requests.exceptions.InvalidURL
        | requests.exceptions.MissingSchema
        | requests.exceptions.InvalidSchema,
    ):
        return True
    # requests wraps "connection refused" / DNS failures as ConnectionError(MaxRetryError)
    # whose reason is urllib3's NewConnectionError.
    reason = getattr(exc.args[0] if exc.args else None, "reason", None)
    return isinstance(exc, requests.ConnectionError) and isinstance(reason, NewConnectionError)


@dataclass(frozen=True)
class RetryPolicy:
    """Retry limits for reads; ``max_attempts`` counts the first try."""

    max_attempts: int = 3
    backoff_base: float = 1.0
    backoff_cap: float = 8.0
    retry_after_cap: float = 30.0
    random: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    def __post_init__(self) -> None:
        attempts = self.max_attempts
        if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
            raise ValueError("max_attempts (max_retries) must be an integer >= 1")
        if self.backoff_base < 0 or self.backoff_cap < 0 or self.retry_after_cap < 0:
            raise ValueError("backoff and cap values must not be negative")

    def backoff(self, attempt: int) -> float:
        """Delay after failed attempt number ``attempt`` (1-based): 0.5-1 s, 1-2 s, 2-4 s..."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        return ceiling / 2 + self.random() * ceiling / 2

    def delay_after_exception(self, exc: requests.RequestException, attempt: int) -> float | None:
        """Seconds to wait before the next try of a read, or None to give up."""
        if attempt >= self.max_attempts or not isinstance(exc, _RETRYABLE_EXCEPTIONS):
            return None
        return self.backoff(attempt)

    def delay_after_error(self, error: InvoiceboxError, attempt: int) -> float | None:
        """Seconds to wait before the next try of a read that got ``error``, or None."""
        status = error.http_status
        if attempt >= self.max_attempts or status is None:
            return None
        if isinstance(error, RateLimited) and error.retry_after is not None:
            # Never sooner than asked; never longer than the cap (then give up instead).
            return error.retry_after if error.retry_after <= self.retry_after_cap else None
        if status == 429 or status >= 500:
            return self.backoff(attempt)
        return None
