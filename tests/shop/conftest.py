"""Fixtures for the buyer's side: Invoicebox faked at the HTTP boundary, and buyer steps.

``invoicebox`` is a :class:`~tests.support.shop.FakeInvoicebox`: the API's order endpoints
answering with the SDK's real response bodies filled in from the request. Tests switch
what a create does (``invoicebox.create_mode``) and inspect what was sent
(``invoicebox.created``). Nothing in the shop is patched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import responses
from flask.testing import FlaskClient

from tests.support.sandbox import SandboxProcess
from tests.support.shop import PAY_BASE, FakeInvoicebox

__all__ = ["BUYER", "PAY_BASE", "add_to_cart", "buy", "open_checkout", "submit_checkout"]

BUYER = {
    "customer_type": "private",
    "full_name": "Анна Смирнова",
    "email": "anna@example.ru",
    "phone": "+7 (900) 111-22-33",
    "consent": "y",
}


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory) -> Iterator[SandboxProcess]:
    """One real sandbox for the shop's integration tests (started on first use)."""
    with SandboxProcess(tmp_path_factory.mktemp("sandbox")) as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server: SandboxProcess) -> SandboxProcess:
    """The sandbox, wiped: no orders, notifications or scenarios left from other tests."""
    sandbox_server.reset()
    return sandbox_server


@pytest.fixture
def invoicebox() -> Iterator[FakeInvoicebox]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeInvoicebox(mock)


def add_to_cart(client: FlaskClient, slug: str, quantity: int = 1, **extra: Any):
    return client.post("/cart/add", data={"product": slug, "quantity": str(quantity), **extra})


def open_checkout(client: FlaskClient) -> str:
    """GET /checkout and return the form's one-time checkout token."""
    page = client.get("/checkout")
    assert page.status_code == 200
    found = re.search(r'name="checkout_token" type="hidden" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def submit_checkout(client: FlaskClient, token: str, **fields: str):
    return client.post("/checkout", data={**BUYER, **fields, "checkout_token": token})


def buy(client: FlaskClient, items=(("french-press-350", 1),), **fields: str):
    """Cart, checkout page, submit: the answer to "Pay with Invoicebox"."""
    for slug, quantity in items:
        add_to_cart(client, slug, quantity)
    return submit_checkout(client, open_checkout(client), **fields)
