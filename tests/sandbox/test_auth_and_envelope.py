"""Authentication and the envelope in the sandbox's own terms: both prefixes, its pages and
controls, its logging (the API-only checks are in ``tests/contract``)."""

from __future__ import annotations

import pytest
import requests
from urllib3.util import SKIP_HEADER

from tests.support.sandbox import SandboxProcess

from .helpers import Api, order_body

AUTH = "security/api/auth/auth"

pytestmark = pytest.mark.usefixtures("fresh")


def test_auth_check_on_either_prefix(sandbox: SandboxProcess) -> None:
    for prefix in ("v3", "l3"):
        response = Api(sandbox.url, sandbox.token, prefix).call("GET", AUTH)

        assert response.status_code == 200
        assert response.json()["data"]["profile"] is None
        assert response.json()["data"]["accessToken"] is None


def test_auth_check_without_a_token_has_every_member_null(sandbox: SandboxProcess) -> None:
    response = Api(sandbox.url, None).call("GET", AUTH)

    assert response.json()["data"] == {"userId": None, "profile": None, "accessToken": None}


def test_request_ids_on_pages_and_controls_too(sandbox: SandboxProcess) -> None:
    answers = [requests.get(f"{sandbox.url}/_sandbox/health", timeout=10),
               requests.get(f"{sandbox.url}/order/unknown", timeout=10)]

    assert [a.status_code for a in answers] == [200, 404]
    assert all(a.headers["X-Request-Id"] for a in answers)


def test_unknown_paths_answer_not_found_with_no_fields(api: Api) -> None:
    assert api.call("GET", "no/such/endpoint").json() == {
        "error": {"message": "Not Found", "code": "not_found", "fields": []}}


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
