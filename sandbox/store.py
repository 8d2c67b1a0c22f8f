"""SQLite persistence for the sandbox's state.

Orders, refunds and shipments are kept as the JSON documents the API returns (money as exact
numbers, see :mod:`sandbox.encoding`), next to a few indexed columns used for look-ups. The
notification queue and every delivery attempt live here too, so pending deliveries survive a
restart.

Concurrency: the server is threaded. One connection is shared behind a re-entrant lock, and
every write runs inside :meth:`Store.transaction`, which holds that lock and opens the SQLite
transaction with ``BEGIN IMMEDIATE``. A check-then-write (is the order still payable? is there
enough left to refund?) therefore cannot interleave with another request's write.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .encoding import loads, php_dumps

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    merchant_id TEXT NOT NULL,
    merchant_order_id TEXT NOT NULL,
    container_id TEXT NOT NULL,
    status TEXT NOT NULL,
    expires_at REAL NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_container ON orders (container_id);
CREATE INDEX IF NOT EXISTS orders_due ON orders (status, expires_at);
CREATE INDEX IF NOT EXISTS orders_number ON orders (merchant_id, merchant_order_id);

CREATE TABLE IF NOT EXISTS refunds (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    parent_id TEXT NOT NULL,
    merchant_id TEXT NOT NULL,
    merchant_order_id TEXT NOT NULL,
    status TEXT NOT NULL,
    complete_at REAL,
    doc TEXT NOT NULL,
    -- the API's guard against accidental double refunds, enforced by the database as well
    UNIQUE (merchant_id, merchant_order_id)
);
CREATE INDEX IF NOT EXISTS refunds_parent ON refunds (parent_id);

CREATE TABLE IF NOT EXISTS shipments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id TEXT NOT NULL,
    merchant_id TEXT NOT NULL,
    doc TEXT NOT NULL
);

-- when a draft or pending shipment takes its next step (sandbox.shipments)
CREATE TABLE IF NOT EXISTS shipment_due (
    shipment_id INTEGER PRIMARY KEY,
    due_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS shipment_due_at ON shipment_due (due_at);

-- the receipt or UPD Invoicebox issues when a shipment completes
CREATE TABLE IF NOT EXISTS fiscal_documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    shipment_id INTEGER NOT NULL,
    order_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS fiscal_documents_shipment ON fiscal_documents (shipment_id);

CREATE TABLE IF NOT EXISTS notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id TEXT NOT NULL,
    merchant_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    url TEXT,
    body BLOB NOT NULL,
    tamper_signature INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    next_at REAL,
    created_at TEXT NOT NULL,
    last_code TEXT
);
CREATE INDEX IF NOT EXISTS notifications_due ON notifications (state, next_at);

CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    notification_id INTEGER NOT NULL REFERENCES notifications (id),
    order_id TEXT NOT NULL,
    number INTEGER NOT NULL,
    at TEXT NOT NULL,
    url TEXT NOT NULL,
    request_id TEXT NOT NULL,
    http_status INTEGER,
    reply TEXT,
    verdict TEXT NOT NULL,
    code TEXT,
    message TEXT,
    error TEXT,
    duration_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_order ON attempts (order_id);
"""

TABLES = ("attempts", "notifications", "fiscal_documents", "shipment_due", "shipments",
          "refunds", "orders")


def dump_doc(doc: dict[str, Any]) -> str:
    return php_dumps(doc).decode("utf-8")


def load_doc(text: str) -> dict[str, Any]:
    return loads(text)


def load_docs(rows: Iterable[sqlite3.Row]) -> list[dict[str, Any]]:
    """The documents of rows selected with a ``doc`` column."""
    return [load_doc(row["doc"]) for row in rows]


class Store:
    """The sandbox database. Use :meth:`transaction` for writes and :meth:`read` for reads."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._depth = 0
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        with self._lock:
            self._conn.execute("PRAGMA foreign_keys = ON")
            if self.path != ":memory:":
                self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.executescript(SCHEMA)
            # A delivery that was in flight when the process stopped has an unknown outcome;
            # sending it again is what the real gateway's retry would do.
            self._conn.execute(
                "UPDATE notifications SET state = 'pending' WHERE state = 'sending'"
            )
        log.info("state database at %s", self.path)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the write lock and an IMMEDIATE transaction; commit on success, else roll back.

        Nested use joins the outer transaction.
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                self._depth = 0

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """The shared connection for reads (the lock keeps threads from interleaving on it)."""
        with self._lock:
            yield self._conn

    def reset(self) -> None:
        """Delete every order, refund, shipment and notification."""
        with self.transaction() as conn:
            for table in TABLES:
                conn.execute(f"DELETE FROM {table}")
        log.warning("state wiped")

    def close(self) -> None:
        with self._lock:
            self._conn.close()
