"""Two runners draining the mail outbox at once, on PostgreSQL: each message is sent once,
and no transaction is open while a runner waits on the mail server.

Buyers check out over HTTP against the shop under gunicorn (each order queues its "order
placed" message with the order); then two ``flask invoicebox reconcile --every 1``
processes drain the outbox into a real SMTP catcher that takes a while per message, in
small batches, so that one claims while the other is sending. While it holds each message,
the catcher looks in ``pg_stat_activity`` for a connection idle in a transaction.
"""

from __future__ import annotations

import time
from collections import Counter

import psycopg
import pytest

from storefront.extensions import db
from storefront.models import OutboxMessage
from tests.support.mail import Catcher, SlowSave

from .flows import place_order
from .reconcile_runs import two_runners

pytestmark = pytest.mark.postgres

ORDERS = 10
SECONDS_PER_MESSAGE = 0.3
IDLE_IN_TRANSACTION = (
    "SELECT pid, left(query, 120) FROM pg_stat_activity WHERE datname = current_database()"
    " AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%%'"
    " AND now() - state_change > make_interval(secs => %s)")


class WatchingSave(SlowSave):
    """Holds each message a while, then records every connection that sat in a transaction
    all that time: a runner waiting for this server must hold none."""

    def __init__(self, folder, database_url: str) -> None:
        super().__init__(folder, SECONDS_PER_MESSAGE)
        self.database_url = database_url
        self.seen: list[tuple] = []
        self.checks = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        answer = await super().handle_DATA(server, session, envelope)
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            self.seen += conn.execute(IDLE_IN_TRANSACTION,
                                      (SECONDS_PER_MESSAGE * 2 / 3,)).fetchall()
        self.checks += 1
        return answer


def undelivered(shop) -> int:
    with shop.app.app_context():
        return db.session.execute(db.select(db.func.count(OutboxMessage.id)).where(
            OutboxMessage.sent_at.is_(None))).scalar_one()


def test_two_runners_at_once_send_each_message_once(live_shop, tmp_path):
    placed = [place_order(live_shop, [("ethiopia-yirgacheffe-250", 1)]) for _ in range(ORDERS)]
    assert undelivered(live_shop) == ORDERS  # queued with the orders, nothing sent yet

    catcher = Catcher(tmp_path / "caught")
    watch = catcher.controller.handler = WatchingSave(catcher.folder, live_shop.database_url)
    with catcher:
        smtp = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(catcher.port),
                "SMTP_SECURITY": "none", "SMTP_SENDER": "shop@sever-coffee.example",
                "STOREFRONT_MAIL_BATCH": "2"}
        with two_runners(live_shop, **smtp) as outputs:
            deadline = time.monotonic() + 90
            while undelivered(live_shop):
                assert time.monotonic() < deadline, "the runners did not send every message"
                time.sleep(0.3)
            time.sleep(2.5)  # a further pass each: nothing is due, nothing is sent again
        messages = catcher.messages()

    subjects = Counter(message["Subject"] for message in messages)
    assert subjects == Counter(f"Order {p.number} is placed" for p in placed), outputs
    assert len({message["Message-ID"] for message in messages}) == ORDERS
    sent = [sum(int(line.split("mail: ")[1].split()[0])
                for line in output.splitlines() if "reconcile pass: " in line)
            for output in outputs]
    assert sum(sent) == ORDERS, outputs
    assert watch.checks == ORDERS and watch.seen == []
