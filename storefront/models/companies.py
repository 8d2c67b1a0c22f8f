"""Company lookups by INN: the registry's answers, cached, and the counters that limit asking.

Both live in the database rather than in a worker's memory so that every worker shares them:
one worker's answer saves the others a call to Invoicebox, and a buyer cannot get round a
limit by landing on another worker.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, now_utc


class CompanyCache(db.Model):
    """The registry's last answer for one INN, reused for a day."""

    vat_number: Mapped[str] = mapped_column(String(12), primary_key=True)
    # The record as Invoicebox sent it; NULL when the registry has no such INN.
    record: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class LookupCounter(db.Model):
    """Lookups one bucket (a buyer session, a client address, the whole shop) made in its
    current fixed window. One row per bucket, counted up atomically."""

    bucket: Mapped[str] = mapped_column(String(80), primary_key=True)
    window_start: Mapped[int] = mapped_column(index=True)  # Unix seconds
    hits: Mapped[int]
