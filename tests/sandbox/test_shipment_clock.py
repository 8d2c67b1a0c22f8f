"""Shipments advance on the sandbox's clock: draft → pending → completed, one step per
``SANDBOX_SHIPMENT_DELAY`` seconds, with the receipt issued at the end."""

from __future__ import annotations

import pytest

from tests.support.sandbox import SandboxProcess

from .helpers import Api, eventually, line

pytestmark = pytest.mark.usefixtures("fresh")


@pytest.fixture(scope="module")
def sandbox_env() -> dict[str, str]:
    return {"SANDBOX_SHIPMENT_DELAY": "0.5"}


def test_a_shipment_completes_on_its_own(api: Api, sandbox: SandboxProcess) -> None:
    order = api.create_order(lines=[line("a", "100.00")])
    sandbox.control(f"orders/{order['id']}/pay")
    shipment = api.ok("POST", "billing/api/order/shipment",
                      {"orderId": order["id"], "basketItems": [line("a", "100.00")]})
    assert shipment["status"] == "draft"

    def completed() -> dict | None:
        [view] = sandbox.get(f"api/shipments?orderId={order['id']}")["data"]
        return view if view["status"] == "completed" else None

    view = eventually(completed, timeout=15)
    assert [d["kind"] for d in view["documents"]] == ["receipt"]
