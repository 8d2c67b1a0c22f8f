"""Fixtures for the shop's tests: an app on a fresh database, its client and CLI runner.

Unit tests fake Invoicebox at the HTTP boundary (the ``responses`` library, at
``FAKE_API_URL``); integration tests run the sandbox as a real server
(``tests/support/sandbox.py``).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient

from storefront import create_app
from storefront.extensions import db
from storefront.schema import upgrade

FAKE_API_URL = "http://invoicebox.test"
DEMO_TOKEN = "b37c4c689295904ed21eee5d9a48d42e"
DEMO_MERCHANT_ID = "ffffffff-ffff-ffff-ffff-ffffffffffff"
DEMO_NOTIFICATION_KEY = "098f6bcd4621d373cade4e832627b4f6"


def test_config(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    """The configuration every test app starts from; override what a test needs."""
    config: dict[str, Any] = {
        "TESTING": True,
        "STOREFRONT_MODE": "production",
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'shop.db'}",
        "WTF_CSRF_ENABLED": False,
        "INVOICEBOX_API_URL": FAKE_API_URL,
        "INVOICEBOX_API_VERSION": "v3",
        "INVOICEBOX_TOKEN": DEMO_TOKEN,
        "INVOICEBOX_MERCHANT_ID": DEMO_MERCHANT_ID,
        "INVOICEBOX_NOTIFICATION_KEY": DEMO_NOTIFICATION_KEY,
        "INVOICEBOX_SIGNATURE_ALGORITHM": "sha1",
        "INVOICEBOX_READ_TIMEOUT": 5,
        "INVOICEBOX_WRITE_TIMEOUT": 5,
        "STOREFRONT_PUBLIC_URL": "http://shop.test",
        "STOREFRONT_ORDER_TTL_HOURS": 24,
        "SESSION_COOKIE_SECURE": False,
    }
    config.update(overrides)
    return config


test_config.__test__ = False  # not a test, despite its name


class EnglishClient(FlaskClient):
    """A test client whose browser asks for English (the shop's default is Russian).

    Most tests read the pages' English words; a test of the Russian shop says so with
    ``headers={"Accept-Language": "ru"}`` or the ``lang`` cookie, as a browser would.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.environ_base.setdefault("HTTP_ACCEPT_LANGUAGE", "en")


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[..., Flask]:
    """Build an app on a fresh, migrated and seeded database, with config overrides."""

    def build(**overrides: Any) -> Flask:
        app = create_app(test_config(tmp_path, **overrides))
        app.test_client_class = EnglishClient
        with app.app_context():
            upgrade()
            from storefront.catalog import seed_catalog

            seed_catalog()
            db.session.commit()
        return app

    return build


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    yield make_app()


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


# PostgreSQL for the tests that prove behaviour under real concurrency. CI starts
# the server; on a developer machine without it those tests are skipped, in CI
# they fail.
TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


@contextmanager
def fresh_postgres_database(prefix: str = "storefront_test") -> Iterator[str]:
    """Create an empty PostgreSQL database, yield its URL, drop it afterwards."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    try:
        admin = psycopg.connect(TEST_DATABASE_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL not reachable at TEST_DATABASE_URL: {error}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = TEST_DATABASE_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def pg_app(make_app: Callable[..., Flask], postgres_url: str) -> Flask:
    """The shop on its own PostgreSQL database, migrated and seeded."""
    from storefront.config import normalise_database_url

    return make_app(SQLALCHEMY_DATABASE_URI=normalise_database_url(postgres_url))
