"""The mail outbox: each message to a buyer or to staff, queued in the transaction of the
change it tells about, delivered later by the runner (:mod:`storefront.mail.delivery`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, now_utc

# Neither sent nor given up: the runner's work. The partial index holds only these rows.
UNDELIVERED_CONDITION = "sent_at IS NULL AND failed_at IS NULL"


class OutboxMessage(db.Model):
    """One message, queued once (``dedupe_key``: kind and the order, refund or request it
    is about), rendered and sent by the runner in the recipient's ``language``.

    ``context`` holds plain values (strings, numbers, lists of them) for the templates;
    amounts are written as ``Decimal`` strings (``"2490.00"``), never floats.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("outbox_message_due", "next_attempt_at",
              postgresql_where=text(UNDELIVERED_CONDITION),
              sqlite_where=text(UNDELIVERED_CONDITION)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2))
    context: Mapped[dict[str, Any]] = mapped_column(JSON)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # When the runner may try (again): now at first, later after a back-off.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # A runner's claim, as reconcile leases payments: who, and until when.
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The mail server refused this very message for good (an address it will never take).
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
