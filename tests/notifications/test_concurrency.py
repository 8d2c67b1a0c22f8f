"""Identical notifications arriving at the same moment make exactly one paid transition.

The shop runs as a real threaded server, so the requests really overlap in the database.
"""

from __future__ import annotations

import threading

import requests

from storefront.extensions import db
from storefront.models import Notification
from tests.support.shop import LiveShop, encode, signed_headers

from .conftest import URL, make_awaiting, state

SENDERS = 8


def test_concurrent_identical_notifications_make_one_transition(app):
    awaiting = make_awaiting(app)
    raw = encode(awaiting.body())
    headers = signed_headers(raw)
    start = threading.Barrier(SENDERS)
    answers: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def send(url: str) -> None:
        start.wait()
        response = requests.post(url + URL, data=raw, headers=headers, timeout=30)
        with lock:
            answers.append((response.status_code, response.json()))

    with LiveShop(app) as shop:
        threads = [threading.Thread(target=send, args=(shop.url,)) for _ in range(SENDERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert answers == [(200, {"status": "success"})] * SENDERS
    now = state(app, awaiting)
    assert (now["order"], now["payment"], now["paid_events"]) == ("paid", "completed", 1)
    with app.app_context():
        applied = db.session.execute(
            db.select(Notification.applied).order_by(Notification.id)).scalars().all()
    # A copy that arrives once the first has completed the payment is answered from the
    # worker's memory and not stored again (payments/replays.py): at most one row each.
    assert applied.count(True) == 1 and len(applied) <= SENDERS
