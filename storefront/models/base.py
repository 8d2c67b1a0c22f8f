"""Column types and defaults shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def now_utc() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend.

    SQLite keeps no offset, so values are stored as naive UTC and handed back
    with ``tzinfo=UTC`` on load; naive values are refused on the way in.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class SoldLineCopy:
    """The columns of a sold line as a refund or a shipment records it: a copy, taken when
    it was made, of what the order line said (money in kopecks, VAT included), so that
    the record keeps its amounts whatever happens to the order later."""

    sku: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[int]
    unit_price: Mapped[int]  # kopecks
    total: Mapped[int]  # kopecks
    vat: Mapped[int]  # kopecks
