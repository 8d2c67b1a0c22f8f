"""The account's one request budget at Invoicebox, shared by every worker and runner.

Invoicebox allows 100 requests per 30 s per account (CONTRACT §1.5). Every call made
through :func:`storefront.gateway.about` counts against one database row (the fixed-window
counter of :mod:`storefront.payments.lookup_limits`, taken with one atomic statement), so
web workers and reconcile runners on any number of machines see the same count.

Payments come first: a web request's call is always counted and never refused (a buyer
paying must not wait for bookkeeping), while a reconcile runner spends only while more
than ``INVOICEBOX_RECONCILE_RESERVE`` requests of the window are left, and otherwise gets
:class:`BudgetExhausted` and waits for the next window.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db

log = logging.getLogger(__name__)

ACCOUNT_BUCKET = "invoicebox:account"
WINDOW_SECONDS = 30
_UNLIMITED = 10**9

# Set while a reconcile runner makes its calls: they must leave the reserve untouched.
_background: ContextVar[bool] = ContextVar("invoicebox_background_budget", default=False)


class BudgetExhausted(Exception):
    """No request is left for background work in this window; ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"request budget spent; next window in {retry_after} s")
        self.retry_after = retry_after


def setting(name: str) -> int:
    """A whole-number setting of :data:`storefront.config.LIMITS`, or its default."""
    from .config import LIMITS

    return int(current_app.config.get(name, LIMITS[name]))


@contextmanager
def background() -> Iterator[None]:
    """Calls made inside this block are background work: they keep the reserve free."""
    token = _background.set(True)
    try:
        yield
    finally:
        _background.reset(token)


def spend() -> None:
    """Count one request against the account's budget; commits.

    Raises :class:`BudgetExhausted` for background work past its share. A foreground
    call is counted but never refused, and a database error only loses the count.
    """
    from .payments.lookup_limits import Limit, take

    if _background.get():
        allowed = setting("INVOICEBOX_REQUESTS_PER_30S") - setting(
            "INVOICEBOX_RECONCILE_RESERVE")
        wait = take([Limit(ACCOUNT_BUCKET, allowed, WINDOW_SECONDS)])
        if wait is not None:
            raise BudgetExhausted(wait)
        return
    try:
        take([Limit(ACCOUNT_BUCKET, _UNLIMITED, WINDOW_SECONDS)])
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("could not count a request against the Invoicebox budget", exc_info=True)
