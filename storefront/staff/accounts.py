"""Staff accounts: creating them, the demo account of demo mode, and signing in.

``create_staff`` and ``ensure_demo_staff`` do not commit: the caller (the CLI, a
test) owns the transaction. ``authenticate`` commits the attempt it records.
"""

from __future__ import annotations

import logging

from email_validator import EmailNotValidError, validate_email
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import LoginAttempt, StaffUser, now_utc
from . import throttle

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 8
DEMO_EMAIL = "staff@example.com"
# Published in the README for the demo; ensure_demo_staff is only called in demo mode.
DEMO_PASSWORD = "staff"


class StaffAccountError(ValueError):
    """The account cannot be created; the message says why, in words fit for the person."""


def normalise_email(email: str) -> str:
    """The form staff emails are stored and looked up in: trimmed and lower-cased."""
    return email.strip().lower()


def find_staff(email: str) -> StaffUser | None:
    return db.session.execute(
        db.select(StaffUser).where(StaffUser.email == normalise_email(email))
    ).scalar_one_or_none()


def create_staff(email: str, password: str) -> StaffUser:
    """Add a staff member who can sign in with ``email`` and ``password``.

    Raises :class:`StaffAccountError` for an invalid or already registered email,
    or a password shorter than eight characters.
    """
    address = normalise_email(email)
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        message = f"{email.strip()!r} is not a valid email address: {error}"
        raise StaffAccountError(message) from None
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffAccountError(
            f"the password must be at least {MIN_PASSWORD_LENGTH} characters long"
        )
    return _add(address, password)


def ensure_demo_staff() -> bool:
    """Create the demo account ``staff@example.com`` / ``staff`` unless it exists.

    Its password is shorter than :func:`create_staff` allows on purpose: it is
    the one everybody types in the demo. Returns True when it was created.
    """
    if find_staff(DEMO_EMAIL) is not None:
        return False
    _add(DEMO_EMAIL, DEMO_PASSWORD)
    return True


def authenticate(email: str, password: str, remote_addr: str) -> StaffUser | None:
    """The active staff member with these credentials, or None.

    The attempt is first counted as a failure and committed (:func:`throttle.reserve`),
    which raises :class:`throttle.TooManyAttempts` instead when this email or address
    must wait: so no more passwords are checked than the throttle allows, however many
    requests arrive at once. Every checked attempt is then recorded as a
    :class:`LoginAttempt`; a success clears the count.
    """
    address = normalise_email(email)[:254]
    remote_addr = remote_addr[:64]
    reservation = throttle.reserve(address, remote_addr)
    staff = find_staff(address)
    if staff is None:
        # Spend the same time as a real check, so timing does not reveal who has an account.
        check_password_hash(_DUMMY_HASH, password)
        succeeded = False
    else:
        succeeded = staff.check_password(password) and staff.is_active
    db.session.add(LoginAttempt(email=address, remote_addr=remote_addr, succeeded=succeeded))
    if succeeded:
        throttle.succeeded(reservation)
        staff.last_login_at = now_utc()
    db.session.commit()
    if not succeeded:
        log.info("failed staff sign-in")
        return None
    log.info("staff %s signed in", staff.id)
    return staff


_DUMMY_HASH = generate_password_hash("not a real password")


def _add(address: str, password: str) -> StaffUser:
    if find_staff(address) is not None:
        raise StaffAccountError(f"a staff member with the email {address} already exists")
    staff = StaffUser(email=address)
    staff.set_password(password)
    db.session.add(staff)
    db.session.flush()
    log.info("staff account %s created", staff.id)
    return staff
