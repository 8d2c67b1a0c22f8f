"""Two runners draining the mail outbox at once, on PostgreSQL: each message is sent once.

Buyers check out over HTTP against the shop under gunicorn (each order queues its "order
placed" message with the order); then two ``flask invoicebox reconcile --every 1``
processes drain the outbox into a real SMTP catcher that takes a while per message, in
small batches, so that one claims while the other is sending.
"""

from __future__ import annotations

import signal
import time
from collections import Counter

import pytest

from storefront.extensions import db
from storefront.models import OutboxMessage
from tests.support.mail import Catcher

from .flows import place_order
from .reconcile_runs import start_reconcile

pytestmark = pytest.mark.postgres

ORDERS = 10


def undelivered(shop) -> int:
    with shop.app.app_context():
        return db.session.execute(db.select(db.func.count(OutboxMessage.id)).where(
            OutboxMessage.sent_at.is_(None))).scalar_one()


def test_two_runners_at_once_send_each_message_once(live_shop, tmp_path):
    placed = [place_order(live_shop, [("ethiopia-yirgacheffe-250", 1)]) for _ in range(ORDERS)]
    assert undelivered(live_shop) == ORDERS  # queued with the orders, nothing sent yet

    with Catcher(tmp_path / "caught", slow=0.3) as catcher:
        smtp = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(catcher.port),
                "SMTP_SECURITY": "none", "SMTP_SENDER": "shop@sever-coffee.example",
                "STOREFRONT_MAIL_BATCH": "2"}
        runners = [start_reconcile(live_shop, "--every", "1", **smtp) for _ in range(2)]
        try:
            deadline = time.monotonic() + 90
            while undelivered(live_shop):
                assert time.monotonic() < deadline, "the runners did not send every message"
                time.sleep(0.3)
            time.sleep(2.5)  # a further pass each: nothing is due, nothing is sent again
        finally:
            for runner in runners:
                runner.send_signal(signal.SIGTERM)
        outputs = [runner.communicate(timeout=30)[0] for runner in runners]
        messages = catcher.messages()

    assert [runner.returncode for runner in runners] == [0, 0], outputs
    subjects = Counter(message["Subject"] for message in messages)
    assert subjects == Counter(f"Order {p.number} is placed" for p in placed), outputs
    assert len({message["Message-ID"] for message in messages}) == ORDERS
    sent = [sum(int(line.split("mail: ")[1].split()[0])
                for line in output.splitlines() if "reconcile pass: " in line)
            for output in outputs]
    assert sum(sent) == ORDERS, outputs
