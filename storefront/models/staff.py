from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .base import UTCDateTime, now_utc


class StaffUser(UserMixin, db.Model):
    """A staff member who can sign in to the staff area.

    ``session_version`` ends sessions on the server. The session (and a "remember me"
    cookie, should one ever be issued) names the account as ``"<id>:<session_version>"``
    (:meth:`get_id`), and the user loader accepts it only while the number is still the
    account's. Signing out, a new password and deactivation raise the number, so every
    cookie issued before stops working at once, on every device: a signed cookie cannot
    be taken back from whoever copied it, but the server can stop believing it.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class LoginAttempt(db.Model):
    """Every sign-in whose password was checked, failed or not: the record staff read.

    The throttle never reads it back; it decides on :class:`LoginThrottle`.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    remote_addr: Mapped[str] = mapped_column(String(64), index=True)
    succeeded: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)


class LoginThrottle(db.Model):
    """A count of failed sign-ins and the wait it imposes (see ``storefront/staff/throttle.py``).

    ``scope`` says what is counted: ``pair`` (``email`` from ``remote_addr``), ``account``
    (``email`` from any address it has never signed in from; ``remote_addr`` is empty) or
    ``address`` (any such email from ``remote_addr``; ``email`` is empty). One row per key,
    so that concurrent attempts meet on it and are counted one after another.
    """

    __table_args__ = (UniqueConstraint("scope", "email", "remote_addr"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))
    email: Mapped[str] = mapped_column(String(254))
    remote_addr: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int]
    # Attempts are refused until then; None while fewer failures than the limit.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # Pairs only: the last successful sign-in of this email from this address.
    signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
