"""The shop's one Invoicebox client, and the record it keeps of every call.

Each HTTP attempt the client makes is written to ``GatewayCall`` (method,
path, status, outcome, ``X-Request-Id``) in the caller's database session, tied
to the order or refund named by :func:`about`. The service layer commits it
together with whatever it learnt from the call.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from flask import current_app

from .extensions import db
from .invoicebox import CallRecord, InvoiceboxClient
from .models import GatewayCall
from .request_log import note

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Subject:
    order_id: int | None = None
    refund_id: int | None = None


_NO_SUBJECT = _Subject()
_subject: ContextVar[_Subject] = ContextVar("invoicebox_call_subject", default=_NO_SUBJECT)


# A buyer waits for a company lookup and can always type the details instead.
LOOKUP_READ_TIMEOUT = 5.0


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
            read_timeout=(3.05, min(read, read_timeout or read)),
            write_timeout=(3.05, float(config["INVOICEBOX_WRITE_TIMEOUT"])),
            max_retries=max_retries,
            on_call=_record,
        )
        app.extensions[key] = existing
    return existing


@contextmanager
def about(order_id: int | None = None, refund_id: int | None = None) -> Iterator[None]:
    """Attribute the calls made inside this block to an order and/or refund."""
    token = _subject.set(_Subject(order_id, refund_id))
    try:
        yield
    finally:
        _subject.reset(token)


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
    db.session.add(
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
    )
