from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..states import RefundRequestStatus
from .base import UTCDateTime, now_utc
from .orders import Order, OrderLine
from .refunds import Refund

OPEN_CONDITION = f"status = '{RefundRequestStatus.OPEN.value}'"


class RefundRequest(db.Model):
    """A buyer's request to have (part of) a paid order refunded.

    It refunds nothing by itself: staff read it and issue a refund through the refund
    screen (the request is then linked to that refund) or decline it with a message to the
    buyer. An order has at most one ``open`` request: the partial unique index
    ``one_open_refund_request`` says so to the database.
    """

    __table_args__ = (
        Index("one_open_refund_request", "order_id", unique=True,
              postgresql_where=text(OPEN_CONDITION), sqlite_where=text(OPEN_CONDITION)),
        # The staff list: open requests first, oldest first.
        Index("ix_refund_request_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=RefundRequestStatus.OPEN.value)
    reason: Mapped[str] = mapped_column(Text)  # the buyer's words
    # The refund staff issued for it (one request leads to at most one refund).
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refund.id"), unique=True)
    # Who answered it, when, and (declined) what the buyer is told.
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    order: Mapped[Order] = relationship()
    refund: Mapped[Refund | None] = relationship()
    lines: Mapped[list[RefundRequestLine]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="RefundRequestLine.id"
    )


class RefundRequestLine(db.Model):
    """How many units of one order line the buyer asks to have refunded."""

    __table_args__ = (
        UniqueConstraint("request_id", "order_line_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("refund_request.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id"))
    quantity: Mapped[int]

    request: Mapped[RefundRequest] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine] = relationship(lazy="joined")
