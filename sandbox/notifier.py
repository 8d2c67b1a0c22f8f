"""Signed payment notifications to the shop, with the gateway's retry rules (CONTRACT §5).

A notification is a row in the persisted queue holding the exact body bytes, captured when the
event happened. A background thread claims rows that are due and hands them to a small pool, so
a slow shop (up to the 20 s timeout) never blocks the buyer's redirect or other deliveries.
Each attempt is recorded with its HTTP status, reply, verdict and code.

Verdicts (§5.5): ``success`` on ``{"status":"success"}``; ``retry`` on ``out_of_service``, a
missing code, a non-200 status, a reply that is not JSON, a timeout or a connection error;
``final`` on any other error code. Retries follow ``config.retry_schedule``; after the last one
the notification is ``exhausted``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import sqlite3
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import requests

from .config import Merchant, SandboxConfig
from .encoding import format_dt, php_dumps, to_decimal, utcnow
from .scenarios import Scenarios
from .store import Store

log = logging.getLogger(__name__)

USER_AGENT = "Invoicebox-Sandbox/1.0"
REPLY_LIMIT = 4000
HOLD_SECONDS = 3600


def sign(body: bytes, key: str, algorithm: str = "sha1") -> str:
    """Lower-case hex HMAC of the raw body: the value of ``X-Signature``."""
    return hmac.new(key.encode("utf-8"), body, getattr(hashlib, algorithm)).hexdigest()


def classify(http_status: int | None, reply: str | None,
             error: str | None) -> tuple[str, str | None, str | None]:
    """Return ``(verdict, code, message)`` for one delivery attempt."""
    if error is not None:
        return "retry", None, error
    if http_status != 200:
        return "retry", None, f"HTTP {http_status}"
    try:
        parsed = json.loads(reply or "")
    except ValueError:
        return "retry", None, "reply is not valid JSON"
    if not isinstance(parsed, dict):
        return "retry", None, "reply is not a JSON object"
    message = parsed.get("message") if isinstance(parsed.get("message"), str) else None
    if parsed.get("status") == "success":
        return "success", None, message
    if parsed.get("status") == "error":
        code = parsed.get("code") if isinstance(parsed.get("code"), str) else None
        # A missing code means out_of_service (docs), which is the one code that is retried.
        return ("retry" if code in (None, "", "out_of_service") else "final"), code, message
    return "retry", None, "reply status is neither 'success' nor 'error'"


class Notifier:
    """Queue, deliver and retry notifications."""

    def __init__(self, config: SandboxConfig, store: Store, scenarios: Scenarios) -> None:
        self.config = config
        self.store = store
        self.scenarios = scenarios
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._pool: ThreadPoolExecutor | None = None
        self._thread: threading.Thread | None = None
        self._active = 0  # deliveries in flight on the pool
        self._idle = threading.Condition()

    # -- queueing -------------------------------------------------------------------------
    def enqueue(self, conn: sqlite3.Connection, order: dict[str, Any], merchant: Merchant, *,
                url: str | None, kind: str = "order", retries: bool = True,
                hold: bool = False) -> list[int]:
        """Queue a notification carrying ``order`` (already rendered) inside the caller's
        transaction. Armed notification scenarios are applied here. Returns the row ids.

        ``hold`` leaves the row for :meth:`deliver_now` (its due time is pushed an hour out, so
        the worker would only send it if the caller never did)."""
        delay = twice = bad_signature = drop = None
        if url:  # scenarios are spent only on notifications that would really be sent
            drop = self.scenarios.take(
                "notification_drop", target=f"{url} {order.get('merchantOrderId') or ''}")
        if url and not drop:
            delay = self.scenarios.take("notification_delay", target=url)
            twice = self.scenarios.take("notification_twice", target=url)
            bad_signature = self.scenarios.take("notification_bad_signature", target=url)
            if self.scenarios.take("notification_wrong_amount", target=url):
                order = dict(order, amount=to_decimal(order["amount"]) + Decimal("1.00"))
        elif not url:
            log.warning("order %s: no notification URL (order or merchant), not sent", order["id"])
        body = php_dumps(order)
        due = time.time() + (delay.effective_seconds if delay else 0.0) + (
            HOLD_SECONDS if hold else 0)
        state = "dropped" if drop else "pending" if url else "undeliverable"
        if drop:
            log.info("scenario notification_drop: order %s's notification dropped", order["id"])
        ids = []
        for _ in range(2 if twice else 1):
            cursor = conn.execute(
                "INSERT INTO notifications (order_id, merchant_id, kind, url, body,"
                " tamper_signature, state, max_attempts, next_at, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (order["id"], merchant.id, kind, url, body, int(bool(bad_signature)), state,
                 1 + (len(self.config.retry_schedule) if retries else 0), due,
                 format_dt(utcnow())),
            )
            ids.append(cursor.lastrowid)
        return ids

    def wake(self) -> None:
        self._wake.set()

    # -- delivery -------------------------------------------------------------------------
    def deliver_now(self, notification_id: int) -> dict[str, Any] | None:
        """Claim and deliver one queued notification in the calling thread. Returns the attempt,
        or None if it was not pending (already being delivered, delivered, or undeliverable)."""
        with self.store.transaction() as conn:
            claimed = conn.execute(
                "UPDATE notifications SET state = 'sending' WHERE id = ? AND state = 'pending'",
                (notification_id,),
            ).rowcount
        return self._deliver(notification_id) if claimed else None

    def _claim_due(self) -> list[int]:
        with self.store.transaction() as conn:
            rows = conn.execute(
                "SELECT id FROM notifications WHERE state = 'pending' AND next_at <= ?"
                " ORDER BY next_at, id LIMIT 32", (time.time(),),
            ).fetchall()
            ids = [row["id"] for row in rows]
            conn.executemany("UPDATE notifications SET state = 'sending' WHERE id = ?",
                             [(i,) for i in ids])
        return ids

    def _deliver(self, notification_id: int) -> dict[str, Any] | None:
        with self.store.read() as conn:
            row = conn.execute("SELECT * FROM notifications WHERE id = ?",
                               (notification_id,)).fetchone()
        if row is None:  # the state was wiped after the row was claimed
            return None
        merchant = self.config.merchant(row["merchant_id"])
        body = bytes(row["body"])
        request_id = uuid.uuid4().hex
        started = time.monotonic()
        at = format_dt(utcnow())
        if merchant is None:
            status, reply, error = None, None, "merchant is no longer configured"
        else:
            signature = sign(body, merchant.notification_key, merchant.signature_algorithm)
            if row["tamper_signature"]:
                signature = sign(body + b" ", merchant.notification_key,
                                 merchant.signature_algorithm)
            status, reply, error = self._post(row["url"], body, signature, request_id)
        verdict, code, message = classify(status, reply, error)
        number = row["attempts"] + 1
        if verdict == "success":
            state, next_at = "delivered", None
        elif verdict == "final":
            state, next_at = "failed", None
        elif number < row["max_attempts"]:
            state = "pending"
            next_at = time.time() + self.config.retry_schedule[number - 1]
        else:
            state, next_at = "exhausted", None
        attempt = {
            "notification_id": notification_id, "order_id": row["order_id"], "number": number,
            "at": at, "url": row["url"], "request_id": request_id, "http_status": status,
            "reply": reply, "verdict": verdict, "code": code, "message": message,
            "error": error, "duration_ms": int((time.monotonic() - started) * 1000),
        }
        with self.store.transaction() as conn:
            if conn.execute("SELECT 1 FROM notifications WHERE id = ?",
                            (notification_id,)).fetchone() is None:
                log.info("notification %s was wiped while being delivered", notification_id)
                return None
            cursor = conn.execute(
                f"INSERT INTO attempts ({', '.join(attempt)})"
                f" VALUES ({', '.join('?' * len(attempt))})", tuple(attempt.values()),
            )
            conn.execute(
                "UPDATE notifications SET state = ?, attempts = ?, next_at = ?, last_code = ?"
                " WHERE id = ?", (state, number, next_at, code, notification_id),
            )
            saved = conn.execute("SELECT * FROM attempts WHERE id = ?",
                                 (cursor.lastrowid,)).fetchone()
        log.info("notification %s for order %s attempt %s: HTTP %s verdict=%s code=%s -> %s"
                 " (X-Request-Id %s)", notification_id, row["order_id"], number, status,
                 verdict, code, state, request_id)
        return attempt_json(saved)

    def _post(self, url: str, body: bytes, signature: str,
              request_id: str) -> tuple[int | None, str | None, str | None]:
        headers = {
            "Content-Type": "application/json",
            "X-Signature": signature,
            "User-Agent": USER_AGENT,
            "X-Request-Id": request_id,
        }
        timeout = self.config.notification_timeout_s
        try:
            response = requests.post(url, data=body, headers=headers, allow_redirects=False,
                                     timeout=(min(5.0, timeout), timeout))
        except requests.Timeout:
            return None, None, f"timeout after {timeout:g} s"
        except requests.RequestException as exc:
            return None, None, f"connection error: {type(exc).__name__}"
        return response.status_code, response.text[:REPLY_LIMIT], None

    # -- background thread ----------------------------------------------------------------
    def start(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="notify")
        self._thread = threading.Thread(target=self._run, name="notifier", daemon=True)
        self._thread.start()

    def stop(self, grace: float = 3.0) -> None:
        """Stop taking work; give deliveries in flight up to ``grace`` seconds to record
        their outcome (one cut short is sent again after a restart)."""
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=5)
        if self._pool:
            self._pool.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + grace
        with self._idle:
            while self._active and time.monotonic() < deadline:
                self._idle.wait(timeout=max(0.0, deadline - time.monotonic()))

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                for notification_id in self._claim_due():
                    self._pool.submit(self._deliver_logged, notification_id)
            except Exception:  # keep the worker alive whatever one round does
                log.exception("notification queue round failed")
            self._wake.wait(timeout=0.2)
            self._wake.clear()

    def _deliver_logged(self, notification_id: int) -> None:
        with self._idle:
            self._active += 1
        try:
            self._deliver(notification_id)
        except Exception:
            log.exception("delivery of notification %s failed", notification_id)
            # Put it back in the queue rather than leave it "sending" until a restart.
            with self.store.transaction() as conn:
                conn.execute("UPDATE notifications SET state = 'pending', next_at = ?"
                             " WHERE id = ? AND state = 'sending'",
                             (time.time() + 5, notification_id))
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()


def attempt_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"], "notificationId": row["notification_id"], "orderId": row["order_id"],
        "attempt": row["number"], "at": row["at"], "url": row["url"],
        "requestId": row["request_id"], "httpStatus": row["http_status"],
        "reply": row["reply"], "verdict": row["verdict"], "code": row["code"],
        "message": row["message"], "error": row["error"], "durationMs": row["duration_ms"],
    }


def notification_json(row: sqlite3.Row) -> dict[str, Any]:
    next_at = None
    if row["state"] == "pending":
        next_at = format_dt(datetime.fromtimestamp(row["next_at"], UTC))
    return {
        "id": row["id"], "orderId": row["order_id"], "merchantId": row["merchant_id"],
        "kind": row["kind"], "url": row["url"], "state": row["state"],
        "attempts": row["attempts"], "maxAttempts": row["max_attempts"],
        "nextAttemptAt": next_at, "createdAt": row["created_at"], "lastCode": row["last_code"],
        "tamperedSignature": bool(row["tamper_signature"]),
        "body": bytes(row["body"]).decode("utf-8"),
    }
