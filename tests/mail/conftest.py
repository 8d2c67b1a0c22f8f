"""Fixtures of the mail tests: a real SMTP catcher on a free port, and the shop sending to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from storefront.extensions import db
from storefront.models import OutboxMessage
from tests.support.mail import Catcher, smtp_settings


@pytest.fixture
def catcher(tmp_path) -> Iterator[Catcher]:
    with Catcher(tmp_path / "caught") as running:
        yield running


@pytest.fixture
def mail_app(make_app, catcher):
    return make_app(**smtp_settings(catcher.port))


def outbox(app) -> list[OutboxMessage]:
    """Every outbox row, oldest first, detached from the session."""
    with app.app_context():
        rows = list(db.session.execute(
            db.select(OutboxMessage).order_by(OutboxMessage.id)).scalars())
        for row in rows:
            db.session.expunge(row)
        return rows
