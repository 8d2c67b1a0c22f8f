"""What a shop answers Invoicebox's notifications (CONTRACT §5.5-5.6).

Always HTTP 200 with JSON: ``{"status": "success"}``, or ``{"status": "error", "code":
..., "message": ...}`` with one of :class:`ReplyCode`. The code decides whether Invoicebox
tries again: only ``out_of_service`` is retried.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["MONITORING_ID", "NotificationReply", "ReplyCode", "ReplyStatus"]

# The ``id`` of the test notification Invoicebox's monitoring sends (§5.7).
MONITORING_ID = "ffffffff-ffff-ffff-ffff-ffffffffffff"
MESSAGE_LIMIT = 500


class ReplyStatus(StrEnum):
    SUCCESS = "success"
    ERROR = "error"


class ReplyCode(StrEnum):
    OUT_OF_SERVICE = "out_of_service"  # a temporary failure: Invoicebox retries
    SIGNATURE_ERROR = "signature_error"
    ORDER_NOT_FOUND = "order_not_found"
    ORDER_ALREADY_PAID = "order_already_paid"
    ORDER_WRONG_AMOUNT = "order_wrong_amount"
    ORDER_WRONG_STATUS = "order_wrong_status"  # the PHP SDK's NotificationResult
    SHIPPING_UNAVAILABLE = "shipping_unavailable"


@dataclass(frozen=True)
class NotificationReply:
    """One answer to a notification."""

    status: ReplyStatus
    code: ReplyCode | None = None
    message: str | None = None

    @classmethod
    def success(cls) -> NotificationReply:
        return cls(ReplyStatus.SUCCESS)

    @classmethod
    def error(cls, code: ReplyCode, message: str) -> NotificationReply:
        return cls(ReplyStatus.ERROR, code, message[:MESSAGE_LIMIT])

    @property
    def ok(self) -> bool:
        return self.status == ReplyStatus.SUCCESS

    def as_json(self) -> dict[str, str]:
        if self.ok:
            return {"status": ReplyStatus.SUCCESS.value}
        return {"status": ReplyStatus.ERROR.value,
                "code": (self.code or ReplyCode.OUT_OF_SERVICE).value,
                "message": self.message or ""}
