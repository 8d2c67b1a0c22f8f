"""HTTP transport: headers, timeouts, the response envelope, retries (policy in retry.py).

Reads (GET) are retried on connection errors, timeouts, 429 and 5xx with bounded
exponential backoff and jitter. Writes (POST/PUT/DELETE) are sent exactly once and never
follow redirects: the API has no idempotency key, so after a timeout, a dropped
connection or a 5xx the write may have happened, and :class:`UnknownOutcome` tells the
caller to reconcile by ``merchantOrderId`` before sending again (CONTRACT §1.8). Only a
4xx, or a connection that was never established, is a definite "nothing happened".
"""

from __future__ import annotations

import json
import logging
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, TypedDict
from urllib.parse import urlsplit

import requests

from .errors import (
    InvalidRequest,
    InvoiceboxError,
    ProtocolError,
    TransportError,
    UnknownOutcome,
    api_error_for_status,
)
from .money import quantity_to_json
from .retry import RetryPolicy, never_sent, parse_retry_after
from .wire import format_datetime

__all__ = [
    "CLIENT_VERSION",
    "READ_TIMEOUT",
    "WRITE_TIMEOUT",
    "ApiResponse",
    "CallRecord",
    "Transport",
    "default_user_agent",
]

CLIENT_VERSION = "0.1.0"
# (connect, read) seconds. 3.05 is just over a multiple of the 3 s TCP retransmit window.
READ_TIMEOUT: tuple[float, float] = (3.05, 12.0)
WRITE_TIMEOUT: tuple[float, float] = (3.05, 30.0)

Timeout = float | tuple[float, float]
Outcome = Literal["ok", "error", "unknown"]

logger = logging.getLogger("storefront.invoicebox")


def default_user_agent() -> str:
    """``InvoiceboxDemoShop/1.0 (invoicebox-python 0.1.0; Python/3.11.7)`` (§1.2)."""
    return (
        f"InvoiceboxDemoShop/1.0 (invoicebox-python {CLIENT_VERSION}; "
        f"Python/{platform.python_version()})"
    )


@dataclass(frozen=True)
class CallRecord:
    """One HTTP attempt, as handed to the ``on_call`` observer.

    ``outcome`` is ``ok``, ``error`` (a definite failure or rejection) or ``unknown`` (a
    write that may have taken effect). ``error_code`` is the gateway's ``error.code`` or,
    without one, a short label such as ``http_429``, ``timeout`` or ``non_json_response``.
    """

    method: str
    path: str
    http_status: int | None
    request_id: str | None
    duration_ms: float
    outcome: Outcome
    error_code: str | None
    attempt: int


@dataclass(frozen=True)
class ApiResponse:
    """A successful envelope: ``data``, the paging ``metaData`` and the request id."""

    data: Any
    meta_data: Mapping[str, Any] | None
    request_id: str | None
    http_status: int


def _check_timeout(value: Timeout, name: str) -> Timeout:
    parts = value if isinstance(value, tuple) else (value,)
    if len(parts) not in (1, 2) or any(
        isinstance(p, bool) or not isinstance(p, int | float) or p <= 0 for p in parts
    ):
        raise ValueError(f"{name} must be seconds > 0 or a (connect, read) pair")
    return value


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return quantity_to_json(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot send a {type(value).__name__} as JSON")


class TransportOptions(TypedDict, total=False):
    """What can be tuned in :class:`Transport`, and so in ``InvoiceboxClient(**options)``.

    ``session`` is an injectable ``requests.Session`` (left open by ``close()``);
    ``read_timeout`` / ``write_timeout`` are seconds or (connect, read) pairs;
    ``max_retries`` is the number of attempts a read makes in total (writes make one),
    or give a whole ``retry_policy``; ``on_call`` receives a :class:`CallRecord` for every
    HTTP attempt; ``sleep`` is injectable for tests.
    """

    session: requests.Session | None
    read_timeout: Timeout
    write_timeout: Timeout
    max_retries: int
    retry_policy: RetryPolicy | None
    user_agent: str | None
    on_call: Callable[[CallRecord], None] | None
    sleep: Callable[[float], None]


class Transport:
    """Sends one API call, interprets the envelope, retries reads. Used by the client."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        session: requests.Session | None = None,
        read_timeout: Timeout = READ_TIMEOUT,
        write_timeout: Timeout = WRITE_TIMEOUT,
        max_retries: int = 3,
        user_agent: str | None = None,
        on_call: Callable[[CallRecord], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        if not token:
            raise ValueError("the API token is empty")
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._session = session if session is not None else requests.Session()
        self._owns_session = session is None
        self.read_timeout = _check_timeout(read_timeout, "read_timeout")
        self.write_timeout = _check_timeout(write_timeout, "write_timeout")
        self.retry = retry_policy or RetryPolicy(max_attempts=max_retries)
        self.user_agent = user_agent or default_user_agent()
        self._on_call = on_call
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"Transport({self.base_url!r})"  # never the token

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Sequence[tuple[str, str]] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> ApiResponse:
        """Send ``method path`` and return the ``data`` envelope, or raise.

        Raises the :mod:`~storefront.invoicebox.errors` classes; for a write, every
        failure that is not a definite rejection is :class:`UnknownOutcome`.
        """
        method = method.upper()
        is_write = method != "GET"
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": self.user_agent,
        }
        data = None
        if body is not None:
            try:
                data = json.dumps(
                    body, ensure_ascii=False, separators=(",", ":"), default=_json_default
                ).encode("utf-8")
            except (TypeError, ValueError) as exc:
                raise InvalidRequest(f"request body is not JSON-serialisable: {exc}") from None
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            try:
                response = self._session.request(
                    method,
                    self.base_url + path,
                    params=params,
                    data=data,
                    headers=headers,
                    timeout=self.write_timeout if is_write else self.read_timeout,
                    allow_redirects=not is_write,
                )
            except requests.RequestException as exc:
                error = self._transport_error(exc, is_write)
                self._record(method, path, started, attempt, None, None, error)
                delay = None if is_write else self.retry.delay_after_exception(exc, attempt)
                if delay is None:
                    raise error from None
                self._sleep(delay)
                continue
            request_id = response.headers.get("X-Request-Id")
            try:
                result = self._interpret(response, request_id, is_write)
            except InvoiceboxError as error:
                status = response.status_code
                self._record(method, path, started, attempt, status, request_id, error)
                delay = None if is_write else self.retry.delay_after_error(error, attempt)
                if delay is None:
                    raise
                self._sleep(delay)
                continue
            self._record(method, path, started, attempt, response.status_code, request_id, None)
            return result

    def _interpret(
        self, response: requests.Response, request_id: str | None, is_write: bool
    ) -> ApiResponse:
        status = response.status_code
        definite = 400 <= status < 500  # for a write, only a 4xx means "not done"
        try:
            body = json.loads(response.content)
        except ValueError:
            kind = response.headers.get("Content-Type") or "no content type"
            message = f"Invoicebox answered HTTP {status} with a body that is not JSON ({kind})"
            cls = UnknownOutcome if is_write and not definite else TransportError
            raise cls(
                message, http_status=status, code="non_json_response", request_id=request_id
            ) from None
        has_error = isinstance(body, dict) and body.get("error") is not None
        if status >= 400 or has_error:
            error = api_error_for_status(
                status,
                body if isinstance(body, dict) else None,
                request_id=request_id,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
            if is_write and status >= 500:
                raise UnknownOutcome(
                    error.message,
                    http_status=status,
                    code=error.code,
                    fields=error.fields,
                    request_id=request_id,
                )
            raise error
        if not isinstance(body, dict) or "data" not in body:
            message = f"Invoicebox answered HTTP {status} with neither data nor error"
            cls = UnknownOutcome if is_write else ProtocolError
            raise cls(message, http_status=status, code="wrong_response", request_id=request_id)
        meta = body.get("metaData")
        return ApiResponse(
            body["data"], meta if isinstance(meta, dict) else None, request_id, status
        )

    def _transport_error(self, exc: requests.RequestException, is_write: bool) -> TransportError:
        label = "timeout" if isinstance(exc, requests.Timeout) else "connection_error"
        detail = str(exc).replace(self._token, "***")  # defence in depth: never leak it
        if is_write and not never_sent(exc):
            return UnknownOutcome(
                f"no answer to a write, its outcome is unknown: {detail}", code=label
            )
        return TransportError(f"Invoicebox unreachable: {detail}", code=label)

    def _record(
        self,
        method: str,
        path: str,
        started: float,
        attempt: int,
        status: int | None,
        request_id: str | None,
        error: InvoiceboxError | None,
    ) -> None:
        duration_ms = round((time.monotonic() - started) * 1000, 1)
        outcome: Outcome = "ok"
        if isinstance(error, UnknownOutcome):
            outcome = "unknown"
        elif error is not None:
            outcome = "error"
        code = None
        if error is not None:
            # 429 and 500 come without a code (CONTRACT §1.5): label them by their status.
            code = error.code or (f"http_{status}" if status is not None else None)
        record = CallRecord(method, path, status, request_id, duration_ms, outcome, code, attempt)
        level = logging.DEBUG if outcome == "ok" else logging.WARNING
        logger.log(
            level,
            "Invoicebox %s %s attempt %d: %s %s in %.0f ms, request id %s",
            method,
            path,
            attempt,
            status or "-",
            code or outcome,
            duration_ms,
            request_id or "-",
        )
        if self._on_call is None:
            return
        try:
            self._on_call(record)
        except Exception:  # the observer must never break the call it observes
            logger.exception("Invoicebox on_call observer failed")
