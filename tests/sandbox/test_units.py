"""In-process checks of the sandbox's building blocks: wire encoding, signatures, config,
delivery verdicts, the rate-limit window and PHP's reading of query strings."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from sandbox.api import phpquery
from sandbox.api.ratelimit import SlidingWindow
from sandbox.config import (
    DEMO_MERCHANT_ID,
    FAST_SCHEDULE,
    ConfigError,
    build_config,
)
from sandbox.encoding import loads, new_id, php_dumps
from sandbox.notifier import classify, sign

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "invoicebox"


def test_php_encoding_reproduces_the_real_notification_byte_for_byte() -> None:
    raw = (FIXTURES / "notification-example.body").read_bytes()
    vector = json.loads((FIXTURES / "notification-example.json").read_text())

    assert php_dumps(loads(raw)) == raw
    assert sign(raw, vector["key"], vector["algorithm"]) == vector["x_signature"]
    assert sign(raw + b"\n", vector["key"]) != vector["x_signature"]


@pytest.mark.parametrize(("value", "text"), [
    (Decimal("110.00"), b"110"), (Decimal("2790.670"), b"2790.67"), (Decimal("0"), b"0"),
    (Decimal("103.3"), b"103.3"), ("a/b", b'"a\\/b"'), ("Чай", "\"Чай\"".encode()),
    ({"x": [Decimal("1.50")]}, b'{"x":[1.5]}'),
])
def test_php_number_and_string_forms(value: object, text: bytes) -> None:
    assert php_dumps(value) == text


def test_ids_are_time_ordered_uuids() -> None:
    ids = [new_id() for _ in range(50)]

    assert all(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                            r"[0-9a-f]{12}", i) for i in ids)
    assert len(set(ids)) == 50
    assert [i[:13] for i in ids] == sorted(i[:13] for i in ids)


@pytest.mark.parametrize(("status", "reply", "error", "expected"), [
    (200, '{"status":"success"}', None, ("success", None, None)),
    (200, '{"status":"error","code":"out_of_service"}', None, ("retry", "out_of_service", None)),
    (200, '{"status":"error"}', None, ("retry", None, None)),
    (200, '{"status":"error","code":"order_not_found","message":"m"}', None,
     ("final", "order_not_found", "m")),
    (200, '{"status":"error","code":"made_up_code"}', None, ("final", "made_up_code", None)),
    (200, "OK", None, ("retry", None, "reply is not valid JSON")),
    (200, "[]", None, ("retry", None, "reply is not a JSON object")),
    (200, "{}", None, ("retry", None, "reply status is neither 'success' nor 'error'")),
    (400, '{"status":"error","code":"signature_error"}', None, ("retry", None, "HTTP 400")),
    (None, None, "timeout after 20 s", ("retry", None, "timeout after 20 s")),
])
def test_delivery_verdicts(status: int | None, reply: str | None, error: str | None,
                           expected: tuple) -> None:
    assert classify(status, reply, error) == expected


def test_config_merges_merchants_and_reads_the_environment() -> None:
    config = build_config(
        {"merchants": [{"id": DEMO_MERCHANT_ID, "notification_url": "http://shop/n"},
                       {"id": "m2", "token": "t2", "notification_key": "k2",
                        "signature_algorithm": "sha256"}],
         "strict_arithmetic": True},
        {"SANDBOX_NOTIFY_MODE": "fast", "SANDBOX_REFUND_DELAY": "0.5",
         "SANDBOX_PUBLIC_URL": "http://pay.local/"},
    )

    demo = config.merchant(DEMO_MERCHANT_ID)
    assert (demo.notification_url, demo.token) == ("http://shop/n",
                                                   "b37c4c689295904ed21eee5d9a48d42e")
    assert config.merchants_for_token("t2")[0].signature_algorithm == "sha256"
    assert config.retry_schedule == FAST_SCHEDULE
    assert config.refund_complete_delay_s == 0.5
    assert config.payment_page_base == "http://pay.local"
    assert config.strict_arithmetic is True


@pytest.mark.parametrize(("data", "message"), [
    ({"colour": 1}, "unknown settings"),
    ({"merchants": [{"id": "m2"}]}, "needs"),
    ({"merchants": [{"id": "m2", "token": "t", "notification_key": "k",
                     "signature_algorithm": "sha512"}]}, "signature_algorithm"),
    ({"merchants": [{"id": DEMO_MERCHANT_ID, "colour": 1}]}, "unknown merchant settings"),
    ({"rate_limit": {"account": "lots"}}, "rate limit"),
    ({"retry_schedule": "weekly"}, "retry_schedule"),
    ({"round_policy_default": "bankers"}, "round_policy_default"),
    ({"notify_on": ["refunded"]}, "notify_on"),
])
def test_bad_config_is_refused(data: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_config(data, {})


def test_sliding_window() -> None:
    window = SlidingWindow(limit=2, window=10)

    assert window.hit("a", now=0) is None and window.hit("a", now=1) is None
    assert window.hit("a", now=2) == 8  # the oldest hit leaves the window at t=10
    assert window.hit("b", now=2) is None
    assert window.hit("a", now=10.5) is None


# What PHP 8.2's parse_str gives for each query (checked with php-cli).
PHP_QUERIES = [
    ("status=created&status=canceled", {"status": "canceled"}),
    ("status%5B0%5D=created&status%5B1%5D=canceled", {"status": {0: "created", 1: "canceled"}}),
    ("status[]=a&status=b", {"status": "b"}),
    ("status=a&status[]=b", {"status": {0: "b"}}),
    ("x[1]=p&x[]=q&x[01]=r&x[-1]=s", {"x": {1: "p", 2: "q", "01": "r", -1: "s"}}),
    ("j[_gt]=1&j[_gt]=5&j[]=0", {"j": {"_gt": "5", 0: "0"}}),
    ("a.b=1&c[d=2&e[f]g=3&[h]=4&%20t+u=5", {"a_b": "1", "c_d": "2", "e": {"f": "3"},
                                          "t_u": "5"}),
    ("a[b][c=1&d[x]=1&d[x][y]=2", {"a": {"b": "1"}, "d": {"x": {"y": "2"}}}),
    ("q[][a]=1&q[][a]=2&p[]=&v", {"q": {0: {"a": "1"}, 1: {"a": "2"}}, "p": {0: ""}, "v": ""}),
    ("_order[b]=asc&_order[a]=desc&_order[b]=desc", {"_order": {"b": "desc", "a": "desc"}}),
]


@pytest.mark.parametrize(("query", "expected"), PHP_QUERIES)
def test_queries_are_read_as_php_reads_them(query: str, expected: dict) -> None:
    parsed = phpquery.parse(query.encode())

    assert parsed == expected
    assert json.dumps(parsed) == json.dumps(expected)  # the same key order too
