"""The sign-in throttle's policy: per (email, address) pair, a growing wait, and guards that
cannot be turned against a staff member at their usual address.

The numbers are the documented policy (5 failures, then 1 minute, doubling up to an hour);
time passes by moving the stored waits into the past, as the clock would.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from storefront.extensions import db
from storefront.models import LoginAttempt, LoginThrottle, now_utc
from storefront.staff.throttle import (
    ACCOUNT,
    ADDRESS,
    PAIR,
    POLICIES,
    Policy,
    Reservation,
    succeeded,
)

from .helpers import STAFF_EMAIL, sign_in

DESK = "10.0.0.8"  # where the staff member signs in every day
ATTACKER = "203.0.113.7"


def _wait_is_over(app) -> None:
    with app.app_context():
        db.session.execute(
            db.update(LoginThrottle).where(LoginThrottle.locked_until.is_not(None))
            .values(locked_until=now_utc() - timedelta(seconds=1)))
        db.session.commit()


def _checked(app, remote_addr: str) -> int:
    """How many passwords were checked for the staff email from this address."""
    with app.app_context():
        return db.session.execute(
            db.select(db.func.count(LoginAttempt.id)).where(
                LoginAttempt.email == STAFF_EMAIL, LoginAttempt.remote_addr == remote_addr)
        ).scalar_one()


def _retry_after(response) -> int:
    assert response.status_code == 429, response.status_code
    return int(response.headers["Retry-After"])


@pytest.mark.parametrize(("failures", "minutes"), [
    (1, None), (4, None), (5, 1), (6, 2), (7, 4), (10, 32), (11, 60), (12, 60), (10_000, 60),
])
def test_the_wait_after_each_failure(failures, minutes):
    wait = POLICIES[PAIR].wait_after(failures)
    assert wait == (timedelta(minutes=minutes) if minutes else None)


def test_the_policies_are_the_documented_ones():
    assert POLICIES == {PAIR: Policy(limit=5), ACCOUNT: Policy(limit=20),
                        ADDRESS: Policy(limit=50)}
    assert Policy(limit=5).growing() == [(5, timedelta(minutes=1)), (6, timedelta(minutes=2)),
                                         (7, timedelta(minutes=4)), (8, timedelta(minutes=8)),
                                         (9, timedelta(minutes=16)),
                                         (10, timedelta(minutes=32))]


def test_the_wait_doubles_with_each_failure_after_the_fifth(app, client, staff):
    for _ in range(5):
        assert sign_in(client, password="guess").status_code == 200
    assert 55 <= _retry_after(sign_in(client, password="guess")) <= 60
    for minutes in (2, 4, 8, 16, 32, 60, 60):
        _wait_is_over(app)
        # One more password is checked once the wait is over, and its failure waits longer.
        assert sign_in(client, password="guess").status_code == 200
        assert minutes * 60 - 5 <= _retry_after(sign_in(client)) <= minutes * 60
    assert _checked(app, "127.0.0.1") == 5 + 7


def test_a_flood_from_one_address_does_not_lock_the_account_out_elsewhere(app, client, staff):
    assert sign_in(client, remote_addr=DESK).status_code == 302
    client.post("/staff/logout")
    attacker = app.test_client()
    answers = [sign_in(attacker, password=f"guess {n}", remote_addr=ATTACKER).status_code
               for n in range(40)]
    assert answers == [200] * 5 + [429] * 35
    assert _checked(app, ATTACKER) == 5
    # The staff member, at their desk and at an address they have never used.
    assert sign_in(client, remote_addr=DESK).status_code == 302
    client.post("/staff/logout")
    assert sign_in(client, remote_addr="198.51.100.20").status_code == 302


def test_guessing_from_many_addresses_slows_the_account_but_not_at_its_usual_address(
        app, client, staff):
    assert sign_in(client, remote_addr=DESK).status_code == 302
    client.post("/staff/logout")
    attacker = app.test_client()
    for n in range(20):
        assert sign_in(attacker, password="guess", remote_addr=f"203.0.113.{n}").status_code \
            == 200
    # Every new address now waits for this account, the right password or not...
    refused = sign_in(client, remote_addr="198.51.100.20")
    assert 55 <= _retry_after(refused) <= 60
    # ...but the staff member's own address is judged by its own count alone.
    assert sign_in(client, remote_addr=DESK).status_code == 302


def test_the_staff_members_own_mistakes_at_their_desk_still_count(app, client, staff):
    assert sign_in(client, remote_addr=DESK).status_code == 302
    client.post("/staff/logout")
    for _ in range(5):
        assert sign_in(client, password="typo", remote_addr=DESK).status_code == 200
    assert sign_in(client, remote_addr=DESK).status_code == 429


def test_a_count_restarts_after_a_quiet_day(app, client, staff):
    for _ in range(4):
        sign_in(client, password="guess")
    with app.app_context():
        db.session.execute(db.update(LoginThrottle).values(
            last_failure_at=now_utc() - timedelta(days=1, seconds=1)))
        db.session.commit()
    for _ in range(4):
        assert sign_in(client, password="guess").status_code == 200
    assert sign_in(client).status_code == 302


def test_a_sign_in_forgets_counts_that_have_nothing_left_to_say(app, client, staff):
    sign_in(client, email="typo@sever-coffee.ru", password="x")
    with app.app_context():
        db.session.execute(db.update(LoginThrottle).values(
            last_failure_at=now_utc() - timedelta(days=1, seconds=1)))
        db.session.commit()
    assert sign_in(client).status_code == 302
    with app.app_context():
        left = db.session.execute(
            db.select(LoginThrottle.scope, LoginThrottle.email, LoginThrottle.failures)
            .order_by(LoginThrottle.scope)).all()
    # The staff member's own address stays known; the stale counts are gone.
    assert [tuple(row) for row in left] == [(PAIR, STAFF_EMAIL, 0)]


def test_succeeded_keeps_counts_still_in_use(app, staff):
    with app.app_context():
        now = now_utc()
        db.session.add(LoginThrottle(scope=ADDRESS, email="", remote_addr=ATTACKER, failures=3,
                                     last_failure_at=now - timedelta(hours=23)))
        db.session.commit()
        succeeded(Reservation(((PAIR, STAFF_EMAIL, DESK),)), now)
        db.session.commit()
        assert db.session.execute(db.select(LoginThrottle.failures)).scalars().all() == [3]
