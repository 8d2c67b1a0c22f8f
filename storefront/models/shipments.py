"""Shipments of paid orders registered with Invoicebox (CONTRACT §2.10).

What was shipped of each order line is counted on the line itself
(``OrderLine.shipped_quantity``), and the database refuses a count above the line's
quantity (``order_line_shipped_within_quantity``): whatever the application does, a unit is
never shipped twice. At most one shipment of an order is ``sending`` at a time
(``one_sending_shipment``), so an answer that was lost is resolved before the next is sent.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..states import ShipmentStatus
from .base import SoldLineCopy, UTCDateTime, now_utc
from .orders import OrderLine

SENDING_CONDITION = f"status = '{ShipmentStatus.SENDING.value}'"


class Shipment(db.Model):
    __table_args__ = (
        Index("one_sending_shipment", "order_id", unique=True,
              postgresql_where=text(SENDING_CONDITION), sqlite_where=text(SENDING_CONDITION)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"))
    # Invoicebox's id (an integer there), kept as text like every other remote id.
    invoicebox_shipment_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    # One-time token of the Ship form: the same form sent twice finds this shipment.
    form_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=ShipmentStatus.SENDING.value)
    document_number: Mapped[str] = mapped_column(String(36))
    document_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[int]  # kopecks
    vat_amount: Mapped[int]  # kopecks
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    error: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the shop last read it from Invoicebox, and a reconcile runner's claim on it.
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list[ShipmentLine]] = relationship(
        back_populates="shipment", cascade="all, delete-orphan", order_by="ShipmentLine.id"
    )


class ShipmentLine(SoldLineCopy, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipment.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id"))

    shipment: Mapped[Shipment] = relationship(back_populates="lines")
    # For the buyer's pages (the product's name in their language).
    order_line: Mapped[OrderLine] = relationship(lazy="selectin")
