"""Throttling of failed staff sign-ins, counted in the database.

Three counts decide whether a password is checked at all, each a :class:`LoginThrottle` row:

``pair``
    One email from one client address. After 5 failures the pair waits 1 minute; every
    further failure doubles the wait, up to an hour. This is the count that does the work:
    a guesser gets 5 tries, then a handful an hour.
``account``
    One email from every address it has never signed in from: 20 failures, then the same
    growing wait. It slows a guesser who spreads over many addresses.
``address``
    Every email, from one address, that has never signed in from it: 50 failures, then the
    same growing wait. A coarse guard against trying many accounts from one place.

A pair that has signed in before (the staff member at their usual desk) is judged by its
own count alone. So an attacker cannot lock anybody out of the address they work from,
whether by guessing their password elsewhere or other accounts' passwords nearby. The price:
while an attack keeps the ``account`` count high, the real person must sign in from an
address they have used before (or wait). Behind a reverse proxy every client has the proxy's
address unless ``STOREFRONT_TRUSTED_PROXIES`` is set; the pair count would then be shared by
everybody, which is why the deployment notes require it.

A count restarts after a day with no failure in it; a successful sign-in clears its pair.

Atomicity: :func:`reserve` counts an attempt as failed *before* its password is checked,
with one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE <not waiting> RETURNING`` per count,
and commits. Concurrent attempts on one key queue on its row (PostgreSQL's row lock,
SQLite's database lock), so each sees the count the previous one left: of 40 wrong
passwords sent at once for one pair, 5 are checked and 35 refused, across any number of
server processes. :func:`succeeded` then takes the failure back from an attempt whose
password was right. A refused attempt is rolled back whole, so it never lengthens a wait.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, literal, null, or_
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import LoginThrottle, UTCDateTime, now_utc


@dataclass(frozen=True)
class Policy:
    """After ``limit`` failures wait ``first_wait``, doubling with each further one up to
    ``longest_wait``; the count restarts after ``forget_after`` without a failure."""

    limit: int
    first_wait: timedelta = timedelta(minutes=1)
    longest_wait: timedelta = timedelta(hours=1)
    forget_after: timedelta = timedelta(days=1)

    def wait_after(self, failures: int) -> timedelta | None:
        """How long the ``failures``-th failure makes the key wait; None below the limit."""
        if failures < self.limit:
            return None
        doublings = min(failures - self.limit, 30)  # 2**30 minutes already outlast any cap
        return min(self.first_wait * 2**doublings, self.longest_wait)

    def growing(self) -> list[tuple[int, timedelta]]:
        """(failures, wait) from the limit until the wait stops growing."""
        steps: list[tuple[int, timedelta]] = []
        failures = self.limit
        while (wait := self.wait_after(failures)) is not None and wait < self.longest_wait:
            steps.append((failures, wait))
            failures += 1
        return steps


PAIR = "pair"
ACCOUNT = "account"
ADDRESS = "address"
POLICIES: dict[str, Policy] = {PAIR: Policy(limit=5), ACCOUNT: Policy(limit=20),
                               ADDRESS: Policy(limit=50)}
FORGET_AFTER = max(policy.forget_after for policy in POLICIES.values())


class TooManyAttempts(Exception):
    """Sign-in refused without checking the password; retry after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins; retry in {retry_after} s")
        self.retry_after = retry_after


Key = tuple[str, str, str]  # (scope, email, remote_addr)


@dataclass(frozen=True)
class Reservation:
    """An attempt counted as failed in advance: the keys it was added to."""

    keys: tuple[Key, ...]


def reserve(email: str, remote_addr: str, now: datetime | None = None) -> Reservation:
    """Count this attempt as a failure before its password is checked, and commit.

    Raises :class:`TooManyAttempts` (having counted nothing) when one of the counts that
    apply still waits. ``email`` is the normalised address typed in, whether or not such
    an account exists, so that the answer never tells which do.

    Rows are always taken in one order (pair, account, address; one of each), and
    :func:`succeeded` keeps it, so concurrent sign-ins never deadlock.
    """
    now = now or now_utc()
    keys: list[Key] = [(PAIR, email, remote_addr)]
    try:
        known_pair = _count(keys[0], now)
        if not known_pair:
            keys += [(ACCOUNT, email, ""), (ADDRESS, "", remote_addr)]
            for key in keys[1:]:
                _count(key, now)
    except _Waiting as waiting:
        retry_after = _seconds_until(waiting.key)
        db.session.rollback()
        raise TooManyAttempts(retry_after) from None
    db.session.commit()
    return Reservation(tuple(keys))


def succeeded(reservation: Reservation, now: datetime | None = None) -> None:
    """Take back the failure counted for an attempt whose password was right (not committed).

    The pair's count is cleared and the pair remembered as one that signs in; the broader
    counts lose the one failure this attempt added. Counts left with nothing to say (none
    left, or restarted anyway, from addresses never signed in from) are deleted, so emails
    tried once do not pile up.
    """
    now = now or now_utc()
    table = LoginThrottle.__table__
    for scope, email, remote_addr in reservation.keys:
        this_key = (table.c.scope == scope) & (table.c.email == email) & (
            table.c.remote_addr == remote_addr)
        if scope == PAIR:
            db.session.execute(table.update().where(this_key).values(
                failures=0, locked_until=None, signed_in_at=now))
            continue
        left = table.c.failures - 1
        db.session.execute(table.update().where(this_key, table.c.failures > 0).values(
            failures=left,
            locked_until=case((left < POLICIES[scope].limit, null()),
                              else_=table.c.locked_until)))
        db.session.execute(table.delete().where(this_key, table.c.failures == 0))
    # Rows another attempt holds are skipped (PostgreSQL): this sweep never waits, so it
    # cannot join a deadlock; a later sign-in deletes them.
    stale = (
        db.select(table.c.id)
        .where(table.c.signed_in_at.is_(None), table.c.last_failure_at < now - FORGET_AFTER)
        .with_for_update(skip_locked=True)
    )
    db.session.execute(table.delete().where(table.c.id.in_(stale)))


class _Waiting(Exception):
    def __init__(self, key: Key) -> None:
        self.key = key


def _count(key: Key, now: datetime) -> bool:
    """Add one failure to the key unless it is waiting (then raise :class:`_Waiting`).

    Returns whether the key has signed in before (only pairs ever have). One statement,
    so the check and the count cannot be separated by another process's attempt.
    """
    scope, email, remote_addr = key
    policy = POLICIES[scope]
    table = LoginThrottle.__table__
    failures = case(
        (table.c.last_failure_at <= now - policy.forget_after, 1), else_=table.c.failures + 1
    )

    def at(moment: datetime):
        return literal(moment, UTCDateTime)

    locked_until = case(
        (failures < policy.limit, null()),
        *((failures == count, at(now + wait)) for count, wait in policy.growing()),
        else_=at(now + policy.longest_wait),
    )
    first_wait = policy.wait_after(1)
    insert = _insert_for_dialect()(table).values(
        scope=scope, email=email, remote_addr=remote_addr, failures=1,
        locked_until=now + first_wait if first_wait else None, last_failure_at=now,
    )
    statement = insert.on_conflict_do_update(
        index_elements=[table.c.scope, table.c.email, table.c.remote_addr],
        set_={"failures": failures, "locked_until": locked_until, "last_failure_at": now},
        where=or_(table.c.locked_until.is_(None), table.c.locked_until <= now),
    ).returning(table.c.signed_in_at)
    row = db.session.execute(statement).first()
    if row is None:
        raise _Waiting(key)
    return row.signed_in_at is not None


def _insert_for_dialect():
    # Both dialects spell the upsert the same way; SQLAlchemy needs to know which it writes.
    return postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert


def _seconds_until(key: Key) -> int:
    # Read the clock now, not when the attempt arrived: it may have waited on the row.
    now = now_utc()
    scope, email, remote_addr = key
    locked_until = db.session.execute(
        db.select(LoginThrottle.locked_until).where(
            LoginThrottle.scope == scope, LoginThrottle.email == email,
            LoginThrottle.remote_addr == remote_addr)
    ).scalar_one_or_none()
    if locked_until is None:
        return 1
    return max(1, math.ceil((locked_until - now).total_seconds()))
