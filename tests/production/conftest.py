"""Fixtures for the production-footing tests: the shop under gunicorn on PostgreSQL.

Starting gunicorn with its workers, and preparing a database with the shop's commands, takes
a few seconds, so one shop serves every test of a module. Tests stay independent by working
on orders of their own.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import fresh_postgres_database
from tests.support.sandbox import SandboxProcess

from .live import ProductionShop


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database per module, as the shop that uses it is."""
    with fresh_postgres_database("storefront_prod") as url:
        yield url


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    """The gateway. Its API rate limit is off: a race test sends dozens of calls within
    a second, and a 429 on a create (never retried) would hide what is being tested."""
    with SandboxProcess(tmp_path_factory.mktemp("sandbox"),
                        config={"rate_limit": {"enabled": False}}) as process:
        yield process


@pytest.fixture(scope="module")
def shop_env() -> dict[str, str]:
    """Settings the module's shop runs with besides the production ones; a module that
    wants some defines its own ``shop_env``."""
    return {}


@pytest.fixture(scope="module")
def live_shop(tmp_path_factory: pytest.TempPathFactory, postgres_url: str,
              sandbox: SandboxProcess, shop_env: dict[str, str]) -> Iterator[ProductionShop]:
    """The shop under gunicorn, production mode, several workers, ready to serve."""
    shop = ProductionShop(tmp_path_factory.mktemp("shop"), postgres_url, sandbox)
    shop.env.update(shop_env)
    with shop:
        yield shop
