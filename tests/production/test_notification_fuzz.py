"""Anything at all POSTed to the notification endpoint: the properties that must hold.

* The gateway always gets HTTP 200 with ``{"status": "success"}`` or
  ``{"status": "error", "code": ..., "message": ...}``; never a 500.
* Without a valid ``X-Signature`` nothing changes: the reply is ``signature_error``, no
  order or payment status moves, no id is read from the body; the notification is counted,
  and kept only within the hour's budget.
* With a valid signature, random fields still never cause a 500; a payment becomes paid
  exactly when the body names that payment of ours, says paid, with its exact amount in its
  currency; and only a ``success`` reply goes with a status change.

Each example gets an order of its own, waiting for payment, so examples do not interact.
"""

from __future__ import annotations

import io
import json
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from storefront.extensions import db
from storefront.invoicebox import gateway_json, kopecks_to_decimal, sign
from storefront.models import Notification, Payment, UnverifiedWindow
from storefront.payments import MAX_BODY_BYTES
from tests.conftest import DEMO_MERCHANT_ID, DEMO_NOTIFICATION_KEY
from tests.notifications.conftest import Awaiting, make_awaiting, state

URL = "/invoicebox/notification"
REPLY_CODES = {"signature_error", "out_of_service", "order_not_found", "order_already_paid",
               "order_wrong_status", "order_wrong_amount"}
STRANGER = "3f0c5a3e-9d1b-4c7e-8a55-2b6f7d9e1c04"  # an id that is nobody's here
FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])

# -- bodies -------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                 max_size=4),
    max_leaves=12,
)
decimal_amounts = st.decimals(min_value=-10**9, max_value=10**9, places=2)
uuids = st.uuids().map(str)


def field_values(*likely: Any) -> st.SearchStrategy[Any]:
    """The field's meaningful values (ours, a near miss), a stranger's, or any JSON at all."""
    return st.sampled_from(likely) | json_values


@st.composite
def order_objects(draw: st.DrawFn, awaiting: Awaiting) -> dict[str, Any]:
    """The gateway's order object for ``awaiting``, with up to three fields replaced, one
    perhaps dropped, and some unknown ones added."""
    exact = kopecks_to_decimal(awaiting.amount)
    choices = {
        "id": field_values(awaiting.invoicebox_order_id, DEMO_MERCHANT_ID, STRANGER,
                           awaiting.invoicebox_order_id.upper(), "") | uuids,
        "merchantOrderId": field_values(awaiting.merchant_order_id, awaiting.number,
                                        f"{awaiting.number}-2", ""),
        "merchantId": field_values(DEMO_MERCHANT_ID, STRANGER, DEMO_MERCHANT_ID.upper()),
        "status": field_values("completed", "success", "canceled", "cancelled", "expired",
                               "created", "COMPLETED", "completed "),
        "amount": field_values(exact, exact + Decimal("0.01"), exact - Decimal("0.01"),
                               int(exact), str(exact), float("inf"), float("nan"), 0)
        | decimal_amounts,
        "currencyId": field_values("RUB", "USD", "rub", None),
        "paidAt": field_values("2026-01-01T10:05:00+00:00", "2026-01-01T10:05:00", "yesterday"),
        "basketItems": json_values,
    }
    body = {**draw(st.dictionaries(st.text(max_size=12), json_values, max_size=3)),
            **awaiting.body()}
    for name in draw(st.sets(st.sampled_from(sorted(choices)), max_size=3)):
        body[name] = draw(choices[name])
    for name in draw(st.sets(st.sampled_from(sorted(choices)), max_size=1)):
        del body[name]
    return body


def as_json(objects: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    """JSON the way the gateway writes it, or Python's way.

    Built with ``map`` rather than ``|``: hypothesis flattens nested ``one_of``s into one
    choice, which would skew the weights given in :func:`bodies`.
    """
    return st.tuples(objects, st.booleans()).map(
        lambda t: gateway_json(t[0]) if t[1] else json.dumps(t[0], default=float).encode())


def _damage(parts: tuple[bytes, str, int]) -> bytes:
    raw, how, where = parts
    if how == "cut short":
        return raw[:where]
    if how == "byte order mark":
        return b"\xef\xbb\xbf" + raw
    if how == "not UTF-8":
        return raw.replace(b"\"", b"\xff\"", 1)
    return raw + b" " * MAX_BODY_BYTES  # over the size cap


def broken(raw: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    """JSON damaged on the way."""
    damage = st.sampled_from(["cut short", "byte order mark", "not UTF-8", "too large"])
    return st.tuples(raw, damage, st.integers(0, 400)).map(_damage)


def bodies(awaiting: Awaiting) -> st.SearchStrategy[bytes]:
    """Half of them order objects (where the interesting checks are), then anything else."""
    orders = as_json(order_objects(awaiting))
    kinds = {
        "order": orders,
        "damaged order": broken(orders),
        "orders in a list": as_json(st.lists(order_objects(awaiting), min_size=1, max_size=2)),
        "other JSON": as_json(json_values),
        "bytes": st.binary(max_size=512),
        "text": st.text(max_size=200).map(str.encode),
    }
    weighted = ["order"] * 5 + [kind for kind in kinds if kind != "order"]
    return st.sampled_from(weighted).flatmap(kinds.__getitem__)


# -- headers ------------------------------------------------------------------------------

header_text = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=60)
content_types = st.sampled_from([None, "application/json", "application/json; charset=utf-8",
                                 "text/plain", "application/x-www-form-urlencoded",
                                 "multipart/form-data", "application/octet-stream"]) | header_text


@st.composite
def wrong_signatures(draw: st.DrawFn, raw: bytes) -> str | None:
    """An ``X-Signature`` that is not the body's HMAC under our key: missing, random, or
    a real one garbled, for another body, under another key or another algorithm."""
    right = sign(raw, DEMO_NOTIFICATION_KEY)
    kind = draw(st.sampled_from(["missing", "empty", "text", "hex", "flipped", "short", "long",
                                 "other body", "other key", "sha256", "sha1 of key"]))
    if kind == "missing":
        return None
    if kind == "empty":
        return ""
    if kind == "text":
        return draw(header_text)
    if kind == "hex":
        return draw(st.text("0123456789abcdef", min_size=40, max_size=40))
    if kind == "flipped":
        index = draw(st.integers(0, len(right) - 1))
        swap = draw(st.sampled_from([c for c in "0123456789abcdef" if c != right[index]]))
        return right[:index] + swap + right[index + 1:]
    if kind == "short":
        return right[: draw(st.integers(0, len(right) - 1))]
    if kind == "long":
        return right + draw(st.text("0123456789abcdef", min_size=1, max_size=4))
    if kind == "other body":
        other = draw(st.binary(max_size=64))
        return sign(other if other != raw else other + b"x", DEMO_NOTIFICATION_KEY)
    if kind == "other key":
        key = draw(st.text("0123456789abcdef", min_size=1, max_size=32))
        return sign(raw, key if key != DEMO_NOTIFICATION_KEY else key + "0")
    if kind == "sha256":
        return sign(raw, DEMO_NOTIFICATION_KEY, "sha256")
    return sign(DEMO_NOTIFICATION_KEY.encode(), DEMO_NOTIFICATION_KEY)


def valid_signatures(raw: bytes) -> st.SearchStrategy[str]:
    """The body's HMAC as the gateway sends it, or as a proxy might pass it on."""
    right = sign(raw, DEMO_NOTIFICATION_KEY)
    return st.sampled_from([right, right.upper(), f" {right} ", f"{right}\t"])


def post(client, raw: bytes, signature: str | None, content_type: str | None):
    headers = [("X-Signature", signature)] if signature is not None else []
    if content_type is not None:
        headers.append(("Content-Type", content_type))
    # A stream, not ``data=``: given an empty body and a form content type, the test client
    # would write a multipart body of its own instead of sending nothing.
    return client.post(URL, input_stream=io.BytesIO(raw), content_length=len(raw),
                       headers=headers)


def reply_of(response) -> dict[str, Any]:
    """The reply, checked for the shape every reply must have."""
    assert response.status_code == 200, response.status_code
    body = response.get_json(silent=True)
    assert isinstance(body, dict), response.data[:200]
    if body["status"] == "success":
        assert body == {"status": "success"}
    else:
        assert body["status"] == "error" and set(body) == {"status", "code", "message"}, body
        assert body["code"] in REPLY_CODES and isinstance(body["message"], str), body
    return body


def completed_payments(app) -> int:
    with app.app_context():
        return db.session.execute(
            db.select(db.func.count(Payment.id)).where(Payment.status == "completed")
        ).scalar_one()


def last_notification(app) -> Notification:
    with app.app_context():
        row = db.session.execute(
            db.select(Notification).order_by(Notification.id.desc()).limit(1)).scalar_one()
        db.session.expunge(row)
        return row


def unverified_seen(app) -> tuple[int, int]:
    """How many unverified notifications were counted, and the id of the last row kept."""
    with app.app_context():
        received = db.session.execute(
            db.select(db.func.coalesce(db.func.sum(UnverifiedWindow.received), 0))
        ).scalar_one()
        last_id = db.session.execute(db.select(db.func.max(Notification.id))).scalar_one()
        return received, last_id or 0


def says_paid(raw: bytes, awaiting: Awaiting) -> bool:
    """True if the body says, exactly, that this payment was paid in full."""
    try:
        data = json.loads(raw, parse_float=Decimal)
    except ValueError:
        return False
    if not isinstance(data, dict):
        return False
    amount = data.get("amount")
    return (
        data.get("merchantId") == DEMO_MERCHANT_ID
        and data.get("id") == awaiting.invoicebox_order_id
        and data.get("merchantOrderId") == awaiting.merchant_order_id
        and data.get("status") in ("completed", "success")
        and isinstance(amount, int | Decimal) and not isinstance(amount, bool)
        and Decimal(amount) == kopecks_to_decimal(awaiting.amount)
        and data.get("currencyId") == "RUB"
    )


@FUZZ
@given(data=st.data())
def test_without_a_valid_signature_nothing_changes(app, data):
    awaiting = make_awaiting(app)
    raw = data.draw(bodies(awaiting), label="body")
    signature = data.draw(wrong_signatures(raw), label="signature")
    before, paid_before = state(app, awaiting), completed_payments(app)
    counted, last_id = unverified_seen(app)

    reply = reply_of(post(app.test_client(), raw, signature, data.draw(content_types)))

    assert reply["status"] == "error" and reply["code"] == "signature_error"
    assert state(app, awaiting) == before and completed_payments(app) == paid_before
    now_counted, now_last_id = unverified_seen(app)
    assert now_counted == counted + 1
    if now_last_id != last_id:  # kept within the budget
        kept = last_notification(app)
        assert kept.id == now_last_id and not kept.signature_valid and not kept.applied
        assert (kept.invoicebox_order_id, kept.merchant_order_id, kept.order_id) == (
            None, None, None)


@FUZZ
@given(data=st.data())
def test_signed_bodies_with_random_fields_never_fail_and_pay_only_the_exact_payment(app, data):
    awaiting = make_awaiting(app)
    raw = data.draw(bodies(awaiting), label="body")
    signature = data.draw(valid_signatures(raw), label="signature")
    before = state(app, awaiting)

    reply = reply_of(post(app.test_client(), raw, signature, data.draw(content_types)))

    after = state(app, awaiting)
    event(f"reply {reply.get('code', 'success')}; order {after['order']}")
    read = len(raw) <= MAX_BODY_BYTES  # a larger body is refused unread
    assert last_notification(app).signature_valid == read
    paid = after["payment"] == "completed"
    assert paid == (read and says_paid(raw, awaiting)), (reply, raw[:300])
    if paid:
        assert reply == {"status": "success"}
        assert (after["order"], after["paid_events"]) == ("paid", 1)
    if after != before:
        assert reply == {"status": "success"}, (reply, after)
