from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..states import PAYMENT_PAYABLE, OrderStatus, PaymentStatus
from .base import UTCDateTime, now_utc
from .catalog import Product

# The partial index's condition: the payable statuses, as the transition table has them.
PAYABLE_CONDITION = "status IN ({})".format(
    ", ".join(f"'{status.value}'" for status in PaymentStatus if status in PAYMENT_PAYABLE))


class Order(db.Model):
    """A buyer's order in the shop. Money is integer kopecks, VAT included."""


    id: Mapped[int] = mapped_column(primary_key=True)
    # Shown to people and used to build Invoicebox merchantOrderIds.
    number: Mapped[str] = mapped_column(String(20), unique=True)
    # The unguessable part of the buyer's status page link.
    public_token: Mapped[str] = mapped_column(String(64), unique=True)
    # One-time token of the checkout form that made this order: a resubmitted
    # form finds this order instead of making a second one.
    checkout_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.NEW.value)

    customer_type: Mapped[str] = mapped_column(String(10))  # "private" | "legal"
    customer_name: Mapped[str] = mapped_column(String(500))
    customer_email: Mapped[str] = mapped_column(String(100), index=True)
    customer_phone: Mapped[str] = mapped_column(String(100))
    customer_inn: Mapped[str | None] = mapped_column(String(12))
    customer_kpp: Mapped[str | None] = mapped_column(String(9))
    customer_address: Mapped[str | None] = mapped_column(String(1000))

    # The buyer's language at checkout ("ru" | "en"): the Invoicebox payment page and later
    # messages to the buyer speak it.
    language: Mapped[str] = mapped_column(String(2), default="ru", server_default="ru")
    # Consent to the processing of personal data (152-FZ): when it was given and which
    # version of the privacy policy it was given to. None for orders placed before it.
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_version: Mapped[str | None] = mapped_column(String(20))

    # How goods reach the buyer ("courier" with ``delivery_address``, or "pickup"); None
    # for an order of services only, and for orders placed before the shop asked.
    delivery_method: Mapped[str | None] = mapped_column(String(10))
    delivery_address: Mapped[str | None] = mapped_column(String(1000))
    # Paid, but there was not enough stock to fill it when the payment was applied:
    # staff refund it or back-order (see storefront.payments.stock).
    short_of_stock: Mapped[bool] = mapped_column(default=False, server_default=sa_false())

    currency: Mapped[str] = mapped_column(String(3), default="RUB")
    amount: Mapped[int]  # kopecks
    vat_amount: Mapped[int]  # kopecks

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the shop last read the order's refunds from Invoicebox: refreshes are
    # rate-limited by it.
    refunds_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )
    payments: Mapped[list[Payment]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="Payment.attempt"
    )

    @property
    def current_payment(self) -> Payment | None:
        return self.payments[-1] if self.payments else None

    @property
    def paid_payment(self) -> Payment | None:
        for payment in self.payments:
            if payment.status == PaymentStatus.COMPLETED:
                return payment
        return None


class OrderLine(db.Model):
    """One basket position, frozen at checkout from the catalog."""

    __table_args__ = (
        UniqueConstraint("order_id", "sku"),
        # No unit is shipped twice: see storefront.models.shipments.
        CheckConstraint("shipped_quantity >= 0 AND shipped_quantity <= quantity",
                        name="order_line_shipped_within_quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"))
    sku: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(500))
    measure: Mapped[str] = mapped_column(String(10))
    measure_code: Mapped[str] = mapped_column(String(4))
    vat_code: Mapped[str] = mapped_column(String(20))
    item_type: Mapped[str] = mapped_column(String(10))
    payment_type: Mapped[str] = mapped_column(String(20), default="full_prepayment")
    unit_price: Mapped[int]  # kopecks, VAT included
    quantity: Mapped[int]
    total: Mapped[int]  # kopecks
    vat: Mapped[int]  # kopecks
    # Units in shipments that count (sending, registered or completed).
    shipped_quantity: Mapped[int] = mapped_column(default=0, server_default="0")

    order: Mapped[Order] = relationship(back_populates="lines")
    # For the buyer's pages only (the name in their language); the line keeps what was sold.
    product: Mapped[Product | None] = relationship(lazy="selectin")


class Payment(db.Model):
    """One Invoicebox order created for a shop order.

    A shop order normally has one; it gets another only when the previous one
    can no longer be paid (expired, canceled, or provably never created). At most one
    attempt of an order is payable (``pending`` or ``created``) at any time: the partial
    unique index says so to the database.
    """

    __table_args__ = (
        UniqueConstraint("order_id", "attempt"),
        Index("one_payable_attempt", "order_id", unique=True,
              postgresql_where=text(PAYABLE_CONDITION), sqlite_where=text(PAYABLE_CONDITION)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    attempt: Mapped[int]
    # "<order number>-<attempt>": at most 36 characters, unique everywhere.
    merchant_order_id: Mapped[str] = mapped_column(String(36), unique=True)
    invoicebox_order_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    payment_url: Mapped[str | None] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(20), default=PaymentStatus.PENDING.value)
    amount: Mapped[int]  # kopecks
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the shop last asked Invoicebox about it: status checks are rate-limited by it.
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What brought the last news of it: notification, reconcile, staff or buyer.
    checked_by: Mapped[str | None] = mapped_column(String(20))
    # A reconcile runner's claim on it (who, until when): see storefront.payments.reconcile.
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why the last attempt to create it failed, in words fit for staff.
    error: Mapped[str | None] = mapped_column(Text)

    order: Mapped[Order] = relationship(back_populates="payments")


# The staff list: newest first, one page after another by (created_at, id), with or
# without a status (see ``staff/queries.py``).
Index("ix_order_created_at_id", Order.created_at.desc(), Order.id.desc())
Index("ix_order_status_created_at_id", Order.status, Order.created_at.desc(), Order.id.desc())

# The staff search's partial matches go through trigram indexes of the lower-cased text:
# PostgreSQL only (pg_trgm). Migration 0006 makes them there and nothing on SQLite, where
# Alembic's comparison skips them with a warning (it cannot read expression indexes there).
for _column in (Order.number, Order.customer_email):
    Index(f"ix_order_{_column.key}_trgm", func.lower(_column).label(f"{_column.key}_lower"),
          postgresql_using="gin", postgresql_ops={f"{_column.key}_lower": "gin_trgm_ops"})

