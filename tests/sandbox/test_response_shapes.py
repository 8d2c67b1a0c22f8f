"""Answers only the sandbox's scenarios can provoke, and the shape check itself (the shapes of
ordinary answers are checked in ``tests/contract/test_response_shapes.py``)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.support.sandbox import SandboxProcess

from .helpers import FIXTURES, Api, decoded, missing

pytestmark = pytest.mark.usefixtures("fresh")


@pytest.mark.parametrize(("scenario", "name"), [
    ("api_429", "contract-too-many-requests-response.json"),
    ("api_500", "contract-server-error-response.json"),
])
def test_scenario_error_bodies(api: Api, sandbox: SandboxProcess, scenario: str,
                               name: str) -> None:
    sandbox.scenario(scenario)
    response = api.call("GET", "filter/api/order/order")
    recorded = json.loads((FIXTURES / name).read_text(), parse_float=Decimal)

    assert decoded(response) == recorded  # exactly: no invented error code (CONTRACT §1.5)


def test_the_shape_check_notices_differences() -> None:
    real = {"data": {"id": "x", "amount": 1.5, "items": [{"sku": "a"}], "paid": None}}

    assert missing(real, {"data": {"id": "x", "amount": 2, "items": [{"sku": "b"}],
                                   "paid": None, "extra": 1}}) == []
    assert missing(real, {"data": {"id": 1, "amount": "2", "items": [], "paid": None}}) == [
        "$.data.id: string expected, got number", "$.data.amount: number expected, got string",
        "$.data.items: empty array, expected elements"]
    assert missing(real, {"data": {"amount": 2, "items": [{}], "paid": None}}) == [
        "$.data.id: missing", "$.data.items[0].sku: missing"]
