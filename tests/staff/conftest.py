"""Fixtures of the staff area's tests: a staff member and a client signed in as them."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from storefront.extensions import db
from storefront.staff.accounts import create_staff
from tests.support.sandbox import SandboxProcess

from .helpers import STAFF_EMAIL, STAFF_PASSWORD, sign_in
from .live import NOWHERE, ShopOnSandbox


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


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """One sandbox process per test module. Refunds complete when a test says so."""
    with SandboxProcess(tmp_path_factory.mktemp("sandbox"),
                        env={"SANDBOX_REFUND_DELAY": "60"}) as process:
        yield process


@pytest.fixture
def shop(make_app, sandbox) -> ShopOnSandbox:
    """The shop on the sandbox; notifications to it are lost (see ``live.NOWHERE``)."""
    sandbox.clear_scenarios()
    return ShopOnSandbox(make_app(INVOICEBOX_API_URL=sandbox.url, STOREFRONT_PUBLIC_URL=NOWHERE),
                    sandbox)
