"""Headers, timeouts, the retry policy for reads, no retries for writes, the on_call hook."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime as http_date

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from storefront.invoicebox import (
    InvoiceboxClient,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    UnknownOutcome,
)

from .support import BASE_URL, TOKEN, USER_AGENT_PATTERN, fixture_bytes, order_request, url

ORDERS = url("/v3/filter/api/order/order")
CREATE = url("/v3/billing/api/order/order")
ONE_ORDER = url("/v3/billing/api/order/order/017f2c3c-e880-4a08-abc6-7bd3117eea2d")
ORDER_LIST = fixture_bytes("success-get-order-response.json")
CREATED = fixture_bytes("success-create-order-response.json")
SERVER_ERROR = fixture_bytes("contract-server-error-response.json")
TOO_MANY = fixture_bytes("contract-too-many-requests-response.json")


def ok(mocked, method, address, body, request_id="req-ok"):
    mocked.add(
        method,
        address,
        body=body,
        status=200,
        content_type="application/json",
        headers={"X-Request-Id": request_id},
    )


def refused() -> requests.ConnectionError:
    """What requests raises when nothing listens on the port: the request never left."""
    reason = NewConnectionError(None, "Failed to establish a new connection: refused")
    return requests.ConnectionError(MaxRetryError(None, "/v3", reason))


# -- headers and timeouts ------------------------------------------------------------


def test_every_call_carries_the_documented_headers(client, mocked):
    ok(mocked, "GET", ORDERS, ORDER_LIST)
    client.find_orders()
    headers = mocked.calls[0].request.headers
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Accept"] == "application/json"
    assert headers["Content-Type"] == "application/json"
    assert re.fullmatch(USER_AGENT_PATTERN, headers["User-Agent"])


def test_the_user_agent_can_be_overridden(mocked):
    ok(mocked, "GET", ORDERS, ORDER_LIST)
    client = InvoiceboxClient(BASE_URL, TOKEN, user_agent="TeaShop/2.1 (invoicebox-python 0.1.0)")
    client.find_orders()
    assert mocked.calls[0].request.headers["User-Agent"] == "TeaShop/2.1 (invoicebox-python 0.1.0)"


def test_default_timeouts_differ_for_reads_and_writes(client, mocked):
    ok(mocked, "GET", ORDERS, ORDER_LIST)
    ok(mocked, "POST", CREATE, CREATED)
    client.find_orders()
    client.create_order(order_request())
    assert mocked.calls[0].request.req_kwargs["timeout"] == (3.05, 12.0)
    assert mocked.calls[1].request.req_kwargs["timeout"] == (3.05, 30.0)


def test_timeouts_are_configurable(mocked):
    ok(mocked, "GET", ORDERS, ORDER_LIST)
    ok(mocked, "POST", CREATE, CREATED)
    client = InvoiceboxClient(BASE_URL, TOKEN, read_timeout=(1, 2), write_timeout=7.5)
    client.find_orders()
    client.create_order(order_request())
    assert [c.request.req_kwargs["timeout"] for c in mocked.calls] == [(1, 2), 7.5]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"api_version": "v4"},
        {"api_version": "V3"},
        {"read_timeout": 0},
        {"write_timeout": (3, -1)},
        {"max_retries": 0},
        {"max_retries": True},
    ],
)
def test_bad_configuration_is_refused(kwargs):
    with pytest.raises(ValueError):
        InvoiceboxClient(BASE_URL, TOKEN, **kwargs)


@pytest.mark.parametrize("base_url", ["api.invoicebox.ru", "ftp://api.invoicebox.ru", "https://"])
def test_base_url_must_be_http(base_url):
    with pytest.raises(ValueError, match="base_url"):
        InvoiceboxClient(base_url, TOKEN)


def test_the_token_is_not_in_the_client_repr():
    client = InvoiceboxClient(BASE_URL + "/", TOKEN)
    assert TOKEN not in repr(client) and BASE_URL in repr(client)
    with pytest.raises(ValueError, match="token"):
        InvoiceboxClient(BASE_URL, "")


def test_an_injected_session_is_used_and_left_open(mocked):
    class CountingSession(requests.Session):
        requests_sent = 0
        closed = False

        def request(self, *args, **kwargs):
            CountingSession.requests_sent += 1
            return super().request(*args, **kwargs)

        def close(self):
            CountingSession.closed = True
            super().close()

    ok(mocked, "GET", ORDERS, ORDER_LIST)
    with InvoiceboxClient(BASE_URL, TOKEN, session=CountingSession()) as client:
        client.find_orders()
    assert CountingSession.requests_sent == 1
    assert CountingSession.closed is False


# -- reads are retried -----------------------------------------------------------------


def test_a_read_is_retried_after_a_connection_error(client, mocked, sleeps):
    mocked.get(ORDERS, body=requests.ConnectionError("connection reset by peer"))
    ok(mocked, "GET", ORDERS, ORDER_LIST)
    assert len(client.find_orders()) == 2
    assert len(mocked.calls) == 2
    assert len(sleeps) == 1 and 0.5 <= sleeps[0] <= 1.0


def test_a_read_is_retried_after_a_timeout(client, mocked, sleeps):
    mocked.get(ORDERS, body=requests.ReadTimeout("read timed out"))
    mocked.get(ORDERS, body=requests.ConnectTimeout("connect timed out"))
    ok(mocked, "GET", ORDERS, ORDER_LIST)
    client.find_orders()
    assert len(mocked.calls) == 3
    assert 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0


def test_a_read_honours_retry_after_seconds(client, mocked, sleeps):
    mocked.get(
        ORDERS,
        body=TOO_MANY,
        status=429,
        headers={"Retry-After": "7"},
        content_type="application/json",
    )
    ok(mocked, "GET", ORDERS, ORDER_LIST)
    client.find_orders()
    assert sleeps == [7.0]


def test_a_read_honours_retry_after_as_an_http_date(client, mocked, sleeps):
    when = datetime.now(UTC) + timedelta(seconds=20)
    mocked.get(
        ORDERS,
        body=TOO_MANY,
        status=429,
        content_type="application/json",
        headers={"Retry-After": http_date(when, usegmt=True)},
    )
    ok(mocked, "GET", ORDERS, ORDER_LIST)
    client.find_orders()
    assert len(sleeps) == 1 and 18.0 <= sleeps[0] <= 20.0


def test_a_retry_after_beyond_the_cap_gives_up_at_once(client, mocked, sleeps):
    mocked.get(
        ORDERS,
        body=TOO_MANY,
        status=429,
        headers={"Retry-After": "3600"},
        content_type="application/json",
    )
    with pytest.raises(RateLimited) as caught:
        client.find_orders()
    assert caught.value.retry_after == 3600.0
    assert sleeps == [] and len(mocked.calls) == 1


def test_a_429_without_retry_after_backs_off(client, mocked, sleeps):
    mocked.get(ORDERS, body=TOO_MANY, status=429, content_type="application/json")
    ok(mocked, "GET", ORDERS, ORDER_LIST)
    client.find_orders()
    assert len(sleeps) == 1 and 0.5 <= sleeps[0] <= 1.0


def test_a_read_is_retried_on_5xx_and_gives_up_after_max_attempts(client, mocked, sleeps, calls):
    for request_id in ("req-a", "req-b", "req-c"):
        mocked.get(
            ORDERS,
            body=SERVER_ERROR,
            status=500,
            content_type="application/json",
            headers={"X-Request-Id": request_id},
        )
    with pytest.raises(ServerError) as caught:
        client.find_orders()
    assert len(mocked.calls) == 3
    assert caught.value.request_id == "req-c"
    assert len(sleeps) == 2 and 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0
    assert [(c.attempt, c.request_id, c.outcome) for c in calls] == [
        (1, "req-a", "error"),
        (2, "req-b", "error"),
        (3, "req-c", "error"),
    ]


def test_an_html_502_from_a_proxy_is_retried(client, mocked, sleeps):
    mocked.get(ORDERS, body=b"<html>502 Bad Gateway</html>", status=502, content_type="text/html")
    ok(mocked, "GET", ORDERS, ORDER_LIST)
    assert len(client.find_orders()) == 2


def test_max_retries_is_the_number_of_attempts(mocked, sleeps):
    client = InvoiceboxClient(BASE_URL, TOKEN, max_retries=5, sleep=sleeps.append)
    mocked.get(ORDERS, body=SERVER_ERROR, status=503, content_type="application/json")
    with pytest.raises(ServerError):
        client.find_orders()
    assert len(mocked.calls) == 5
    assert len(sleeps) == 4 and all(s <= 8.0 for s in sleeps)  # backoff is capped


def test_a_definite_4xx_read_is_not_retried(client, mocked, sleeps):
    mocked.get(
        ORDERS,
        body=fixture_bytes("contract-not-found-response.json"),
        status=404,
        content_type="application/json",
    )
    with pytest.raises(NotFound):
        client.find_orders()
    assert len(mocked.calls) == 1 and sleeps == []


# -- writes are never retried ----------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "address", "call"),
    [
        ("POST", CREATE, lambda c: c.create_order(order_request())),
        ("DELETE", ONE_ORDER, lambda c: c.cancel_order("017f2c3c-e880-4a08-abc6-7bd3117eea2d")),
    ],
    ids=["POST", "DELETE"],
)
@pytest.mark.parametrize(
    "failure",
    [
        {"body": SERVER_ERROR, "status": 500, "content_type": "application/json"},
        {"body": b"<html>504 Gateway Time-out</html>", "status": 504, "content_type": "text/html"},
        {"body": requests.ReadTimeout("read timed out")},
        {"body": requests.ConnectionError("Connection aborted: RemoteDisconnected")},
        {"body": requests.exceptions.ChunkedEncodingError("connection broken")},
    ],
    ids=["500", "html-504", "read-timeout", "reset", "broken-body"],
)
def test_a_write_is_sent_once_and_its_outcome_is_unknown(
    client, mocked, sleeps, calls, method, address, call, failure
):
    mocked.add(method, address, **failure)
    mocked.add(method, address, body=CREATED, status=200, content_type="application/json")
    with pytest.raises(UnknownOutcome):
        call(client)
    assert len(mocked.calls) == 1
    assert sleeps == []
    assert [(c.method, c.outcome, c.attempt) for c in calls] == [(method, "unknown", 1)]


@pytest.mark.parametrize(
    "failure",
    [refused(), requests.ConnectTimeout("connect timed out")],
    ids=["refused", "connect-timeout"],
)
def test_a_write_that_never_left_is_a_definite_transport_error(client, mocked, calls, failure):
    mocked.post(CREATE, body=failure)
    with pytest.raises(TransportError) as caught:
        client.create_order(order_request())
    assert not isinstance(caught.value, UnknownOutcome)
    assert len(mocked.calls) == 1 and calls[0].outcome == "error"


def test_a_429_on_a_write_is_not_retried(client, mocked, sleeps):
    mocked.post(
        CREATE,
        body=TOO_MANY,
        status=429,
        headers={"Retry-After": "1"},
        content_type="application/json",
    )
    with pytest.raises(RateLimited):
        client.create_order(order_request())
    assert len(mocked.calls) == 1 and sleeps == []


def test_a_write_does_not_follow_redirects(client, mocked):
    mocked.post(CREATE, status=307, headers={"Location": url("/v3/elsewhere")})
    mocked.post(url("/v3/elsewhere"), body=CREATED, status=200, content_type="application/json")
    with pytest.raises(UnknownOutcome):
        client.create_order(order_request())
    assert [c.request.url for c in mocked.calls] == [CREATE]


def test_a_read_does_follow_redirects(client, mocked):
    # The counterpart of the test above: proves the fake would have followed one.
    mocked.get(ORDERS, status=307, headers={"Location": url("/v3/elsewhere")})
    ok(mocked, "GET", url("/v3/elsewhere"), ORDER_LIST)
    assert len(client.find_orders()) == 2
    assert [c.request.url for c in mocked.calls] == [ORDERS, url("/v3/elsewhere")]


# -- the on_call observer --------------------------------------------------------------


def test_the_observer_sees_every_attempt_with_its_request_id(client, mocked, calls):
    mocked.get(
        ORDERS,
        body=SERVER_ERROR,
        status=502,
        content_type="application/json",
        headers={"X-Request-Id": "req-1"},
    )
    mocked.get(ORDERS, body=requests.ConnectionError("reset"))
    ok(mocked, "GET", ORDERS, ORDER_LIST, request_id="req-3")
    ok(mocked, "POST", CREATE, CREATED, request_id="req-4")
    client.find_orders()
    client.create_order(order_request())
    summary = [
        (c.method, c.path, c.http_status, c.request_id, c.outcome, c.error_code, c.attempt)
        for c in calls
    ]
    assert summary == [
        ("GET", "/v3/filter/api/order/order", 502, "req-1", "error", "http_502", 1),
        ("GET", "/v3/filter/api/order/order", None, None, "error", "connection_error", 2),
        ("GET", "/v3/filter/api/order/order", 200, "req-3", "ok", None, 3),
        ("POST", "/v3/billing/api/order/order", 200, "req-4", "ok", None, 1),
    ]
    assert all(c.duration_ms >= 0 for c in calls)


def test_a_failing_observer_never_breaks_the_call(mocked, caplog):
    def explode(record):
        raise RuntimeError("the journal is down")

    ok(mocked, "GET", ORDERS, ORDER_LIST)
    client = InvoiceboxClient(BASE_URL, TOKEN, on_call=explode)
    with caplog.at_level(logging.ERROR, logger="storefront.invoicebox"):
        assert len(client.find_orders()) == 2
    assert "on_call observer failed" in caplog.text
