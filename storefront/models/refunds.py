from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..states import RefundStatus
from .base import SoldLineCopy, UTCDateTime, now_utc

PENDING_CONDITION = f"status = '{RefundStatus.PENDING.value}'"


class Refund(db.Model):
    """A refund order sent to Invoicebox for a paid shop order.

    At most one refund of an order is ``pending`` (saved, its answer not yet known): the
    partial unique index ``one_pending_refund`` makes the refunds of one order go to
    Invoicebox one at a time, each checked against what the previous one left.

    A refund that keeps a fee (``fee_amount``) is created at Invoicebox as a ``draft`` and
    finished by a correction order holding the fee (CONTRACT §7.9): the buyer gets
    :attr:`net_amount`. ``correction_sent_at`` is when the correction order was last sent
    (it may still be in flight for a while after), ``correction_order_id`` the Invoicebox
    id it got; a reconcile runner that finishes a draft holds it with ``lease_owner`` /
    ``lease_until``, as it does payments.
    """

    __table_args__ = (
        Index("one_pending_refund", "order_id", unique=True,
              postgresql_where=text(PENDING_CONDITION), sqlite_where=text(PENDING_CONDITION)),
        CheckConstraint("fee_amount IS NULL OR (fee_amount > 0 AND fee_amount < amount)",
                        name="fee_less_than_refund"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"))
    # Unique per refund: Invoicebox rejects a reused one, which is what makes a
    # refund safe to reconcile after an unknown outcome.
    merchant_order_id: Mapped[str] = mapped_column(String(100), unique=True)
    invoicebox_refund_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    # One-time token of the refund form: the same form submitted twice finds
    # this refund instead of making another.
    form_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=RefundStatus.PENDING.value)
    amount: Mapped[int]  # kopecks
    vat_amount: Mapped[int]  # kopecks
    reason: Mapped[str] = mapped_column(Text, default="")
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    error: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fee_amount: Mapped[int | None]  # kopecks kept from the refund; None: no fee
    fee_vat_amount: Mapped[int | None]  # kopecks
    fee_reason: Mapped[str | None] = mapped_column(String(200))
    correction_merchant_order_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    correction_order_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    correction_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list[RefundLine]] = relationship(
        back_populates="refund", cascade="all, delete-orphan", order_by="RefundLine.id"
    )


    @property
    def net_amount(self) -> int:
        """What the buyer gets back: the refund less the fee it keeps (kopecks)."""
        return self.amount - (self.fee_amount or 0)


class RefundLine(SoldLineCopy, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(ForeignKey("refund.id"), index=True)

    refund: Mapped[Refund] = relationship(back_populates="lines")


class Reversal(db.Model):
    """The money of an order the shop could not deliver, to go back in full.

    With shipment control on, a payment whose goods could not be taken from stock is
    answered ``shipping_unavailable`` and the order becomes ``undeliverable``; this row is
    written in that same transaction. The code itself refunds nothing (CONTRACT §5.4): the
    reconcile runner carries the reversal out afterwards (:mod:`storefront.payments.reversals`):
    a paid order's as a full refund, linked here; a guarantee's (hold) as a ``DELETE`` of the
    Invoicebox order, with no refund, marked done by ``issued_at``. One per order.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), unique=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # The refund that carries it out; None while it is still to be issued.
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refund.id"))
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # A runner's claim on it, as on payments (see storefront.payments.reconcile).
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
