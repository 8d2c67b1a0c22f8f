"""Fixtures of the contract suite: one target API for the whole session.

Without ``CONTRACT_API_URL`` the target is a fresh local sandbox, started once. With
``CONTRACT_API_URL``, ``CONTRACT_TOKEN`` and ``CONTRACT_MERCHANT_ID`` (and optionally
``CONTRACT_API_VERSION``, ``v3`` by default) it is that API, e.g. the real one with the public
demo shop's credentials; ``make contract`` sets these from ``INVOICEBOX_API_URL``,
``INVOICEBOX_TOKEN``, ``INVOICEBOX_MERCHANT_ID`` and ``INVOICEBOX_API_VERSION``.

Tests reach the target only through the API. What needs a payment asks ``target.pay``, which
pays through the sandbox's controls and skips the test anywhere else. Every order the suite
creates is canceled when the session ends.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.support.sandbox import SandboxProcess

from .client import ContractApi


@dataclass
class Target:
    url: str
    token: str
    merchant_id: str
    prefix: str
    sandbox: SandboxProcess | None
    run: str  # a prefix of this session's merchantOrderIds, to find its own orders

    def pay(self, order_id: str) -> None:
        """Pay an order as the buyer would; skips the test where no one can pay."""
        if self.sandbox is None:
            pytest.skip("needs a payment, which only the sandbox can make on its own")
        self.sandbox.control(f"orders/{order_id}/pay")


@pytest.fixture(scope="session")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    run = f"CT{uuid.uuid4().hex[:6]}"
    url = os.environ.get("CONTRACT_API_URL", "").rstrip("/")
    if url:
        token = os.environ.get("CONTRACT_TOKEN", "")
        merchant_id = os.environ.get("CONTRACT_MERCHANT_ID", "")
        if not token or not merchant_id:
            raise pytest.UsageError("CONTRACT_API_URL needs CONTRACT_TOKEN and "
                                    "CONTRACT_MERCHANT_ID as well")
        yield Target(url, token, merchant_id, os.environ.get("CONTRACT_API_VERSION", "v3"),
                     None, run)
        return
    # The suite paces itself for the real API's limits; the local sandbox need not count.
    config = {"rate_limit": {"enabled": False}}
    with SandboxProcess(tmp_path_factory.mktemp("contract-sandbox"), config=config) as sandbox:
        yield Target(sandbox.url, sandbox.token, sandbox.merchant_id, "v3", sandbox, run)


@pytest.fixture(scope="session")
def api(target: Target) -> Iterator[ContractApi]:
    client = ContractApi(target.url, target.token, target.prefix, target.merchant_id,
                         paced=target.sandbox is None)
    yield client
    client.cancel_created()
