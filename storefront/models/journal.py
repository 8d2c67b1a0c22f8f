"""What happened to an order: notifications received, gateway calls made, events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, now_utc


class Notification(db.Model):
    """Every notification POSTed to the shop, kept as received, with our reply."""

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    raw_body: Mapped[bytes] = mapped_column(LargeBinary)
    signature_valid: Mapped[bool]
    # Parsed from the body when it could be; may be None for garbage.
    invoicebox_order_id: Mapped[str | None] = mapped_column(String(64), index=True)
    merchant_order_id: Mapped[str | None] = mapped_column(String(256))
    gateway_status: Mapped[str | None] = mapped_column(String(50))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"))
    reply_status: Mapped[str] = mapped_column(String(10))  # "success" | "error"
    reply_code: Mapped[str | None] = mapped_column(String(50))
    reply_message: Mapped[str | None] = mapped_column(String(500))
    # True when this notification changed the order (at most one per payment).
    applied: Mapped[bool] = mapped_column(default=False)


class GatewayCall(db.Model):
    """One HTTP request to the Invoicebox API, for support and the staff timeline."""

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"), index=True)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refund.id"))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    http_status: Mapped[int | None]
    request_id: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(10))  # "ok" | "error" | "unknown"
    error_code: Mapped[str | None] = mapped_column(String(100))
    duration_ms: Mapped[int] = mapped_column(default=0)


class OrderEvent(db.Model):
    """A line in an order's history: created, sent to payment, paid, refunded..."""

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text, default="")
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
