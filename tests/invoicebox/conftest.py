"""Fixtures for the Invoicebox client tests: a client whose HTTP is faked with responses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from storefront.invoicebox import CallRecord, InvoiceboxClient

from .support import BASE_URL, TOKEN


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    """Fake HTTP at the transport. Every request must match a registered response."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def sleeps() -> list[float]:
    """The delays the client asked for; nothing actually sleeps."""
    return []


@pytest.fixture
def calls() -> list[CallRecord]:
    """What the on_call observer received."""
    return []


@pytest.fixture
def client(
    mocked: responses.RequestsMock, sleeps: list[float], calls: list[CallRecord]
) -> InvoiceboxClient:
    return InvoiceboxClient(BASE_URL, TOKEN, sleep=sleeps.append, on_call=calls.append)
