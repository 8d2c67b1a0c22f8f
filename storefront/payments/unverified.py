"""Bounded storage for notifications whose signature could not be verified.

Anybody can POST to the notification endpoint, so how much such a request gets written
must never be the sender's choice. Each one is counted in the row of its hour
(:class:`~storefront.models.UnverifiedWindow`: how many, how many bytes, and the last
one's time, size, sha256 and our reply code), and within the hour's :class:`Budget` it
is also kept as a :class:`~storefront.models.Notification` row:

* with its whole body, while the bodies kept whole this hour stay within
  ``STOREFRONT_UNVERIFIED_BYTES_PER_HOUR`` (default 256 KiB);
* otherwise as its size, sha256 and first :data:`HEAD_BYTES` bytes;
* and not at all once ``STOREFRONT_UNVERIFIED_ROWS_PER_HOUR`` rows (default 100) have
  been kept this hour: only the hour's counters move.

So a flood, however many requests it sends, writes per hour at most the byte budget,
the row budget's small rows, and one counter row updated in place. The budget is
counted in the database, under the lock of the hour's row, so it holds across worker
processes. Notifications with a valid signature never pass through here: they are
always kept whole, and nothing here reads, deletes or changes them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models import Notification, UnverifiedWindow, now_utc

log = logging.getLogger(__name__)

HEAD_BYTES = 256
DEFAULT_ROWS_PER_HOUR = 100
DEFAULT_BYTES_PER_HOUR = 256 * 1024

_INSERTS = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


class Keep(Enum):
    """How much of one unverified notification is stored."""

    BODY = "body"  # a row with the whole body
    SUMMARY = "summary"  # a row with the size, digest and first bytes of the body
    COUNT = "count"  # no row: only the hour's counters


@dataclass(frozen=True)
class Budget:
    """What one hour of unverified notifications may store, over every worker."""

    rows: int = DEFAULT_ROWS_PER_HOUR
    bytes: int = DEFAULT_BYTES_PER_HOUR

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Budget:
        return cls(
            rows=int(config.get("STOREFRONT_UNVERIFIED_ROWS_PER_HOUR", DEFAULT_ROWS_PER_HOUR)),
            bytes=int(config.get("STOREFRONT_UNVERIFIED_BYTES_PER_HOUR",
                                 DEFAULT_BYTES_PER_HOUR)),
        )

    def decide(self, kept_rows: int, kept_bytes: int, size: int) -> Keep:
        """How much of a body of ``size`` bytes to keep, given what the hour has kept."""
        if kept_rows >= self.rows:
            return Keep.COUNT
        if kept_bytes + size <= self.bytes:
            return Keep.BODY
        return Keep.SUMMARY


def keep_within_budget(row: Notification, budget: Budget,
                       now: datetime | None = None) -> Keep:
    """Count the unverified notification ``row`` in its hour and add to the session as
    much of it as the hour's budget allows; what was kept.

    ``row`` comes whole (``raw_body``, ``body_size``, ``body_sha256`` and the reply) and
    not yet added. This runs in the caller's transaction, which from the first statement
    holds the hour's row locked: the caller commits at once, the row with the count.
    """
    now = (now or now_utc()).astimezone(UTC)
    hour = now.replace(minute=0, second=0, microsecond=0)
    kept_rows, kept_bytes = _count(hour, row, now)
    keep = budget.decide(kept_rows, kept_bytes, row.body_size)
    if keep is Keep.COUNT:
        return keep
    kept_size = row.body_size if keep is Keep.BODY else 0
    _update(hour, kept_rows=UnverifiedWindow.kept_rows + 1,
            kept_bytes=UnverifiedWindow.kept_bytes + kept_size)
    if kept_rows + 1 == budget.rows:
        log.warning("unverified notifications: the %d rows of the hour from %s UTC are "
                    "used; until it ends, further ones are only counted",
                    budget.rows, f"{hour:%Y-%m-%d %H:%M}")
    if keep is Keep.SUMMARY:
        row.body_head, row.raw_body = (row.raw_body or b"")[:HEAD_BYTES], None
    row.received_at = now
    db.session.add(row)
    return keep


def _count(hour: datetime, row: Notification, now: datetime) -> tuple[int, int]:
    """Add ``row`` to the hour's counters; the hour's kept rows and bytes before it.

    The counting ``UPDATE`` comes first so that it takes the hour's row lock (SQLite: the
    write lock) before anything is read: workers counting at once queue here, and each
    reads the figures the previous one committed.
    """
    counters = {
        "received": UnverifiedWindow.received + 1,
        "received_bytes": UnverifiedWindow.received_bytes + row.body_size,
        "last_at": now, "last_size": row.body_size, "last_sha256": row.body_sha256,
        "last_reply_code": row.reply_code,
    }
    found = _update(hour, **counters)
    if found is None:
        insert = _INSERTS[db.session.get_bind().dialect.name]
        db.session.execute(
            insert(UnverifiedWindow)
            .values(window_start=hour, received=0, received_bytes=0, kept_rows=0, kept_bytes=0)
            .on_conflict_do_nothing(index_elements=["window_start"]))
        found = _update(hour, **counters)
    assert found is not None  # the hour's row exists now, and rows are never deleted here
    return found


def _update(hour: datetime, **values: Any) -> tuple[int, int] | None:
    """Update the hour's row; its kept rows and bytes after, or None if there is none."""
    statement = (
        db.update(UnverifiedWindow).where(UnverifiedWindow.window_start == hour)
        .values(**values)
        .returning(UnverifiedWindow.kept_rows, UnverifiedWindow.kept_bytes)
        .execution_options(synchronize_session=False)
    )
    found = db.session.execute(statement).one_or_none()
    return None if found is None else (found[0], found[1])
