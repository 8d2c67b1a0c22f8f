"""Row locks and lost races: the two tools every transaction of the service layer uses.

Lock order, everywhere: the order row first, then its payment, then its refund, then a
buyer's refund request, then products (several in ascending id order, in one statement),
then the catalog's version row (:mod:`storefront.catalog_version`, always last: it is only
written). A transaction that takes them in that order before it writes anything that
refers to them cannot deadlock with another that does the same. The paid transition,
and a guarantee being held (:mod:`.holds`), take order -> payment -> products -> version
(:mod:`.stock`); the staff's products page
takes a product, then the version.

The lock is ``FOR NO KEY UPDATE`` (on PostgreSQL; SQLite has one writer at a time and
ignores it): it serialises the shop's own changes to the row, but lets another
transaction insert a row that refers to it (a history event, a journalled gateway call),
which only needs ``FOR KEY SHARE``. A plain ``FOR UPDATE`` would make those inserts wait,
and two requests that each inserted one before locking would wait on each other.

A lock lasts until the transaction ends, so a row is read under it once per transaction:
:func:`locked` remembers what the transaction holds (also what :func:`lock_found` took
together in one statement) and answers a second request for the same row from the
session, with no query. The session's copy is the row as read under the lock plus this
transaction's own changes, which is what a second read would return.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cache, lru_cache
from typing import Any, TypeVar

from sqlalchemy import Row, Select, bindparam
from sqlalchemy.exc import OperationalError

from ..extensions import db

T = TypeVar("T")


class ConcurrentChange(Exception):
    """Another transaction changed the rows first; roll back and evaluate again."""


def locked(model: type[T], row_id: int) -> T:
    """Read a row afresh under the shop's row lock (see the module docstring), or the
    session's copy when this transaction already holds the lock."""
    if (model, row_id) in _held() and (row := db.session.get(model, row_id)) is not None:
        return row
    row = db.session.execute(_lock_by_id(model), {"row_id": row_id}).scalar_one()
    _held().add((model, row_id))
    return row


def lock_found(query: Select[Any], *models: type, **params: Any) -> Row[Any] | None:
    """Run ``query`` (with ``params`` for its bound parameters), a ``SELECT`` of one row of
    each of ``models`` joined together, under the row lock; None if it finds nothing.

    One statement instead of a lookup and a lock per row. PostgreSQL takes the locks in
    the order of ``models``, which must therefore be the lock order (order, payment,
    refund). The rows count as held for :func:`locked`.
    """
    found = db.session.execute(_locking(query, models), params).one_or_none()
    if found is not None:
        _held().update((model, row.id) for model, row in zip(models, found, strict=True))
    return found


@cache
def _lock_by_id(model: type) -> Select[Any]:
    return _locking(db.select(model).where(model.id == bindparam("row_id")), (model,))


@lru_cache(maxsize=64)  # bounded, in case a caller builds its query per call after all
def _locking(query: Select[Any], models: tuple[type, ...]) -> Select[Any]:
    """``query`` under the row lock of ``models``' rows, reading them afresh; built once
    per query, as the queries handed to :func:`lock_found` are built once."""
    return (query.with_for_update(key_share=True, of=list(models))
            .execution_options(populate_existing=True))


def _held() -> set[tuple[type, int]]:
    """The rows whose lock the session's current transaction holds."""
    session = db.session()  # the request's own Session behind the scoped proxy
    transaction, info = session.get_transaction(), session.info
    if "locks" not in info or info["locks_of"] is not transaction:  # a new one holds none
        info["locks_of"], info["locks"] = transaction, set()
    return info["locks"]


def retry_on_conflict(work: Callable[[], T], *, attempts: int = 3) -> T:
    """Run ``work`` and commit; on a lost race, roll back and run it again.

    A lost race is :class:`ConcurrentChange`, or SQLite's "database is locked" when two
    writers meet (PostgreSQL makes the second writer wait instead).
    """
    for attempt in range(1, attempts + 1):
        try:
            result = work()
            db.session.commit()
            return result
        except (ConcurrentChange, OperationalError) as exc:
            db.session.rollback()
            if isinstance(exc, OperationalError) and "locked" not in str(exc.orig):
                raise
            if attempt == attempts:
                raise
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")
