"""Each HTTP error maps to the right exception, with code, fields and request id."""

from __future__ import annotations

import pytest
import requests

from storefront.invoicebox import (
    ApiError,
    AuthError,
    BasketError,
    InvalidRequest,
    InvoiceboxClient,
    InvoiceboxError,
    NotFound,
    ProtocolError,
    RateLimited,
    ServerError,
    TransportError,
    UnknownOutcome,
    ValidationError,
)

from .support import BASE_URL, TOKEN, fixture_bytes, order_request, url

ORDERS = url("/v3/filter/api/order/order")
CREATE = url("/v3/billing/api/order/order")
HTML_502 = b"<html><body><h1>502 Bad Gateway</h1></body></html>"

# (HTTP status, body, Content-Type, class, error.code, field names)
ERRORS = [
    (
        401,
        fixture_bytes("contract-unauthorized-response.json"),
        "application/json",
        AuthError,
        "unauthorized",
        [],
    ),
    (
        403,
        fixture_bytes("wrong-check-auth-response.json"),
        "application/json",
        AuthError,
        "forbidden",
        [],
    ),
    (
        404,
        fixture_bytes("contract-not-found-response.json"),
        "application/json",
        NotFound,
        "not_found",
        [],
    ),
    (
        422,
        fixture_bytes("wrong-amount-response.json"),
        "application/json",
        ValidationError,
        "wrong_total_amount",
        ["amount"],
    ),
    (
        422,
        fixture_bytes("contract-validation-response.json"),
        "application/json",
        ValidationError,
        "validation",
        ["basketItems[0].sku", "description"],
    ),
    (
        400,
        b'{"error":{"message":"Malformed JSON","code":"bad_request","fields":[]}}',
        "application/json",
        ValidationError,
        "bad_request",
        [],
    ),
    (
        409,
        b'{"error":{"message":"Conflict","code":"conflict","fields":[]}}',
        "application/json",
        ApiError,
        "conflict",
        [],
    ),
    (
        429,
        fixture_bytes("contract-too-many-requests-response.json"),
        "application/json",
        RateLimited,
        None,
        [],
    ),
    (418, b'{"message":"no error envelope"}', "application/json", ApiError, None, []),
    (
        200,
        b'{"error":{"message":"Odd","code":"odd","fields":[]}}',
        "application/json",
        ApiError,
        "odd",
        [],
    ),
]
ERROR_IDS = [
    "401",
    "403",
    "404",
    "422-amount",
    "422-validation",
    "400",
    "409",
    "429",
    "4xx-without-envelope",
    "200-with-error",
]


@pytest.fixture
def one_shot(mocked, sleeps, calls):
    """A client that makes one attempt, so the error of that attempt is what we see."""
    return InvoiceboxClient(
        BASE_URL, TOKEN, max_retries=1, sleep=sleeps.append, on_call=calls.append
    )


@pytest.mark.parametrize(
    ("status", "body", "ctype", "cls", "code", "fields"), ERRORS, ids=ERROR_IDS
)
def test_read_errors(one_shot, mocked, status, body, ctype, cls, code, fields):
    mocked.get(
        ORDERS, body=body, status=status, content_type=ctype, headers={"X-Request-Id": "req-read-1"}
    )
    with pytest.raises(cls) as caught:
        one_shot.find_orders()
    error = caught.value
    assert type(error) is cls
    assert (error.http_status, error.code, error.request_id) == (status, code, "req-read-1")
    assert [f.name for f in error.fields] == fields
    assert "req-read-1" in str(error)
    assert TOKEN not in str(error) and TOKEN not in repr(error)


def test_field_entries_keep_code_and_message(one_shot, mocked):
    mocked.get(
        ORDERS,
        body=fixture_bytes("contract-validation-response.json"),
        status=422,
        content_type="application/json",
    )
    with pytest.raises(ValidationError) as caught:
        one_shot.find_orders()
    assert caught.value.message == "Validation error"
    assert [(f.code, f.message) for f in caught.value.fields] == [
        ("wrong_value", "Unknown sku"),
        ("required", "This value should not be blank."),
    ]


@pytest.mark.parametrize(
    ("status", "body", "ctype", "cls", "code", "fields"), ERRORS, ids=ERROR_IDS
)
def test_a_4xx_on_a_write_is_a_definite_rejection(
    one_shot, mocked, status, body, ctype, cls, code, fields
):
    mocked.post(
        CREATE,
        body=body,
        status=status,
        content_type=ctype,
        headers={"X-Request-Id": "req-write-1"},
    )
    with pytest.raises(cls) as caught:
        one_shot.create_order(order_request())
    assert not isinstance(caught.value, UnknownOutcome)
    assert (caught.value.code, caught.value.request_id) == (code, "req-write-1")


def test_rate_limited_carries_retry_after(one_shot, mocked):
    mocked.get(
        ORDERS,
        body=fixture_bytes("contract-too-many-requests-response.json"),
        status=429,
        headers={"Retry-After": "120"},
        content_type="application/json",
    )
    with pytest.raises(RateLimited) as caught:
        one_shot.find_orders()
    assert caught.value.retry_after == 120.0


def test_codeless_429_and_500_are_classified_by_their_status(one_shot, mocked, calls):
    """The docs give 429 and 500 no error code (CONTRACT §1.5, §2.11): a body with only a
    message still makes a rate limit with its Retry-After, and a write of unknown outcome."""
    mocked.get(
        ORDERS,
        body=b'{"error":{"message":"Too Many Requests"}}',
        status=429,
        headers={"Retry-After": "4"},
        content_type="application/json",
    )
    mocked.post(
        CREATE,
        body=b'{"error":{"message":"Internal Server Error"}}',
        status=500,
        content_type="application/json",
    )
    with pytest.raises(RateLimited) as limited:
        one_shot.find_orders()
    assert (limited.value.code, limited.value.retry_after) == (None, 4.0)
    assert limited.value.message == "Too Many Requests"
    with pytest.raises(UnknownOutcome) as unknown:
        one_shot.create_order(order_request())
    assert (unknown.value.http_status, unknown.value.code) == (500, None)
    assert [(c.outcome, c.error_code) for c in calls] == [
        ("error", "http_429"),
        ("unknown", "http_500"),
    ]


@pytest.mark.parametrize(
    ("status", "body", "ctype", "read_cls", "code"),
    [
        (
            500,
            fixture_bytes("contract-server-error-response.json"),
            "application/json",
            ServerError,
            None,
        ),
        (
            503,
            b'{"error":{"message":"Down","code":"unavailable"}}',
            "application/json",
            ServerError,
            "unavailable",
        ),
        (502, HTML_502, "text/html", TransportError, "non_json_response"),
        (200, HTML_502, "text/html", TransportError, "non_json_response"),
        (200, b'{"result": "ok"}', "application/json", ProtocolError, "wrong_response"),
        (200, b"[]", "application/json", ProtocolError, "wrong_response"),
    ],
    ids=["500", "503", "html-502", "html-200", "json-without-data", "json-list"],
)
def test_unreadable_or_server_errors(one_shot, mocked, status, body, ctype, read_cls, code):
    """A read gets the precise class; a write gets UnknownOutcome, since it may have run."""
    headers = {"X-Request-Id": "req-5xx"}
    mocked.get(ORDERS, body=body, status=status, content_type=ctype, headers=headers)
    mocked.post(CREATE, body=body, status=status, content_type=ctype, headers=headers)
    with pytest.raises(read_cls) as read_error:
        one_shot.find_orders()
    assert type(read_error.value) is read_cls
    assert (read_error.value.code, read_error.value.request_id) == (code, "req-5xx")
    with pytest.raises(UnknownOutcome) as write_error:
        one_shot.create_order(order_request())
    assert (write_error.value.http_status, write_error.value.request_id) == (status, "req-5xx")
    assert len(mocked.calls) == 2


def test_html_4xx_from_a_proxy_on_a_write_is_definite(one_shot, mocked):
    mocked.post(
        CREATE,
        body=b"<html>413 Request Entity Too Large</html>",
        status=413,
        content_type="text/html",
    )
    with pytest.raises(TransportError) as caught:
        one_shot.create_order(order_request())
    assert not isinstance(caught.value, UnknownOutcome)


def test_connection_errors_never_show_the_token(one_shot, mocked):
    mocked.get(ORDERS, body=requests.ConnectionError(f"boom with {TOKEN} inside"))
    with pytest.raises(TransportError) as caught:
        one_shot.find_orders()
    assert TOKEN not in str(caught.value)
    assert caught.value.code == "connection_error"


def test_the_hierarchy_callers_rely_on():
    assert issubclass(UnknownOutcome, TransportError)
    for cls in (TransportError, ProtocolError, ApiError, InvalidRequest):
        assert issubclass(cls, InvoiceboxError)
    for cls in (AuthError, NotFound, ValidationError, RateLimited, ServerError):
        assert issubclass(cls, ApiError)
    assert issubclass(BasketError, InvalidRequest) and issubclass(BasketError, ValueError)
