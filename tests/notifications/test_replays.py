"""Copies of a notification that already completed its payment: answered without a query.

See ``storefront/payments/replays.py``. The worker remembers the digest of a body once
its ``success`` has committed; a verified identical copy is answered from memory and
logged, never stored again. Anything else takes the full path through the database.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from sqlalchemy import event

from storefront import create_app
from storefront.extensions import db
from storefront.payments.replays import Remembered, ReplayMemory
from tests.conftest import test_config
from tests.support.shop import encode

from .conftest import URL, post_signed, state, stored

SUCCESS = {"status": "success"}


@contextmanager
def statements(app) -> Iterator[list[str]]:
    """Every SQL statement the app sends to its database inside the block."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_copy_of_a_completing_notification_costs_no_query(app, client, awaiting, caplog):
    raw = encode(awaiting.body())
    assert post_signed(client, raw).get_json() == SUCCESS
    with statements(app) as sent, caplog.at_level(logging.INFO):
        copies = [post_signed(client, raw).get_json() for _ in range(3)]
    assert copies == [SUCCESS] * 3
    assert sent == []
    assert state(app, awaiting)["paid_events"] == 1
    assert [row.applied for row in stored(app)] == [True]  # the first copy, kept
    lines = [r.getMessage() for r in caplog.records if r.name == "storefront.requests"]
    assert len(lines) == 3
    for line in lines:
        record = json.loads(line.removeprefix("request "))
        assert (record["order_id"], record["invoicebox_order_id"], record["notification"]) == (
            awaiting.order_id, awaiting.invoicebox_order_id, "replay")

def test_the_signature_is_checked_before_the_memory(app, client, awaiting):
    raw = encode(awaiting.body())
    assert post_signed(client, raw).get_json() == SUCCESS
    forged = client.post(URL, data=raw, headers={"Content-Type": "application/json",
                                                 "X-Signature": "0" * 40})
    assert forged.get_json()["code"] == "signature_error"
    assert [(row.signature_valid, row.reply_code) for row in stored(app)] == [
        (True, None), (False, "signature_error")]


def test_a_refused_notification_is_not_remembered(app, client, awaiting):
    raw = encode(awaiting.body(amount=Decimal("1.00")))
    for _ in range(2):
        assert post_signed(client, raw).get_json()["code"] == "order_wrong_amount"
    assert [row.reply_code for row in stored(app)] == ["order_wrong_amount"] * 2
    assert state(app, awaiting)["order"] == "awaiting_payment"


def test_another_worker_answers_a_copy_from_the_database(app, client, awaiting, tmp_path):
    """A worker that has not seen the first copy (or a restarted one) gets there too."""
    raw = encode(awaiting.body())
    assert post_signed(client, raw).get_json() == SUCCESS
    other = create_app(test_config(tmp_path))  # same database, empty memory
    with statements(other) as sent:
        assert post_signed(other.test_client(), raw).get_json() == SUCCESS
    assert sent  # it asked the database
    assert [row.applied for row in stored(app)] == [True, False]
    with statements(other) as sent:  # and now it remembers too
        assert post_signed(other.test_client(), raw).get_json() == SUCCESS
    assert sent == []
    assert state(app, awaiting)["paid_events"] == 1


def test_the_memory_forgets_the_least_recently_seen_first():
    memory = ReplayMemory(capacity=2)
    settled = [Remembered(f"id-{n}", n) for n in range(3)]
    memory.remember(b"zero", settled[0])
    memory.remember(b"one", settled[1])
    assert memory.recall(b"zero") == settled[0]  # now the most recent
    memory.remember(b"two", settled[2])
    assert len(memory) == 2
    assert memory.recall(b"one") is None
    assert (memory.recall(b"zero"), memory.recall(b"two")) == (settled[0], settled[2])
    assert memory.recall(b"zero ") is None  # exactly these bytes, nothing close

