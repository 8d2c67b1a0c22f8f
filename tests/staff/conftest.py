"""Fixtures of the staff area's tests: a staff member and a client signed in as them."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from storefront.extensions import db
from storefront.staff.accounts import create_staff
from tests.support.sandbox import SandboxProcess

from .helpers import STAFF_EMAIL, STAFF_PASSWORD, sign_in, signed_in
from .live import ShopOnSandbox, shop_on


@pytest.fixture
def staff(app: Flask):
    with app.app_context():
        member = create_staff(STAFF_EMAIL, STAFF_PASSWORD)
        db.session.commit()
        return member.id


@pytest.fixture
def staff_client(app: Flask, staff: int) -> FlaskClient:
    client = app.test_client()
    response = sign_in(client)
    assert response.status_code == 302
    return client


@pytest.fixture
def staff_on(shop_app: Flask) -> FlaskClient:
    """A client signed in as a new staff member of ``shop_app``, for the modules that run
    on SQLite and PostgreSQL (each defines ``shop_app``)."""
    return signed_in(shop_app)


@pytest.fixture(scope="module")
def sandbox_env() -> dict[str, str]:
    """The sandbox's settings: refunds complete when a test says so. A module that wants
    others defines its own ``sandbox_env``."""
    return {"SANDBOX_REFUND_DELAY": "60"}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory, sandbox_env: dict[str, str]):
    """One sandbox process per test module."""
    with SandboxProcess(tmp_path_factory.mktemp("sandbox"), env=sandbox_env) as process:
        yield process


@pytest.fixture
def shop(make_app, sandbox) -> ShopOnSandbox:
    """The shop on the sandbox; notifications to it are lost (see ``live.NOWHERE``)."""
    return shop_on(make_app, sandbox)
