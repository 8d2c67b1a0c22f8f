"""Staff accounts: creating them, new passwords, deactivation, signing in and out.

``create_staff``, ``ensure_demo_staff``, ``set_password`` and ``deactivate`` do not
commit: the caller (the CLI, a test) owns the transaction. ``authenticate`` and
``sign_out`` commit, as the views that call them do nothing else.

Sessions end on the server: a session names its account together with the account's
``session_version`` (see :class:`StaffUser`), and :func:`load_session_staff` accepts it
only while that number is current. :func:`end_sessions` raises it, so signing out, a new
password or deactivation turns every earlier cookie of the account into a signed-out one,
on every device. That is deliberate: one number per account needs no session table, and
"sign out" meaning "sign out everywhere" is also what a person who fears a copied cookie
wants. The page after signing out says so.
"""

from __future__ import annotations

import logging
import re

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
    """The account cannot be created or changed; the message says why, in words fit for
    the person."""


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
    _check_password_rules(password)
    return _add(address, password)


def set_password(email: str, password: str) -> StaffUser:
    """Give the staff member with ``email`` a new password and end all their sessions.

    Raises :class:`StaffAccountError` for an unknown email or a password shorter than
    eight characters.
    """
    _check_password_rules(password)
    staff = _existing(email)
    staff.set_password(password)
    end_sessions(staff)
    log.info("staff %s: password changed, sessions ended", staff.id)
    return staff


def deactivate(email: str) -> StaffUser:
    """Stop the staff member with ``email`` from signing in, and end all their sessions.

    Raises :class:`StaffAccountError` for an unknown email.
    """
    staff = _existing(email)
    staff.active = False
    end_sessions(staff)
    log.info("staff %s: deactivated, sessions ended", staff.id)
    return staff


def end_sessions(staff: StaffUser) -> None:
    """Make every session and cookie issued to ``staff`` so far name no one (not committed).

    The number is raised in the database, not from the copy in memory, so that two
    requests ending sessions at once both count.
    """
    db.session.execute(
        db.update(StaffUser)
        .where(StaffUser.id == staff.id)
        .values(session_version=StaffUser.session_version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(staff, ["session_version"])


def sign_out(staff: StaffUser) -> None:
    """End every session of ``staff`` (this one and other devices') and commit."""
    end_sessions(staff)
    db.session.commit()
    log.info("staff %s signed out everywhere", staff.id)


_SESSION_ID = re.compile(r"([0-9]{1,18}):([0-9]{1,18})")
_LARGEST_ID = 2**31 - 1  # an INTEGER column; a larger number would be a database error


def load_session_staff(session_id: str) -> StaffUser | None:
    """The staff member a session names (``"<id>:<session_version>"``), while it is current.

    Anything else names no one: a malformed value, an ended session, an older release's
    bare id. Inactive accounts are refused by Flask-Login itself (``is_active``).
    """
    match = _SESSION_ID.fullmatch(session_id)
    if match is None or int(match[1]) > _LARGEST_ID:
        return None
    staff = db.session.get(StaffUser, int(match[1]))
    if staff is None or staff.session_version != int(match[2]):
        return None
    return staff


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


def _check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffAccountError(
            f"the password must be at least {MIN_PASSWORD_LENGTH} characters long"
        )


def _existing(email: str) -> StaffUser:
    staff = find_staff(email)
    if staff is None:
        raise StaffAccountError(f"no staff member with the email {normalise_email(email)}")
    return staff


def _add(address: str, password: str) -> StaffUser:
    if find_staff(address) is not None:
        raise StaffAccountError(f"a staff member with the email {address} already exists")
    staff = StaffUser(email=address)
    staff.set_password(password)
    db.session.add(staff)
    db.session.flush()
    log.info("staff account %s created", staff.id)
    return staff
