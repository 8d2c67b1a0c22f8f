"""The exceptions the Invoicebox client raises.

Everything derives from :class:`InvoiceboxError`, so a caller that only wants "the gateway
call failed" catches that one class. The subclasses answer the question the caller
actually has to decide on:

* :class:`ApiError` and its subclasses: the gateway answered and said no. For a write this
  is a definite rejection; nothing was created or changed.
* :class:`TransportError`: no usable answer (connection, timeout, a non-JSON page from a
  proxy). For a read it is safe to try again.
* :class:`UnknownOutcome`: a write whose result is not known. Do not resend it; look the
  object up by ``merchantOrderId`` first (CONTRACT §1.8).
* :class:`ProtocolError`: JSON that is neither ``data`` nor ``error``.
* :class:`InvalidRequest` (and :class:`BasketError`): the client refused to send a request
  the gateway would reject, e.g. an inconsistent basket. Nothing was sent.

Messages carry the HTTP status, ``error.code`` and ``X-Request-Id`` (support asks for the
latter) and never the API token.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ApiError",
    "AuthError",
    "BasketError",
    "FieldError",
    "InvalidRequest",
    "InvoiceboxError",
    "NotFound",
    "ProtocolError",
    "RateLimited",
    "ServerError",
    "TransportError",
    "UnknownOutcome",
    "ValidationError",
    "api_error_for_status",
]


@dataclass(frozen=True)
class FieldError:
    """One entry of ``error.fields``: which property was wrong and why."""

    name: str
    code: str
    message: str

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> FieldError:
        return cls(
            name=str(raw.get("name") or ""),
            code=str(raw.get("code") or ""),
            message=str(raw.get("message") or ""),
        )


class InvoiceboxError(Exception):
    """Base class of every error raised by this package."""

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        code: str | None = None,
        fields: list[FieldError] | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.code = code
        self.fields: list[FieldError] = list(fields or [])
        self.request_id = request_id

    def __str__(self) -> str:
        details = []
        if self.http_status is not None:
            details.append(f"HTTP {self.http_status}")
        if self.code:
            details.append(f"code={self.code}")
        if self.fields:
            details.append("fields=" + ",".join(f.name for f in self.fields))
        if self.request_id:
            details.append(f"request_id={self.request_id}")
        return f"{self.message} ({'; '.join(details)})" if details else self.message


class TransportError(InvoiceboxError):
    """No usable HTTP answer: connection failure, timeout, or a body that is not JSON."""


class UnknownOutcome(TransportError):
    """A write (POST/PUT/DELETE) may or may not have taken effect.

    Raised on a timeout, a dropped connection, a 5xx or an unreadable answer to a write.
    The client never resends writes by itself; reconcile with
    ``find_order_by_merchant_order_id`` / ``find_refund_by_merchant_order_id`` (or by
    re-reading the order) before deciding to send again.
    """


class ProtocolError(InvoiceboxError):
    """The gateway answered with JSON that has neither ``error`` nor ``data``."""


class ApiError(InvoiceboxError):
    """The gateway answered with an error envelope (HTTP status and ``error.code``)."""


class AuthError(ApiError):
    """401 (token missing or invalid) or 403 (token may not touch this merchant/object)."""


class NotFound(ApiError):
    """404, or an empty result where exactly one object was asked for."""


class ValidationError(ApiError):
    """422 (or 400): the request broke the contract; see ``fields`` for the details."""


class RateLimited(ApiError):
    """429. ``retry_after`` is the server's hint in seconds, when it sent one."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx with a JSON error body. Only ever raised for reads; a write gets UnknownOutcome."""


class InvalidRequest(InvoiceboxError, ValueError):
    """The client refused to send a request the gateway would reject. Nothing was sent.

    ``code`` uses the gateway's own error codes (``validation``, ``wrong_currency``,
    ``wrong_total_amount`` ...) and ``field`` names the offending property the way the
    gateway would (``basketItems[1].totalVatAmount``), so callers can treat both alike.
    """

    def __init__(self, message: str, *, code: str = "validation", field: str | None = None):
        fields = [FieldError(name=field, code="wrong_value", message=message)] if field else []
        super().__init__(message, code=code, fields=fields)
        self.field = field


class BasketError(InvalidRequest):
    """The basket breaks the arithmetic or consistency rules of CONTRACT §3.2."""


def _status_class(http_status: int) -> type[ApiError]:
    if http_status in (401, 403):
        return AuthError
    if http_status == 404:
        return NotFound
    if http_status in (400, 422):
        return ValidationError
    if http_status == 429:
        return RateLimited
    if http_status >= 500:
        return ServerError
    return ApiError


def api_error_for_status(
    http_status: int,
    body: Mapping[str, Any] | None,
    *,
    request_id: str | None = None,
    retry_after: float | None = None,
) -> ApiError:
    """Build the exception for an error answer; ``body`` is the parsed JSON, if any.

    The class follows the HTTP status; ``code``, ``message`` and ``fields`` come from the
    ``error`` object when there is one. A body without ``error`` still yields the
    status-based class, with ``code`` None.
    """
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        error = {}
    raw_fields = error.get("fields")
    fields = [
        FieldError.from_dict(item)
        for item in (raw_fields if isinstance(raw_fields, list) else [])
        if isinstance(item, Mapping)
    ]
    code = error.get("code")
    message = error.get("message") or f"Invoicebox answered HTTP {http_status}"
    cls = _status_class(http_status)
    kwargs: dict[str, Any] = {
        "http_status": http_status,
        "code": str(code) if code is not None else None,
        "fields": fields,
        "request_id": request_id,
    }
    if cls is RateLimited:
        return RateLimited(str(message), retry_after=retry_after, **kwargs)
    return cls(str(message), **kwargs)
