"""Draining the outbox: a step of every pass of ``flask invoicebox reconcile``.

Several runners may drain at once, on SQLite and PostgreSQL. A runner claims a batch of
due messages with one conditional ``UPDATE ... RETURNING`` that sets its lease
(``lease_owner``, ``lease_until``) only where no live lease is held, exactly as
reconciliation claims payments; renders them and commits, so that no transaction is open
while it talks to the mail server; then records each outcome in a short transaction of
its own, only while it still holds the lease.

A server that is down or slow delays mail and loses none: the message's ``attempts``
grow, ``last_error`` says what happened, and ``next_attempt_at`` backs off (one minute,
doubling, at most an hour) until the server takes it. Only a message the server refuses
for good (every recipient 5xx) is given up (``failed_at``). A runner that dies after the
server took a message but before recording it sends it again once its lease ends, with
the same ``Message-ID`` (:func:`.render.message_id`): delivery is at least once.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from ..extensions import db
from ..models import OutboxMessage, now_utc
from . import smtp
from .render import build

log = logging.getLogger(__name__)

LEASE_SECONDS = 300
# A runner stops sending its batch when half its lease is gone, so that no other runner
# can take a message it is still sending.
SEND_WINDOW_SECONDS = LEASE_SECONDS / 2
FIRST_BACKOFF_SECONDS = 60
MAX_BACKOFF_SECONDS = 3600
ERROR_LENGTH = 500


@dataclass
class MailReport:
    sent: int = 0
    deferred: int = 0  # to be tried again after a back-off
    failed: int = 0  # refused for good
    skipped: str | None = None  # why nothing was tried: "no SMTP_HOST"


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: 1 min, 2, 4 ... at most an hour."""
    return timedelta(seconds=min(FIRST_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0),
                                 MAX_BACKOFF_SECONDS))


def deliver_due(owner: str, *, stop=lambda: False, limit: int | None = None) -> MailReport:
    """Send up to ``limit`` (``STOREFRONT_MAIL_BATCH``) due messages as ``owner``."""
    report = MailReport()
    config = current_app.config
    if not config.get("SMTP_HOST"):
        report.skipped = "no SMTP_HOST"
        if _undelivered():
            log.warning("mail: SMTP_HOST is not set; messages wait in the outbox")
        db.session.commit()
        return report
    ids = claim(owner, limit or int(config.get("STOREFRONT_MAIL_BATCH") or 20))
    if not ids:
        return report
    sender = config.get("SMTP_SENDER") or config.get("STOREFRONT_SELLER_EMAIL") or ""
    batch = []
    for message_id in ids:
        message = db.session.get(OutboxMessage, message_id)
        try:
            batch.append((message_id, build(message, sender)))
        except Exception as error:  # a template or a value it cannot take: try later
            log.exception("mail %s: could not be rendered", message_id)
            _defer(message_id, owner, error, report)
    db.session.commit()  # nothing is held while the server is talked to
    _send(batch, owner, config, report, stop)
    return report


def claim(owner: str, limit: int) -> list[int]:
    """Lease up to ``limit`` due messages to ``owner`` in one statement; commits."""
    now = now_utc()
    due = db.and_(
        OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None),
        OutboxMessage.next_attempt_at <= now,
        db.or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
    )
    candidates = (db.select(OutboxMessage.id).where(due)
                  .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit))
    ids = db.session.execute(
        db.update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates.scalar_subquery()), due)
        .values(lease_owner=owner, lease_until=now + timedelta(seconds=LEASE_SECONDS))
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).scalars().all()
    db.session.commit()
    return sorted(ids)


def _send(batch, owner: str, config, report: MailReport, stop) -> None:
    if not batch:
        return
    started = time.monotonic()
    try:
        server = smtp.connect(config)
    except smtp.TEMPORARY as error:
        log.warning("mail: the server %s:%s cannot be reached: %s",
                    config["SMTP_HOST"], config.get("SMTP_PORT"), error)
        for message_id, _ in batch:
            _defer(message_id, owner, error, report)
        return
    try:
        for index, (message_id, email) in enumerate(batch):
            if stop() or time.monotonic() - started > SEND_WINDOW_SECONDS:
                for rest, _ in batch[index:]:
                    _release(rest, owner)
                return
            _in_no_transaction()
            try:
                server.send_message(email)
            except smtp.TEMPORARY as error:
                if smtp.permanent(error):
                    _fail(message_id, owner, error, report)
                    continue
                _defer(message_id, owner, error, report)
                if smtp.connection_lost(error):
                    for rest, _ in batch[index + 1:]:  # the connection is gone
                        _defer(rest, owner, error, report)
                    return
                continue
            _record(message_id, owner, sent_at=now_utc(), last_error=None)
            report.sent += 1
    finally:
        smtp.close(server)


def _defer(message_id: int, owner: str, error: Exception, report: MailReport) -> None:
    attempts = db.session.execute(
        db.select(OutboxMessage.attempts).where(OutboxMessage.id == message_id)
    ).scalar_one() + 1
    _record(message_id, owner, attempts=attempts, last_error=_describe(error),
            next_attempt_at=now_utc() + backoff(attempts))
    report.deferred += 1


def _fail(message_id: int, owner: str, error: Exception, report: MailReport) -> None:
    log.error("mail %s refused for good: %s", message_id, error)
    _record(message_id, owner, attempts=OutboxMessage.attempts + 1,
            last_error=_describe(error), failed_at=now_utc())
    report.failed += 1


def _release(message_id: int, owner: str) -> None:
    _record(message_id, owner)


def _record(message_id: int, owner: str, **values: object) -> None:
    """Apply ``values`` and end ``owner``'s lease, if it still holds it; commits."""
    db.session.execute(
        db.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.lease_owner == owner)
        .values(lease_owner=None, lease_until=None, **values)
        .execution_options(synchronize_session=False))
    db.session.commit()


def _undelivered() -> bool:
    return db.session.execute(db.select(OutboxMessage.id).where(
        OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None)).limit(1)
    ).first() is not None


def _in_no_transaction() -> None:
    if db.session().in_transaction():
        raise RuntimeError("a database transaction is open while talking to the mail server")


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:ERROR_LENGTH]
