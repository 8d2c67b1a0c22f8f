"""Row locks and lost races: the two tools every transaction of the service layer uses.

Lock order, everywhere: the order row first, then its payment, then its refund, then
products (several in ascending id order, in one statement), then the catalog's version
row (:mod:`storefront.catalog_version`, always last: it is only written). A transaction
that takes them in that order before it writes anything that refers to them cannot
deadlock with another that does the same. The paid transition takes order -> payment ->
products -> version (:mod:`.stock`); the staff's products page takes a product, then the
version.

The lock is ``FOR NO KEY UPDATE`` (on PostgreSQL; SQLite has one writer at a time and
ignores it): it serialises the shop's own changes to the row, but lets another
transaction insert a row that refers to it (a history event, a journalled gateway call),
which only needs ``FOR KEY SHARE``. A plain ``FOR UPDATE`` would make those inserts wait,
and two requests that each inserted one before locking would wait on each other.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import OperationalError

from ..extensions import db

T = TypeVar("T")


class ConcurrentChange(Exception):
    """Another transaction changed the rows first; roll back and evaluate again."""


def locked(model: type[T], row_id: int) -> T:
    """Read a row afresh under the shop's row lock (see the module docstring)."""
    return db.session.execute(
        db.select(model)
        .where(model.id == row_id)  # type: ignore[attr-defined]
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).scalar_one()


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
