"""Notifications with a bad signature: counted per hour, kept only within the hour's budget.

See ``storefront/payments/unverified.py``. The flood itself, through gunicorn on
PostgreSQL, is in ``tests/production/test_notification_flood.py``.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime

import pytest

from storefront.config import ConfigError, load_settings
from storefront.extensions import db
from storefront.models import Notification, UnverifiedWindow
from storefront.payments.unverified import HEAD_BYTES, Budget, Keep, keep_within_budget
from tests.support.shop import encode

from .conftest import URL, make_awaiting, post_signed, state, stored

REFUSED = {"status": "error", "code": "signature_error",
           "message": "X-Signature does not match the body."}


def post_forged(client, raw: bytes):
    return client.post(URL, data=raw, headers={"X-Signature": "00"})


def windows(app) -> list[UnverifiedWindow]:
    with app.app_context():
        rows = db.session.execute(
            db.select(UnverifiedWindow).order_by(UnverifiedWindow.window_start)).scalars().all()
        db.session.expunge_all()
        return list(rows)


def sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


@pytest.mark.parametrize(
    ("kept_rows", "kept_bytes", "size", "keep"),
    [
        (0, 0, 100, Keep.BODY),
        (2, 900, 100, Keep.BODY),  # exactly fills the bytes
        (2, 901, 100, Keep.SUMMARY),
        (0, 0, 1001, Keep.SUMMARY),  # larger than the whole byte budget
        (4, 1000, 1, Keep.SUMMARY),  # the last row
        (5, 0, 1, Keep.COUNT),
        (9, 1000, 100, Keep.COUNT),
    ],
)
def test_the_budget_decides_by_what_the_hour_has_kept(kept_rows, kept_bytes, size, keep):
    assert Budget(rows=5, bytes=1000).decide(kept_rows, kept_bytes, size) is keep


@pytest.fixture
def small_budget(make_app):
    """Four rows and 250 bytes an hour. Built before the test runs: the migrations'
    logging set-up would otherwise drop the handler ``caplog`` reads."""
    return make_app(STOREFRONT_UNVERIFIED_ROWS_PER_HOUR=4,
                    STOREFRONT_UNVERIFIED_BYTES_PER_HOUR=250)


def test_bodies_are_kept_whole_then_summarised_then_only_counted(small_budget, caplog):
    app = small_budget
    client = app.test_client()
    bodies = [bytes([index]) * 300 if index == 2 else bytes([index]) * 100 for index in range(6)]

    with caplog.at_level(logging.WARNING, logger="storefront.payments.unverified"):
        answers = [post_forged(client, raw) for raw in bodies]

    assert [(a.status_code, a.get_json()) for a in answers] == [(200, REFUSED)] * 6
    rows = stored(app)
    assert [(row.raw_body, row.body_head) for row in rows] == [
        (bodies[0], None), (bodies[1], None),  # 200 of the 250 bytes
        (None, bodies[2][:HEAD_BYTES]), (None, bodies[3]),  # would not fit in the 50 left
    ]
    assert len(rows[2].body_head) == HEAD_BYTES < len(bodies[2])
    assert [(row.body_size, row.body_sha256) for row in rows] == [
        (len(raw), sha256(raw)) for raw in bodies[:4]]
    assert {(row.signature_valid, row.reply_code, row.order_id) for row in rows} == {
        (False, "signature_error", None)}
    [window] = windows(app)
    assert (window.received, window.received_bytes) == (6, 800)
    assert (window.kept_rows, window.kept_bytes) == (4, 200)
    assert (window.last_size, window.last_sha256, window.last_reply_code) == (
        100, sha256(bodies[5]), "signature_error")
    assert window.window_start == window.last_at.replace(minute=0, second=0, microsecond=0)
    [warning] = [r for r in caplog.records if r.name == "storefront.payments.unverified"]
    assert "only counted" in warning.getMessage()  # once, when the last row was kept


def test_with_no_rows_in_the_budget_unverified_notifications_are_only_counted(make_app):
    app = make_app(STOREFRONT_UNVERIFIED_ROWS_PER_HOUR=0)
    for _ in range(3):
        assert post_forged(app.test_client(), b"{}").get_json() == REFUSED
    assert stored(app) == []
    assert [(w.received, w.kept_rows) for w in windows(app)] == [(3, 0)]


def test_valid_notifications_are_kept_whole_and_applied_whatever_the_budget(make_app):
    app = make_app(STOREFRONT_UNVERIFIED_ROWS_PER_HOUR=1,
                   STOREFRONT_UNVERIFIED_BYTES_PER_HOUR=0)
    client = app.test_client()
    first, second = make_awaiting(app), make_awaiting(app)
    assert post_signed(client, first.body()).get_json() == {"status": "success"}
    kept = [(row.id, row.raw_body, row.applied) for row in stored(app)]

    for index in range(5):
        assert post_forged(client, b"x" * 1000 + bytes([index])).get_json() == REFUSED
    raw = encode(second.body())
    assert post_signed(client, raw).get_json() == {"status": "success"}

    assert state(app, second)["order"] == "paid"
    rows = stored(app)
    valid = [row for row in rows if row.signature_valid]
    assert [(row.id, row.raw_body, row.applied) for row in valid[:1]] == kept
    assert (valid[1].raw_body, valid[1].body_size, valid[1].body_sha256, valid[1].applied) == (
        raw, len(raw), sha256(raw), True)
    assert len(valid) == 2 and len(rows) == 3  # the one unverified row the budget allows
    assert [(w.received, w.kept_rows, w.kept_bytes) for w in windows(app)] == [(5, 1, 0)]


def test_each_hour_has_a_budget_of_its_own(app):
    budget = Budget(rows=1, bytes=10)

    def arrive(raw: bytes, moment: datetime) -> Keep:
        with app.app_context():
            row = Notification.of_body(raw, signature_valid=False, reply_status="error",
                                       reply_code="signature_error")
            keep = keep_within_budget(row, budget, now=moment)
            db.session.commit()
            return keep

    assert arrive(b"one", datetime(2026, 11, 30, 10, 0, 1, tzinfo=UTC)) is Keep.BODY
    assert arrive(b"two", datetime(2026, 11, 30, 10, 59, 59, tzinfo=UTC)) is Keep.COUNT
    assert arrive(b"three", datetime(2026, 11, 30, 11, 0, 0, tzinfo=UTC)) is Keep.BODY
    assert [(w.window_start.hour, w.received, w.kept_rows, w.last_sha256)
            for w in windows(app)] == [(10, 2, 1, sha256(b"two")), (11, 1, 1, sha256(b"three"))]
    assert [(row.raw_body, row.received_at.hour) for row in stored(app)] == [
        (b"one", 10), (b"three", 11)]


def test_without_a_key_every_notification_is_unverified_and_budgeted(make_app):
    app = make_app(INVOICEBOX_NOTIFICATION_KEY="", STOREFRONT_UNVERIFIED_ROWS_PER_HOUR=1)
    awaiting = make_awaiting(app)
    for _ in range(2):
        answer = post_signed(app.test_client(), awaiting.body())
        assert answer.get_json()["code"] == "out_of_service"
    [row] = stored(app)
    assert not row.signature_valid and row.reply_code == "out_of_service"
    assert [(w.received, w.last_reply_code) for w in windows(app)] == [(2, "out_of_service")]


def test_the_budget_is_read_from_the_environment(tmp_path):
    settings = load_settings({"STOREFRONT_MODE": "demo"}, str(tmp_path))
    assert Budget.from_config(settings) == Budget(rows=100, bytes=256 * 1024) == Budget()
    settings = load_settings({"STOREFRONT_MODE": "demo",
                              "STOREFRONT_UNVERIFIED_ROWS_PER_HOUR": "0",
                              "STOREFRONT_UNVERIFIED_BYTES_PER_HOUR": "1048576"}, str(tmp_path))
    assert Budget.from_config(settings) == Budget(rows=0, bytes=1048576)
    for name in ("STOREFRONT_UNVERIFIED_ROWS_PER_HOUR", "STOREFRONT_UNVERIFIED_BYTES_PER_HOUR"):
        with pytest.raises(ConfigError, match=name):
            load_settings({"STOREFRONT_MODE": "demo", name: "-1"}, str(tmp_path))
