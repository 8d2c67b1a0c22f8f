"""Authentication, the response envelope and headers every answer carries."""

from __future__ import annotations

import pytest
import requests
from urllib3.util import SKIP_HEADER

from tests.support.sandbox import SandboxProcess

from .helpers import Api, order_body

AUTH = "security/api/auth/auth"
BUSINESS_ENDPOINTS = [
    ("POST", "billing/api/order/order"),
    ("GET", "filter/api/order/order"),
    ("GET", "billing/api/order/order/00000000-0000-0000-0000-000000000000"),
    ("PUT", "billing/api/order/order/00000000-0000-0000-0000-000000000000"),
    ("DELETE", "billing/api/order/order/00000000-0000-0000-0000-000000000000"),
    ("GET", "billing/api/order/order/00000000-0000-0000-0000-000000000000/refund-basket-item"),
    ("POST", "billing/api/order/refund-order"),
    ("GET", "filter/api/order/refund-order"),
    ("POST", "billing/api/order/correction-order"),
    ("POST", "billing/api/order/shipment"),
    ("GET", "filter/api/order/shipment"),
    ("GET", "billing/api/order/shipment"),
]

pytestmark = pytest.mark.usefixtures("fresh")


@pytest.mark.parametrize("prefix", ["v3", "l3"])
def test_auth_check_with_a_valid_token(sandbox: SandboxProcess, prefix: str) -> None:
    response = Api(sandbox.url, sandbox.token, prefix).call("GET", AUTH)

    assert response.status_code == 200
    body = response.json()
    assert body["extendedData"] == []
    assert body["data"]["profile"] is None and body["data"]["accessToken"] is None
    assert len(body["data"]["userId"]) == 36


def test_auth_check_without_a_token_is_anonymous(sandbox: SandboxProcess) -> None:
    response = Api(sandbox.url, None).call("GET", AUTH)

    assert response.status_code == 200
    assert response.json()["data"] == {"userId": None, "profile": None, "accessToken": None}


@pytest.mark.parametrize("header", ["Bearer 00000000000000000000000000000000", "Basic abc",
                                    "Bearer"])
def test_auth_check_with_a_wrong_token_is_401(sandbox: SandboxProcess, header: str) -> None:
    response = requests.get(f"{sandbox.url}/v3/{AUTH}", headers={"Authorization": header},
                            timeout=10)

    assert response.status_code == 401
    assert response.json() == {"error": {"message": "Unauthorized", "code": "unauthorized",
                                         "fields": []}}


@pytest.mark.parametrize(("method", "path"), BUSINESS_ENDPOINTS)
@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_business_endpoints_need_a_valid_token(sandbox: SandboxProcess, method: str, path: str,
                                               token: str | None) -> None:
    response = Api(sandbox.url, token).call(method, path, {} if method in ("POST", "PUT")
                                            else None)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.headers["X-Request-Id"]


def test_every_answer_carries_a_distinct_request_id(api: Api, sandbox: SandboxProcess) -> None:
    answers = [
        api.call("GET", AUTH),
        api.call("POST", "billing/api/order/order", {"merchantId": "x"}),
        api.call("GET", "billing/api/order/order/unknown"),
        api.call("GET", "no/such/endpoint"),
        requests.get(f"{sandbox.url}/_sandbox/health", timeout=10),
        requests.get(f"{sandbox.url}/order/unknown", timeout=10),
    ]

    ids = [a.headers.get("X-Request-Id") for a in answers]
    assert all(ids) and len(set(ids)) == len(ids)
    assert [a.status_code for a in answers] == [200, 422, 404, 404, 200, 404]


def test_unknown_api_paths_and_methods_answer_in_the_envelope(api: Api) -> None:
    missing = api.call("GET", "no/such/endpoint")
    wrong_method = api.call("PATCH", "billing/api/order/order")

    assert missing.json() == {"error": {"message": "Not Found", "code": "not_found",
                                        "fields": []}}
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"


def test_requests_without_user_agent_are_served_and_logged(sandbox: SandboxProcess) -> None:
    # SKIP_HEADER stops urllib3 from adding its own default User-Agent.
    response = requests.get(f"{sandbox.url}/v3/{AUTH}", timeout=10,
                            headers={"Authorization": f"Bearer {sandbox.token}",
                                     "User-Agent": SKIP_HEADER})

    assert response.status_code == 200
    assert "without User-Agent" in sandbox.log_tail(200)


def test_l3_and_v3_share_one_state(sandbox: SandboxProcess) -> None:
    v3, l3 = Api(sandbox.url, sandbox.token, "v3"), Api(sandbox.url, sandbox.token, "l3")
    order = l3.create_order(order_body())

    assert v3.ok("GET", f"billing/api/order/order/{order['id']}")["id"] == order["id"]
