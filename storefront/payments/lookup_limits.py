"""Limits on company lookups, counted in the database so that they hold across workers.

Each limit is a bucket (one buyer session, one client address, or the whole shop) allowed so
many lookups per fixed window. :func:`take` counts one lookup against several buckets at
once, all or none, each with a single ``INSERT ... ON CONFLICT DO UPDATE ... WHERE hits <
allowed RETURNING hits``: PostgreSQL locks the bucket's row for the statement, so two
workers can never both take the last slot, and a refused statement changes nothing.

A fixed window can let through twice its allowance in one period that straddles two
windows; the shop-wide cap is set with that in mind (20 per 30 s allows at most 40 in any
30 s, within the account's 100).

Sessions and addresses are stored as keyed hashes: the counters need to tell buckets apart,
not to know who or where anyone is.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import case, delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import LookupCounter

HOUR = 3600
# Rows untouched for this long belong to no current window of any limit.
STALE_AFTER = 2 * HOUR
_SWEEP_BATCH = 500


@dataclass(frozen=True)
class Limit:
    bucket: str
    allowed: int
    period: int  # seconds


def bucket(kind: str, identity: str) -> str:
    """``kind:`` and a keyed hash of ``identity`` (a session id, an address)."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, identity.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{kind}:{digest}"


def take(limits: Sequence[Limit], now: float | None = None) -> int | None:
    """Count one lookup against every limit; commits. None when all allowed it.

    Otherwise nothing is counted (the transaction is rolled back) and the answer is the
    number of seconds until the first full bucket's window ends.
    """
    now = time.time() if now is None else now
    closed = [limit for limit in limits if limit.allowed <= 0]
    if closed:  # a limit of 0 switches lookups off
        return closed[0].period
    fresh = False
    for limit in limits:
        window = int(now) // limit.period * limit.period
        hits = db.session.execute(_count_up(limit, window)).scalar_one_or_none()
        if hits is None:
            db.session.rollback()
            return max(1, math.ceil(window + limit.period - now))
        fresh = fresh or hits == 1
    db.session.commit()
    if fresh:  # a new window began somewhere: a good moment to forget old ones
        _sweep(now)
    return None


def _count_up(limit: Limit, window: int):
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(LookupCounter).values(bucket=limit.bucket, window_start=window, hits=1)
    current = LookupCounter.window_start == window
    return statement.on_conflict_do_update(
        index_elements=[LookupCounter.bucket],
        # SET reads the row's old values: a bucket from an older window starts again at 1.
        set_={"hits": case((current, LookupCounter.hits + 1), else_=1), "window_start": window},
        where=or_(~current, LookupCounter.hits < limit.allowed),
    ).returning(LookupCounter.hits)


def _sweep(now: float) -> None:
    """Delete counters of long-past windows, skipping rows another worker holds."""
    stale = (
        select(LookupCounter.bucket)
        .where(LookupCounter.window_start < int(now) - STALE_AFTER)
        .limit(_SWEEP_BATCH)
        .with_for_update(skip_locked=True)
    )
    db.session.execute(delete(LookupCounter).where(LookupCounter.bucket.in_(stale)))
    db.session.commit()
