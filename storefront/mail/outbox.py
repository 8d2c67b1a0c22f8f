"""Queueing a message: one ``INSERT`` into the outbox, in the caller's transaction.

The row commits with the change it tells about, or rolls back with it: a message is never
lost once its change is saved, and never sent for a change that was not. The unique
``dedupe_key`` makes queueing idempotent (``INSERT ... ON CONFLICT DO NOTHING`` on SQLite
and PostgreSQL alike), so the same news applied twice (a notification and a sync, two
runners) queues one message, and a duplicate never aborts the caller's transaction.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import OutboxMessage

log = logging.getLogger(__name__)


class MailKind(StrEnum):
    """What a message says; each has a subject and two templates in ``templates/mail/``."""

    ORDER_PLACED = "order_placed"
    PAYMENT_RECEIVED = "payment_received"
    ORDER_SHIPPED = "order_shipped"  # one per shipment
    ORDER_UNDELIVERABLE = "order_undeliverable"  # shipment control: the money comes back
    REFUND_ISSUED = "refund_issued"
    REFUND_REQUEST_ANSWERED = "refund_request_answered"
    REFUND_REQUEST_RECEIVED = "refund_request_received"  # to staff


_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def enqueue(kind: MailKind, about: str | int, *, to: str, language: str,
            context: dict[str, Any], order_id: int | None = None) -> bool:
    """Queue ``kind`` about ``about`` (an order, refund or request id) to ``to``; True if
    queued now, False if it already was. Does not commit: the caller's transaction does."""
    if not to:
        log.warning("mail %s about %s not queued: no recipient", kind.value, about)
        return False
    connection = db.session.connection()
    return bool(connection.execute(_queue(connection.dialect.name), {
        "dedupe_key": f"{kind.value}:{about}", "kind": kind.value, "recipient": to,
        "language": language, "context": context, "order_id": order_id,
    }).rowcount)


@cache
def _queue(dialect: str) -> Insert:
    """``INSERT ... ON CONFLICT (dedupe_key) DO NOTHING``, built once per dialect; the
    values come as parameters, the columns not given take their defaults."""
    return (_INSERTS[dialect](OutboxMessage.__table__)
            .on_conflict_do_nothing(index_elements=["dedupe_key"]))
