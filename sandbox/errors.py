"""The gateway's error envelope (CONTRACT §1.3) as an exception."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answer: HTTP status, ``error.code``, message and ``fields[]``.

    Raised anywhere below a view; the app's error handler (and the ``/_sandbox`` controls' own
    one) turns it into ``{"error": {"message": ..., "code": ..., "fields": [...]}}``. A ``code``
    of None leaves the member out, as the gateway does for 429 and 500 (CONTRACT §1.5, §2.11).
    """

    def __init__(self, http_status: int, code: str | None, message: str,
                 fields: list[dict[str, str]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{http_status} {code}: {message}")
        self.http_status = http_status
        self.code = code
        self.message = message
        self.fields = fields or []
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message}
        if self.code is not None:
            error["code"] = self.code
        error["fields"] = self.fields
        return {"error": error}


def field(name: str, message: str = "", code: str = "wrong_value") -> dict[str, str]:
    """One ``fields[]`` entry: the property path, a code and a human-readable message."""
    return {"name": name, "code": code, "message": message}


def unauthorized() -> ApiError:
    return ApiError(401, "unauthorized", "Unauthorized")


def forbidden() -> ApiError:
    return ApiError(403, "forbidden", "Forbidden")


def not_found(what: str = "Entity") -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


def wrong_status(status: str, operation: str) -> ApiError:
    return ApiError(422, "wrong_order_status",
                    f"Operation '{operation}' is not allowed in status '{status}'",
                    [field("status", f"current status is '{status}'")])


def too_many_requests(retry_after: int) -> ApiError:
    """429: the documented error table gives no code for it (docs/dictionary/error.md)."""
    return ApiError(429, None, "Too Many Requests", headers={"Retry-After": str(retry_after)})


def internal_error() -> ApiError:
    """500, an unhandled server error: no code either (docs/dictionary/error.md)."""
    return ApiError(500, None, "Internal Server Error")


def validation(fields: list[dict[str, str]]) -> ApiError:
    return ApiError(422, "validation", "Validation Error", fields)
