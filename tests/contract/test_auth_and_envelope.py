"""Authentication, the response envelope and the request id every answer carries."""

from __future__ import annotations

import pytest
import requests

from tests.sandbox.helpers import Api

from .client import ContractApi
from .conftest import Target

pytestmark = pytest.mark.contract

AUTH = "security/api/auth/auth"
NO_ORDER = "00000000-0000-0000-0000-000000000000"
BUSINESS_ENDPOINTS = [
    ("POST", "billing/api/order/order"),
    ("GET", "filter/api/order/order"),
    ("GET", f"billing/api/order/order/{NO_ORDER}"),
    ("PUT", f"billing/api/order/order/{NO_ORDER}"),
    ("DELETE", f"billing/api/order/order/{NO_ORDER}"),
    ("GET", f"billing/api/order/order/{NO_ORDER}/refund-basket-item"),
    ("POST", "billing/api/order/refund-order"),
    ("GET", "filter/api/order/refund-order"),
    ("POST", "billing/api/order/correction-order"),
    ("POST", "billing/api/order/shipment"),
    ("GET", "filter/api/order/shipment"),
]


def anonymous(target: Target, token: str | None) -> Api:
    return Api(target.url, token, target.prefix)


def test_auth_check_with_a_valid_token(api: ContractApi) -> None:
    response = api.call("GET", AUTH)

    assert response.status_code == 200
    body = response.json()
    assert body["extendedData"] == []
    assert len(body["data"]["userId"]) == 36


def test_auth_check_without_a_token_is_anonymous(target: Target) -> None:
    response = anonymous(target, None).call("GET", AUTH)

    assert response.status_code == 200
    assert response.json()["data"]["userId"] is None


@pytest.mark.parametrize("header", ["Bearer 00000000000000000000000000000000", "Basic abc",
                                    "Bearer"])
def test_auth_check_with_a_wrong_token_is_401(target: Target, header: str) -> None:
    response = requests.get(f"{target.url}/{target.prefix}/{AUTH}", timeout=30,
                            headers={"Authorization": header, "User-Agent": "ContractTests/1.0"})

    assert response.status_code == 401
    assert response.json() == {"error": {"message": "Unauthorized", "code": "unauthorized",
                                         "fields": []}}


@pytest.mark.parametrize(("method", "path"), BUSINESS_ENDPOINTS)
@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_business_endpoints_need_a_valid_token(target: Target, method: str, path: str,
                                               token: str | None) -> None:
    response = anonymous(target, token).call(method, path,
                                             {} if method in ("POST", "PUT") else None)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.headers["X-Request-Id"]


def test_every_answer_carries_a_distinct_request_id(api: ContractApi) -> None:
    answers = [
        api.call("GET", AUTH),
        api.call("POST", "billing/api/order/order", {"merchantId": "x"}),
        api.call("GET", "billing/api/order/order/unknown"),
        api.call("GET", "no/such/endpoint"),
    ]

    ids = [a.headers.get("X-Request-Id") for a in answers]
    assert all(ids) and len(set(ids)) == len(ids)
    assert [a.status_code for a in answers] == [200, 422, 404, 404]


def test_unknown_api_paths_and_methods_answer_in_the_envelope(api: ContractApi) -> None:
    missing = api.call("GET", "no/such/endpoint")
    wrong_method = api.call("PATCH", "billing/api/order/order")

    assert missing.json()["error"]["code"] == "not_found"
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"
