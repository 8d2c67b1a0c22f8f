"""Notification signatures: the real vector, negative vectors, and published HMAC vectors."""

from __future__ import annotations

import hashlib
import hmac
import json
from decimal import Decimal

import pytest

from storefront.invoicebox import gateway_json, sign, verify_signature

from .support import fixture_bytes, fixture_json

BODY = fixture_bytes("notification-example.body")
VECTOR = fixture_json("notification-example.json")
KEY = VECTOR["key"]
SIGNATURE = VECTOR["x_signature"]
DEMO_KEY = "098f6bcd4621d373cade4e832627b4f6"


def test_fixture_is_the_raw_body_the_gateway_sent():
    # Guards the fixture itself: a stray newline or re-encoding would make every other
    # test here meaningless.
    assert len(BODY) == 1028
    assert hashlib.sha1(BODY).hexdigest() == "32cf562bcc5d72510baaabbcab3925f3536c4f08"
    assert (KEY, VECTOR["algorithm"]) == ("test", "sha1")


def test_real_notification_verifies_over_its_raw_bytes():
    assert sign(BODY, KEY) == SIGNATURE
    assert verify_signature(BODY, SIGNATURE, KEY) is True
    assert verify_signature(BODY, SIGNATURE, KEY, "sha1") is True


def test_reserialised_with_default_json_dumps_fails():
    reserialised = json.dumps(json.loads(BODY)).encode()
    assert reserialised != BODY
    assert verify_signature(reserialised, SIGNATURE, KEY) is False


def test_compact_dump_without_slash_escaping_fails():
    # Same separators and unescaped Cyrillic as the gateway, but "/" left as is: the
    # closest a naive handler gets, and still wrong. (CONTRACT §5.8 lists this digest.)
    compact = json.dumps(json.loads(BODY), ensure_ascii=False, separators=(",", ":")).encode()
    assert compact != BODY
    assert sign(compact, KEY).startswith("bdd1f145")
    assert verify_signature(compact, SIGNATURE, KEY) is False


def test_trailing_newline_fails():
    assert sign(BODY + b"\n", KEY).startswith("beda9821")
    assert verify_signature(BODY + b"\n", SIGNATURE, KEY) is False


def test_another_key_fails():
    assert sign(BODY, DEMO_KEY).startswith("a3767ef5")
    assert verify_signature(BODY, SIGNATURE, DEMO_KEY) is False


def test_a_single_changed_byte_fails():
    tampered = BODY.replace(b'"amount":2790.67', b'"amount":2790.68', 1)
    assert tampered != BODY
    assert verify_signature(tampered, SIGNATURE, KEY) is False


@pytest.mark.parametrize(
    "header",
    [SIGNATURE.upper(), f"  {SIGNATURE}\n", f"\t{SIGNATURE.upper()} ", SIGNATURE.title()],
    ids=["upper", "surrounding-whitespace", "upper-and-whitespace", "mixed-case"],
)
def test_header_case_and_surrounding_whitespace_are_tolerated(header):
    assert verify_signature(BODY, header, KEY) is True


@pytest.mark.parametrize(
    ("signature", "key", "algorithm"),
    [
        (None, KEY, "sha1"),
        ("", KEY, "sha1"),
        ("   ", KEY, "sha1"),
        ("z" * 40, KEY, "sha1"),
        (SIGNATURE[:-1], KEY, "sha1"),
        (SIGNATURE + "0", KEY, "sha1"),
        (SIGNATURE[:20] + " " + SIGNATURE[21:], KEY, "sha1"),
        ("0x" + SIGNATURE[2:], KEY, "sha1"),
        (SIGNATURE, "", "sha1"),
        (SIGNATURE, None, "sha1"),
        (SIGNATURE, KEY, "nope"),
        (SIGNATURE, KEY, ""),
        (SIGNATURE, KEY, "shake_128"),
        (SIGNATURE, KEY, "sha256"),
        (123, KEY, "sha1"),
    ],
    ids=[
        "missing",
        "empty",
        "blank",
        "non-hex",
        "too-short",
        "too-long",
        "inner-space",
        "0x-prefix",
        "empty-key",
        "no-key",
        "unknown-algorithm",
        "empty-algorithm",
        "variable-length-digest",
        "other-algorithm",
        "not-a-string",
    ],
)
def test_bad_input_is_false_never_an_exception(signature, key, algorithm):
    assert verify_signature(BODY, signature, key, algorithm) is False


@pytest.mark.parametrize("body", ["a text body", None, 1028])
def test_a_body_that_is_not_bytes_is_false(body):
    assert verify_signature(body, SIGNATURE, KEY) is False


@pytest.mark.parametrize("algorithm", ["sha256", "md5", "sha512", "SHA256", "sha3-256"])
def test_other_algorithms_match_an_independent_hmac(algorithm):
    digestmod = algorithm.lower().replace("-", "_")
    expected = hmac.new(b"098f6bcd4621d373cade4e832627b4f6", BODY, digestmod).hexdigest()
    assert sign(BODY, DEMO_KEY, algorithm) == expected
    assert verify_signature(BODY, expected, DEMO_KEY, algorithm) is True
    assert verify_signature(BODY, expected, DEMO_KEY, "sha1") is False


@pytest.mark.parametrize(
    ("algorithm", "key", "message", "digest"),
    [
        # RFC 2202 test case 2 (HMAC-SHA1)
        (
            "sha1",
            "Jefe",
            b"what do ya want for nothing?",
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
        ),
        # RFC 4231 test case 2 (HMAC-SHA256)
        (
            "sha256",
            "Jefe",
            b"what do ya want for nothing?",
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        ),
        # RFC 2104 / RFC 2202 test case 2 (HMAC-MD5)
        ("md5", "Jefe", b"what do ya want for nothing?", "750c783e6ab0b503eaa86e310a5db738"),
    ],
)
def test_published_hmac_vectors(algorithm, key, message, digest):
    assert sign(message, key, algorithm) == digest
    assert verify_signature(message, digest.upper(), key, algorithm) is True


def test_sign_refuses_configuration_mistakes():
    with pytest.raises(ValueError, match="algorithm"):
        sign(BODY, KEY, "crc32")
    with pytest.raises(ValueError, match="key"):
        sign(BODY, "", "sha1")
    with pytest.raises(TypeError):
        sign("text", KEY)  # type: ignore[arg-type]


def test_the_key_is_used_as_utf8_text():
    assert sign(b"x", "ключ") == hmac.new("ключ".encode(), b"x", "sha1").hexdigest()


def test_gateway_json_reproduces_the_raw_notification():
    assert gateway_json(json.loads(BODY)) == BODY
    assert gateway_json(json.loads(BODY, parse_float=Decimal)) == BODY
    assert verify_signature(gateway_json(json.loads(BODY)), SIGNATURE, KEY) is True


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"amount": Decimal("110.00")}, b'{"amount":110}'),
        ({"amount": Decimal("0")}, b'{"amount":0}'),
        ({"amount": Decimal("2790.670")}, b'{"amount":2790.67}'),
        ({"amount": Decimal("103.30")}, b'{"amount":103.3}'),
        ({"items": [Decimal("1.50"), 2]}, b'{"items":[1.5,2]}'),
        ({"url": "https://pay/order/1"}, b'{"url":"https:\\/\\/pay\\/order\\/1"}'),
        ({"name": "Чай"}, '{"name":"Чай"}'.encode()),
    ],
)
def test_gateway_json_renders_like_php(value, expected):
    assert gateway_json(value) == expected
