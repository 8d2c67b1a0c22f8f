"""API scenarios (500, 429, slow answers) and the rate limits of CONTRACT §1.5."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from tests.support.receiver import NotificationReceiver
from tests.support.sandbox import DEMO_MERCHANT_ID, SandboxError, SandboxProcess

from .helpers import Api, eventually, order_body

ORDERS = "billing/api/order/order"
SECOND_TOKEN = "e" * 32

pytestmark = pytest.mark.usefixtures("fresh")


@pytest.fixture(scope="module")
def sandbox_config(receiver: NotificationReceiver) -> dict[str, Any]:
    # Small limits so a test can reach them; the IP limit sits above the account limit.
    return {
        "merchants": [{"id": DEMO_MERCHANT_ID, "notification_url": receiver.url},
                      {"id": "0188d934-0000-7000-8000-0000000000bb", "token": SECOND_TOKEN,
                       "notification_key": "k"}],
        "rate_limit": {"account": "6/3", "ip": "10/3"},
    }


def test_api_500_answers_without_doing_anything(api: Api, sandbox: SandboxProcess) -> None:
    sandbox.scenario("api_500", path="/order/order", method="POST")
    body = order_body()
    failed = api.call("POST", ORDERS, body)

    assert failed.status_code == 500
    # docs/dictionary/error.md gives 500 no code; the PHP SDK reads a code-less error as its
    # InternalException, and an invented code as a rejected request.
    assert failed.json() == {"error": {"message": "Internal Server Error", "fields": []}}
    assert failed.headers["X-Request-Id"]
    assert api.ok("GET", f"filter/api/order/order?merchantOrderId={body['merchantOrderId']}"
                  ) == []
    assert api.call("POST", ORDERS, body).status_code == 200  # only the next one failed


def test_api_429_scenario_sends_retry_after(api: Api, sandbox: SandboxProcess) -> None:
    sandbox.scenario("api_429", count=2, seconds=7)
    answers = [api.call("GET", "security/api/auth/auth") for _ in range(3)]

    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].headers["Retry-After"] == "7"
    assert answers[0].json() == {"error": {"message": "Too Many Requests", "fields": []}}


def test_api_timeout_scenario_still_performs_the_write(api: Api,
                                                       sandbox: SandboxProcess) -> None:
    sandbox.scenario("api_timeout", seconds=1.5, method="POST")
    body = order_body()
    with pytest.raises(requests.Timeout):
        api.call("POST", ORDERS, body, timeout=0.5)

    # the read goes through /_sandbox so that polling does not eat into the rate limit
    found = eventually(lambda: sandbox.get(
        f"api/orders?merchantOrderId={body['merchantOrderId']}")["data"], timeout=5)
    assert [o["status"] for o in found] == ["created"]


def test_scenario_filters_and_listing(sandbox: SandboxProcess, api: Api) -> None:
    sandbox.scenario("api_500", count=3, method="DELETE")
    listed = sandbox.get("scenarios")

    assert [(s["name"], s["remaining"], s["method"]) for s in listed["data"]] == [
        ("api_500", 3, "DELETE")]
    assert "notification_twice" in listed["known"]
    assert api.call("GET", "security/api/auth/auth").status_code == 200  # GET unaffected
    assert sandbox.clear_scenarios() == {"cleared": 1}
    assert sandbox.get("scenarios")["data"] == []


@pytest.mark.parametrize("bad", [{"name": "api_418"}, {"name": "api_500", "count": 0},
                                 {"name": "api_500", "seconds": -1}])
def test_bad_scenarios_are_refused(sandbox: SandboxProcess, bad: dict) -> None:
    with pytest.raises(SandboxError, match="422"):
        sandbox.control("scenarios", bad)


def test_account_limit(sandbox: SandboxProcess) -> None:
    api = Api(sandbox.url, sandbox.token)
    codes = [api.call("GET", "security/api/auth/auth").status_code for _ in range(7)]
    limited = api.call("GET", "filter/api/order/order")
    other = Api(sandbox.url, SECOND_TOKEN).call("GET", "security/api/auth/auth")

    assert codes == [200] * 6 + [429]
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 3
    assert limited.json() == {"error": {"message": "Too Many Requests", "fields": []}}
    assert limited.headers["X-Request-Id"]
    assert other.status_code == 200  # another account has its own window


def test_ip_limit_covers_every_token(sandbox: SandboxProcess) -> None:
    first, second = Api(sandbox.url, sandbox.token), Api(sandbox.url, SECOND_TOKEN)
    codes = [api.call("GET", "security/api/auth/auth").status_code
             for api in (first, second) * 5]
    anonymous = Api(sandbox.url, None).call("GET", "security/api/auth/auth")

    assert codes == [200] * 10 and anonymous.status_code == 429


def test_the_window_slides(sandbox: SandboxProcess) -> None:
    api = Api(sandbox.url, sandbox.token)
    for _ in range(6):
        api.call("GET", "security/api/auth/auth")
    assert api.call("GET", "security/api/auth/auth").status_code == 429

    time.sleep(3.1)
    assert api.call("GET", "security/api/auth/auth").status_code == 200


def test_limits_can_be_switched_off(tmp_path) -> None:
    with SandboxProcess(tmp_path, config={"rate_limit": {"account": "1/30",
                                                         "enabled": False}}) as sandbox:
        api = Api(sandbox.url, sandbox.token)
        codes = {api.call("GET", "security/api/auth/auth").status_code for _ in range(5)}

    assert codes == {200}


def test_controls_and_pages_are_not_limited(sandbox: SandboxProcess) -> None:
    for _ in range(15):
        sandbox.get("health")


def test_counters_count_api_requests_per_method_and_path(sandbox: SandboxProcess) -> None:
    sandbox.reset()
    api = Api(sandbox.url, sandbox.token)
    api.call("GET", "filter/api/order/order", params={"id": "nope"})
    api.call("GET", "filter/api/order/order", params={"merchantOrderId": "1-1"})
    api.call("GET", "security/api/auth/auth")

    assert sandbox.get("api/counters") == {
        "GET /v3/filter/api/order/order": 2, "GET /v3/security/api/auth/auth": 1}
    sandbox.reset()
    assert sandbox.get("api/counters") == {}
