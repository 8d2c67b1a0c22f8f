"""Throttling of failed sign-ins, counted in the database.

The counts live in ``LoginAttempt`` rather than in memory so that they hold
when the shop runs as several server processes: five wrong passwords for one
email, or twenty from one address, within fifteen minutes, and further attempts
are refused until the oldest of those failures has aged out of the window.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import func

from ..extensions import db
from ..models import LoginAttempt, now_utc

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_ADDRESS = 20


class TooManyAttempts(Exception):
    """Sign-in refused without checking the password; retry after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins; retry in {retry_after} s")
        self.retry_after = retry_after


def check(email: str, remote_addr: str, now: datetime | None = None) -> None:
    """Raise :class:`TooManyAttempts` if this email or address has failed too often.

    Failures for an email that came before its latest successful sign-in do not
    count: the person has proved who they are since.
    """
    now = now or now_utc()
    since = now - WINDOW
    last_success = db.session.execute(
        db.select(func.max(LoginAttempt.created_at)).where(
            LoginAttempt.email == email, LoginAttempt.succeeded.is_(True)
        )
    ).scalar_one_or_none()
    email_since = max(since, last_success) if last_success else since
    waits = [
        _wait(LoginAttempt.email == email, email_since, MAX_FAILURES_PER_EMAIL, now),
        _wait(LoginAttempt.remote_addr == remote_addr, since, MAX_FAILURES_PER_ADDRESS, now),
    ]
    longest = max((wait for wait in waits if wait is not None), default=None)
    if longest is not None:
        raise TooManyAttempts(longest)


def record(email: str, remote_addr: str, succeeded: bool) -> None:
    """Add the attempt to the session (the caller commits)."""
    db.session.add(
        LoginAttempt(email=email[:254], remote_addr=remote_addr[:64], succeeded=succeeded)
    )


def _wait(criterion, since: datetime, limit: int, now: datetime) -> int | None:
    """Seconds until fewer than ``limit`` failures remain in the window; None if already so."""
    failures = (
        db.session.execute(
            db.select(LoginAttempt.created_at)
            .where(criterion, LoginAttempt.succeeded.is_(False), LoginAttempt.created_at > since)
            .order_by(LoginAttempt.created_at.desc())
            .limit(limit)
        )
        .scalars()
        .all()
    )
    if len(failures) < limit:
        return None
    # The oldest of the last ``limit`` failures must leave the window first.
    frees_at = failures[-1] + WINDOW
    return max(1, math.ceil((frees_at - now).total_seconds()))
