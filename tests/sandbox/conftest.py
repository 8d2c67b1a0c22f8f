"""Fixtures: one real sandbox process and one notification receiver per test module.

A module changes the sandbox's settings by overriding ``sandbox_config`` (or ``sandbox_env``);
tests that need a clean slate use the ``fresh`` fixture (state wiped, receiver emptied).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.receiver import NotificationReceiver
from tests.support.sandbox import DEMO_MERCHANT_ID, SandboxProcess

from .helpers import Api


@pytest.fixture(scope="module")
def receiver() -> Iterator[NotificationReceiver]:
    with NotificationReceiver() as server:
        yield server


@pytest.fixture(scope="module")
def sandbox_config(receiver: NotificationReceiver) -> dict[str, Any]:
    return {"merchants": [{"id": DEMO_MERCHANT_ID, "notification_url": receiver.url}]}


@pytest.fixture(scope="module")
def sandbox_env() -> dict[str, str]:
    return {}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory, sandbox_config: dict[str, Any],
            sandbox_env: dict[str, str]) -> Iterator[SandboxProcess]:
    with SandboxProcess(tmp_path_factory.mktemp("sandbox"), config=sandbox_config,
                        env=sandbox_env) as process:
        yield process


@pytest.fixture
def fresh(sandbox: SandboxProcess, receiver: NotificationReceiver) -> SandboxProcess:
    sandbox.reset()
    receiver.clear()
    return sandbox


@pytest.fixture
def api(sandbox: SandboxProcess) -> Api:
    return Api(sandbox.url, sandbox.token)
