"""A flood of notifications with a bad signature, through gunicorn on PostgreSQL.

Anybody can POST to the notification endpoint. What such a sender gets written to the
database must not depend on how much it sends: within an hour only a fixed budget of
bodies is kept in full, the rest is counted. A valid notification, before or after the
flood, is kept whole and applied as always.
"""

from __future__ import annotations

import hashlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
import requests

from storefront.extensions import db
from storefront.models import Notification, Order, UnverifiedWindow
from storefront.payments.unverified import HEAD_BYTES, Budget

from .flows import order_record, pay_quietly, place_order

pytestmark = pytest.mark.postgres

URL = "/invoicebox/notification"
FLOOD = 1_000
BODY_BYTES = 60_000
SENDERS = 8
FEW_MB = 4 * 1024 * 1024
REFUSED = {"status": "error", "code": "signature_error",
           "message": "X-Signature does not match the body."}


def database_size(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as connection:
        return connection.execute("SELECT pg_database_size(current_database())").fetchone()[0]


def flood(url: str, count: int) -> list[tuple[int, dict]]:
    """POST ``count`` random bodies with ``X-Signature: 00`` from several threads; the
    answers."""
    local = threading.local()

    def send(_: int) -> tuple[int, dict]:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        answer = session.post(url + URL, data=os.urandom(BODY_BYTES), timeout=60, headers={
            "Content-Type": "application/json", "X-Signature": "00"})
        return answer.status_code, answer.json()

    with ThreadPoolExecutor(max_workers=SENDERS) as pool:
        return list(pool.map(send, range(count)))


def test_a_flood_of_bad_signatures_grows_the_database_by_a_few_mb(live_shop):
    before_flood = place_order(live_shop, [("french-press-350", 1)])
    raw, headers = pay_quietly(live_shop, before_flood.invoicebox_id)
    assert requests.post(live_shop.url + URL, data=raw, headers=headers,
                         timeout=30).json() == {"status": "success"}
    with live_shop.app.app_context():
        kept_before = [(n.id, n.raw_body, n.applied) for n in db.session.execute(
            db.select(Notification).where(Notification.signature_valid)).scalars()]
    assert kept_before == [(kept_before[0][0], raw, True)]
    size_before = database_size(live_shop.database_url)

    answers = flood(live_shop.url, FLOOD)

    assert answers == [(200, REFUSED)] * FLOOD
    grown = database_size(live_shop.database_url) - size_before
    assert grown < FEW_MB, f"the database grew by {grown / 1024 / 1024:.1f} MB"
    # Every one was counted; rows and whole bodies stayed within the hour's budget (twice
    # that if the flood straddled the turn of an hour).
    with live_shop.app.app_context():
        windows = db.session.execute(db.select(UnverifiedWindow)).scalars().all()
        rows = db.session.execute(
            db.select(Notification).where(~Notification.signature_valid)).scalars().all()
    assert 1 <= len(windows) <= 2
    assert sum(w.received for w in windows) == FLOOD
    assert sum(w.received_bytes for w in windows) == FLOOD * BODY_BYTES
    assert len(rows) == sum(w.kept_rows for w in windows) <= len(windows) * Budget().rows
    whole = [row for row in rows if row.raw_body is not None]
    assert sum(len(row.raw_body) for row in whole) == sum(w.kept_bytes for w in windows)
    assert sum(w.kept_bytes for w in windows) <= len(windows) * Budget().bytes
    assert whole and len(whole) < len(rows)  # some whole, the rest as summaries
    for row in rows:
        assert (row.body_size, row.reply_code, row.order_id) == (
            BODY_BYTES, "signature_error", None)
        if row.raw_body is None:
            assert len(row.body_head) == HEAD_BYTES
            assert row.body_sha256 != hashlib.sha256(row.body_head).hexdigest()
        else:
            assert row.body_sha256 == hashlib.sha256(row.raw_body).hexdigest()

    # A valid notification is untouched by the flood, and a new one is kept whole.
    after_flood = place_order(live_shop, [("ceramic-mug-300", 2)])
    raw_after, headers_after = pay_quietly(live_shop, after_flood.invoicebox_id)
    assert requests.post(live_shop.url + URL, data=raw_after, headers=headers_after,
                         timeout=30).json() == {"status": "success"}
    assert order_record(live_shop, after_flood.number)["status"] == "paid"
    with live_shop.app.app_context():
        valid = db.session.execute(
            db.select(Notification).where(Notification.signature_valid)
            .order_by(Notification.id)).scalars().all()
        assert [(n.id, n.raw_body, n.applied) for n in valid[:-1]] == kept_before
        newest = valid[-1]
        order = db.session.get(Order, newest.order_id)
        assert (order.number, newest.raw_body, newest.applied) == (
            after_flood.number, raw_after, True)
        assert (newest.body_size, newest.body_sha256) == (
            len(raw_after), hashlib.sha256(raw_after).hexdigest())
