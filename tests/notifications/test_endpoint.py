"""POST /invoicebox/notification: the CONTRACT §5.9 checks, each reply, and the database after.

Every answer is HTTP 200 with a JSON body; only a valid, signed, matching notification
changes an order, and only once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import text

from storefront.extensions import db
from tests.support.shop import MONITORING_ID, encode, notification, signed_headers

from .conftest import URL, make_awaiting, post_signed, state, stored

UNCHANGED = {"order": "awaiting_payment", "order_paid_at": None, "payment": "created",
             "payment_paid_at": None, "paid_events": 0}


def error(code: str, message: str) -> dict[str, str]:
    return {"status": "error", "code": code, "message": message}


def assert_json_200(response) -> dict:
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def test_a_valid_notification_marks_the_order_paid(app, client, awaiting):
    body = awaiting.body(paidAt="2026-03-01T12:30:00+00:00")
    response = post_signed(client, body)
    assert assert_json_200(response) == {"status": "success"}
    paid_at = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    assert state(app, awaiting) == {"order": "paid", "order_paid_at": paid_at,
                                    "payment": "completed", "payment_paid_at": paid_at,
                                    "paid_events": 1}
    [row] = stored(app)
    assert (row.raw_body, row.signature_valid, row.applied) == (encode(body), True, True)
    assert (row.invoicebox_order_id, row.merchant_order_id, row.gateway_status) == (
        awaiting.invoicebox_order_id, awaiting.merchant_order_id, "completed")
    assert (row.order_id, row.payment_id) == (awaiting.order_id, awaiting.payment_id)
    assert (row.reply_status, row.reply_code) == ("success", None)


def test_the_sdk_style_success_status_counts_as_paid(app, client, awaiting):
    response = post_signed(client, awaiting.body(status="success"))
    assert assert_json_200(response) == {"status": "success"}
    assert state(app, awaiting)["order"] == "paid"


def test_a_replay_is_acknowledged_without_a_second_transition(app, client, awaiting):
    raw = encode(awaiting.body())
    first = client.post(URL, data=raw, headers=signed_headers(raw))
    second = client.post(URL, data=raw, headers=signed_headers(raw))
    assert assert_json_200(first) == assert_json_200(second) == {"status": "success"}
    assert state(app, awaiting)["paid_events"] == 1
    # The copy is answered from memory (test_replays.py); a differently worded copy
    # of the same news goes through the database and is stored, changing nothing.
    third = post_signed(client, awaiting.body(paidAt="2026-03-01T12:30:00+00:00"))
    assert assert_json_200(third) == {"status": "success"}
    assert state(app, awaiting)["paid_events"] == 1
    assert [row.applied for row in stored(app)] == [True, False]


def test_the_money_is_compared_exactly_from_the_raw_json(app, client):
    awaiting = make_awaiting(app, amount=279067)
    raw = encode(awaiting.body()).replace(b'"amount":2790.67', b'"amount":2790.670')
    assert b'"amount":2790.670' in raw
    response = client.post(URL, data=raw, headers=signed_headers(raw))
    assert assert_json_200(response) == {"status": "success"}


@pytest.mark.parametrize(
    ("change", "reply"),
    [
        ({"amount": Decimal("2489.99")}, "order_wrong_amount"),
        ({"amount": Decimal("2490.001")}, "order_wrong_amount"),
        ({"amount": Decimal("24900.00")}, "order_wrong_amount"),
        ({"amount": "2490.00"}, "order_wrong_amount"),
        ({"amount": True}, "order_wrong_amount"),
        ({"amount": None}, "order_wrong_amount"),
        ({"currencyId": "USD"}, "order_wrong_amount"),
        ({"currencyId": None}, "order_wrong_amount"),
        # ("hold" is a guarantee payment: tests/staff/test_guarantee_payments.py)
        ({"status": "created"}, "order_wrong_status"),
        ({"status": 3}, "order_wrong_status"),
        ({"merchantId": "00000000-0000-0000-0000-000000000000"}, "order_not_found"),
        ({"merchantId": None}, "order_not_found"),
        ({"id": "3f1f6e5a-0000-4000-8000-000000000000"}, "order_not_found"),
        ({"id": 12345}, "order_not_found"),
        ({"merchantOrderId": "261127-XXXXX-1"}, "order_not_found"),
    ],
)
def test_a_signed_notification_that_does_not_match_changes_nothing(
    app, client, awaiting, change, reply
):
    body = awaiting.body()
    body.update(change)
    response = post_signed(client, body)
    answer = assert_json_200(response)
    assert answer["status"] == "error" and answer["code"] == reply and answer["message"]
    assert state(app, awaiting) == UNCHANGED
    [row] = stored(app)
    assert row.signature_valid and not row.applied and row.reply_code == reply


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"X-Signature": "0" * 40}, "X-Signature does not match the body."),
        ({"X-Signature": "not hex at all"}, "X-Signature does not match the body."),
        ({}, "X-Signature header is missing."),
        ({"X-Signature": ""}, "X-Signature header is missing."),
    ],
)
def test_a_forged_or_unsigned_notification_is_refused_unread(app, client, awaiting, headers,
                                                             message):
    raw = encode(awaiting.body())
    response = client.post(URL, data=raw, headers={"Content-Type": "application/json",
                                                   **headers})
    assert assert_json_200(response) == error("signature_error", message)
    assert state(app, awaiting) == UNCHANGED
    [row] = stored(app)
    assert (row.raw_body, row.signature_valid, row.applied) == (raw, False, False)
    assert row.invoicebox_order_id is None and row.order_id is None  # never parsed


def test_a_body_signed_with_another_key_or_algorithm_is_refused(app, client, awaiting):
    raw = encode(awaiting.body())
    for headers in (signed_headers(raw, key="test"), signed_headers(raw, algorithm="sha256")):
        response = client.post(URL, data=raw, headers=headers)
        assert assert_json_200(response)["code"] == "signature_error"
    assert state(app, awaiting) == UNCHANGED


def test_the_signature_covers_the_exact_bytes(app, client, awaiting):
    raw = encode(awaiting.body())
    headers = signed_headers(raw)
    for altered in (raw + b"\n", raw.replace(b"\\/", b"/"), b" " + raw):
        response = client.post(URL, data=altered, headers=headers)
        assert assert_json_200(response)["code"] == "signature_error"
    assert state(app, awaiting) == UNCHANGED


def test_the_algorithm_comes_from_the_configuration(make_app):
    app = make_app(INVOICEBOX_SIGNATURE_ALGORITHM="sha256")
    awaiting = make_awaiting(app)
    response = post_signed(app.test_client(), awaiting.body(), algorithm="sha256")
    assert assert_json_200(response) == {"status": "success"}


def test_without_a_key_nothing_is_accepted_and_the_gateway_is_asked_to_retry(make_app):
    app = make_app(INVOICEBOX_NOTIFICATION_KEY="")
    awaiting = make_awaiting(app)
    response = post_signed(app.test_client(), awaiting.body())
    assert assert_json_200(response) == error(
        "out_of_service", "The shop cannot verify notifications right now.")
    assert state(app, awaiting) == UNCHANGED


def test_the_monitoring_test_notification_is_acknowledged_and_touches_nothing(app, client,
                                                                              awaiting):
    body = notification(id=MONITORING_ID, merchantOrderId="", amount=Decimal("1.00"))
    response = post_signed(client, body)
    assert assert_json_200(response) == {"status": "success"}
    assert state(app, awaiting) == UNCHANGED
    [row] = stored(app)
    assert row.signature_valid and not row.applied and row.order_id is None


def test_the_monitoring_test_still_needs_the_signature_and_our_merchant_id(app, client):
    body = notification(id=MONITORING_ID, merchantOrderId="")
    raw = encode(body)
    unsigned = client.post(URL, data=raw, headers={"Content-Type": "application/json"})
    assert assert_json_200(unsigned)["code"] == "signature_error"
    foreign = post_signed(client, {**body, "merchantId": "00000000-0000-0000-0000-000000000001"})
    assert assert_json_200(foreign) == error("order_not_found", "Unknown merchantId.")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\x00\xff garbage \xfe", "Body is not valid JSON."),
        (b"", "Body is not valid JSON."),
        (b'{"id": "truncated', "Body is not valid JSON."),
        (b'[{"id": "x"}]', "Body is not a JSON object."),
        (b'"completed"', "Body is not a JSON object."),
        (b"null", "Body is not a JSON object."),
    ],
)
def test_signed_garbage_asks_for_a_retry(app, client, awaiting, raw, message):
    response = client.post(URL, data=raw, headers=signed_headers(raw))
    assert assert_json_200(response) == error("out_of_service", message)
    assert state(app, awaiting) == UNCHANGED
    [row] = stored(app)
    assert row.raw_body == raw and row.signature_valid


def test_unsigned_garbage_is_a_signature_error(app, client):
    response = client.post(URL, data=b"\x00\x01\x02", headers={"X-Signature": "abc"})
    assert assert_json_200(response)["code"] == "signature_error"


def test_a_huge_body_is_not_read(app, client, awaiting):
    raw = encode(awaiting.body(description="x" * 70_000))
    response = client.post(URL, data=raw, headers=signed_headers(raw))
    assert assert_json_200(response) == error(
        "signature_error", "Body larger than 65536 bytes; not read.")
    assert state(app, awaiting) == UNCHANGED
    [row] = stored(app)
    assert row.raw_body == b"" and not row.signature_valid


def test_another_invoicebox_order_for_a_paid_order_is_already_paid(app, client, awaiting):
    post_signed(client, awaiting.body())
    other = awaiting.body(id="0b7d1e2f-0000-4000-8000-000000000001")
    response = post_signed(client, other)
    assert assert_json_200(response) == error("order_already_paid", "The order is already paid.")
    assert state(app, awaiting)["paid_events"] == 1
    assert stored(app)[-1].order_id == awaiting.order_id


def test_an_older_attempt_paid_after_the_order_was_paid_is_already_paid(app, client):
    awaiting = make_awaiting(app, attempts=2)
    post_signed(client, awaiting.body())
    with app.app_context():
        from storefront.models import Payment

        first = db.session.execute(
            db.select(Payment).where(Payment.attempt == 1)).scalar_one()
        db.session.execute(db.update(Payment).where(Payment.id == first.id)
                           .values(status="created"))
        db.session.commit()
        body = awaiting.body(id=first.invoicebox_order_id,
                             merchantOrderId=first.merchant_order_id)
    response = post_signed(client, body)
    assert assert_json_200(response) == error("order_already_paid", "The order is already paid.")
    assert state(app, awaiting)["paid_events"] == 1


@pytest.mark.parametrize(("status", "payment", "order"),
                         [("canceled", "canceled", "new"), ("cancelled", "canceled", "new"),
                          ("expired", "expired", "expired")])
def test_canceled_and_expired_are_recorded_and_acknowledged(app, client, awaiting, status,
                                                            payment, order):
    response = post_signed(client, awaiting.body(status=status))
    assert assert_json_200(response) == {"status": "success"}
    now = state(app, awaiting)
    assert (now["order"], now["payment"], now["paid_events"]) == (order, payment, 0)
    assert stored(app)[0].applied
    again = post_signed(client, awaiting.body(status=status))
    assert assert_json_200(again) == {"status": "success"}
    assert not stored(app)[1].applied


def test_a_paid_order_is_not_undone_by_a_late_cancel(app, client, awaiting):
    post_signed(client, awaiting.body())
    response = post_signed(client, awaiting.body(status="canceled"))
    assert assert_json_200(response) == {"status": "success"}
    assert state(app, awaiting)["order"] == "paid"


def test_a_payment_that_expired_in_the_shop_is_not_silently_paid(app, client, awaiting):
    post_signed(client, awaiting.body(status="expired"))
    response = post_signed(client, awaiting.body())
    assert assert_json_200(response) == error(
        "order_wrong_status", "The payment cannot be marked paid.")
    assert state(app, awaiting)["payment"] == "expired"


def test_a_database_failure_rolls_back_and_asks_for_a_retry(app, client, awaiting):
    with app.app_context():  # the history table is gone: the paid transition cannot commit
        db.session.execute(text("ALTER TABLE order_event RENAME TO order_event_away"))
        db.session.commit()
    response = post_signed(client, awaiting.body())
    assert assert_json_200(response) == error("out_of_service", "Temporary failure; please retry.")
    with app.app_context():
        db.session.execute(text("ALTER TABLE order_event_away RENAME TO order_event"))
        db.session.commit()
    assert state(app, awaiting) == UNCHANGED  # nothing half-written
    [row] = stored(app)
    assert row.reply_code == "out_of_service" and not row.applied
    retry = post_signed(client, awaiting.body())
    assert assert_json_200(retry) == {"status": "success"}
    assert state(app, awaiting)["order"] == "paid"


def test_if_the_notification_cannot_be_stored_the_gateway_is_asked_to_retry(app, client,
                                                                             awaiting):
    with app.app_context():
        db.session.execute(text("DROP TABLE notification"))
        db.session.commit()
    response = post_signed(client, awaiting.body())
    assert assert_json_200(response) == error("out_of_service", "Temporary failure; please retry.")


def test_the_endpoint_needs_no_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    awaiting = make_awaiting(app)
    response = post_signed(app.test_client(), awaiting.body())
    assert assert_json_200(response) == {"status": "success"}


def test_only_post_is_served(client):
    assert client.get(URL).status_code == 405
