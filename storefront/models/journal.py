"""What happened to an order: notifications received, gateway calls made, events."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Insert, LargeBinary, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, now_utc


def append(row: db.Model) -> None:
    """``INSERT`` the journal ``row`` now, as one plain statement in the current
    transaction, without adding it to the session.

    For rows that are written once and not read back in the same request (events,
    notifications): the session's unit of work would cost more than the statement itself
    on the busiest path, a notification's. Columns not set on ``row`` take their defaults.
    """
    table = row.__table__
    values = {name: value for name, value in vars(row).items() if name in table.c}
    # Through the session's connection, so the ORM's bulk-insert layer is skipped; with
    # the values as parameters of one statement per table, which asks nothing back.
    db.session.connection().execute(_insert(table), values)


@cache
def _insert(table: Table) -> Insert:
    """``INSERT INTO table``, without ``RETURNING`` the new id (nobody reads it)."""
    return table.insert().inline()


class Notification(db.Model):
    """A notification POSTed to the shop, with our reply.

    One with a valid signature is always kept whole. One without is kept only within
    the hourly budget counted in :class:`UnverifiedWindow`: whole, or as its size,
    digest and first bytes (``raw_body`` None); beyond that, not at all.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    raw_body: Mapped[bytes | None] = mapped_column(LargeBinary)  # None: not kept
    body_size: Mapped[int]
    body_sha256: Mapped[str] = mapped_column(String(64))  # hex
    body_head: Mapped[bytes | None] = mapped_column(LargeBinary)  # when raw_body was not kept
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

    @classmethod
    def of_body(cls, body: bytes, **fields: Any) -> Notification:
        """A row keeping ``body`` whole, with its size and sha256."""
        return cls(raw_body=body, body_size=len(body),
                   body_sha256=hashlib.sha256(body).hexdigest(), **fields)


class UnverifiedWindow(db.Model):
    """An hour's count of notifications whose signature could not be verified.

    One row per hour however many arrive: what makes the storage of unauthenticated
    input bounded. ``kept_rows`` and ``kept_bytes`` are the part of the budget used.
    """

    # The key is the hour itself: a generated id would spend a sequence value per request.
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    received: Mapped[int] = mapped_column(default=0)
    received_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    kept_rows: Mapped[int] = mapped_column(default=0)
    kept_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    last_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_size: Mapped[int | None]
    last_sha256: Mapped[str | None] = mapped_column(String(64))
    last_reply_code: Mapped[str | None] = mapped_column(String(50))


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
