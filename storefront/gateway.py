"""The shop's one Invoicebox client, and the record it keeps of every call.

Every call is made inside :func:`about`, which names the order or refund it concerns and
makes sure no database transaction is open while Invoicebox is asked. Each HTTP attempt
the client makes is then written to ``GatewayCall`` (method, path, status, outcome,
``X-Request-Id``), a journal for support and the staff timeline: it records what
happened and is never read back to decide what happens next.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar

from flask import current_app
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError

from . import budget
from .extensions import db
from .invoicebox import CallRecord, InvoiceboxClient, InvoiceboxError
from .models import GatewayCall
from .request_log import note

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 3.05  # seconds; a little over a multiple of 3, TCP's retransmit interval
# A buyer waits for a company lookup and can always type the details instead.
LOOKUP_READ_TIMEOUT = 5.0


class TransactionOpen(RuntimeError):
    """A call to Invoicebox was about to be made, or was being made, inside a transaction."""


@dataclass(frozen=True)
class _Subject:
    order_id: int | None = None
    refund_id: int | None = None
    calls: list[CallRecord] = field(default_factory=list)


_NO_SUBJECT = _Subject()
_subject: ContextVar[_Subject] = ContextVar("invoicebox_call_subject", default=_NO_SUBJECT)


def in_flight_seconds() -> float:
    """How long after sending a write the gateway may still be working on it.

    The request is abandoned after the write timeout; allow the gateway as long again
    (plus the connect timeout) to finish before believing the write never happened.
    """
    return 2 * float(current_app.config["INVOICEBOX_WRITE_TIMEOUT"]) + CONNECT_TIMEOUT


def client() -> InvoiceboxClient:
    """The current app's client, built once from its configuration."""
    return _client("invoicebox_client")


def lookup_client() -> InvoiceboxClient:
    """The client for company lookups: one attempt, and at most 5 s to answer.

    A lookup only saves the buyer some typing, so it is not worth a retry that would keep
    them waiting and spend more of the account's request budget, which payments need.
    """
    return _client("invoicebox_lookup_client", max_retries=1, read_timeout=LOOKUP_READ_TIMEOUT)


def _client(key: str, max_retries: int = 3, read_timeout: float | None = None
            ) -> InvoiceboxClient:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    existing = app.extensions.get(key)
    if existing is None:
        config = app.config
        read = float(config["INVOICEBOX_READ_TIMEOUT"])
        existing = InvoiceboxClient(
            config["INVOICEBOX_API_URL"],
            config["INVOICEBOX_TOKEN"],
            api_version=config["INVOICEBOX_API_VERSION"],
            read_timeout=(CONNECT_TIMEOUT, min(read, read_timeout or read)),
            write_timeout=(CONNECT_TIMEOUT, float(config["INVOICEBOX_WRITE_TIMEOUT"])),
            max_retries=max_retries,
            on_call=_record,
        )
        app.extensions[key] = existing
    return existing


@contextmanager
def about(order_id: int | None = None, refund_id: int | None = None) -> Iterator[None]:
    """Call Invoicebox inside this block, about an order and/or a refund, with no
    database transaction open (STYLE 9b).

    On entry the session must have nothing left to write (the caller has committed its
    intent); the read transaction it may still have is ended, which returns its
    connection to the pool. While the block runs, anything that would begin a new
    transaction, such as touching an expired attribute of a model, raises
    :class:`TransactionOpen` in tests and is logged elsewhere: read what the call needs
    before the block. On entry one request is counted against the account's shared
    budget (:mod:`.budget`; background work may get :class:`~.budget.BudgetExhausted`).
    On exit the calls made are written to the journal
    (``GatewayCall``) in a short transaction of their own.
    """
    session = db.session()
    if session.new or session.dirty or session.deleted:
        raise TransactionOpen("uncommitted changes before a call to Invoicebox: commit first")
    session.commit()
    budget.spend()  # its own short transaction, before the call
    subject = _Subject(order_id, refund_id)
    token = _subject.set(subject)
    event.listen(session, "after_begin", _refuse_transaction)
    try:
        yield
    finally:
        event.remove(session, "after_begin", _refuse_transaction)
        _subject.reset(token)
        _journal(subject)


T = TypeVar("T")


def attempt(call: Callable[[InvoiceboxClient], T], *, order_id: int | None = None,
            refund_id: int | None = None) -> tuple[T | None, InvoiceboxError | None]:
    """Make one call with :func:`client` inside :func:`about`: its answer and None, or None
    and the :class:`~.invoicebox.InvoiceboxError` it ended with, for the caller to apply
    in a transaction of its own."""
    with about(order_id=order_id, refund_id=refund_id):
        try:
            return call(client()), None
        except InvoiceboxError as error:
            return None, error


def _refuse_transaction(*_: object) -> None:
    if current_app.testing:
        raise TransactionOpen("a database transaction began during a call to Invoicebox")
    log.error("a database transaction began during a call to Invoicebox", stack_info=True)


def _journal(subject: _Subject) -> None:
    """Write the block's calls in a transaction of their own; a failure loses only them."""
    if not subject.calls:
        return
    try:
        db.session.add_all(
            GatewayCall(
                order_id=subject.order_id,
                refund_id=subject.refund_id,
                method=call.method,
                path=call.path[:500],
                http_status=call.http_status,
                request_id=call.request_id,
                outcome=call.outcome,
                error_code=call.error_code,
                duration_ms=int(call.duration_ms),
            )
            for call in subject.calls
        )
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("could not journal %d Invoicebox call(s)", len(subject.calls))


def _record(call: CallRecord) -> None:
    subject = _subject.get()
    log.info(
        "invoicebox %s %s -> %s %s request_id=%s order_id=%s refund_id=%s",
        call.method,
        call.path,
        call.http_status,
        call.outcome,
        call.request_id,
        subject.order_id,
        subject.refund_id,
    )
    note(order_id=subject.order_id, gateway_request_id=call.request_id)
    subject.calls.append(call)
