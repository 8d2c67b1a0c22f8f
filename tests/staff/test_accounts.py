"""Staff accounts: the ``staff create`` command, the demo account, hashed passwords."""

from __future__ import annotations

import pytest

from storefront.extensions import db
from storefront.models import StaffUser
from storefront.staff.accounts import StaffAccountError, create_staff, ensure_demo_staff

from .helpers import sign_in


def _accounts() -> list[StaffUser]:
    return list(db.session.execute(db.select(StaffUser)).scalars())


def test_create_staff_stores_a_normalised_email_and_a_hash(app):
    with app.app_context():
        member = create_staff("  Boss@Sever-Coffee.RU ", "a long passphrase")
        db.session.commit()
        assert member.email == "boss@sever-coffee.ru"
        assert "a long passphrase" not in member.password_hash
        assert member.check_password("a long passphrase")
        assert not member.check_password("a long passphrasE")


@pytest.mark.parametrize(("email", "password", "problem"), [
    ("not-an-email", "long enough pass", "not a valid email address"),
    ("boss@", "long enough pass", "not a valid email address"),
    ("boss@sever-coffee.ru", "short", "at least 8 characters"),
    ("boss@sever-coffee.ru", "", "at least 8 characters"),
])
def test_create_staff_refuses_bad_input(app, email, password, problem):
    with app.app_context():
        with pytest.raises(StaffAccountError, match=problem):
            create_staff(email, password)
        assert _accounts() == []


def test_create_staff_refuses_a_duplicate_email(app):
    with app.app_context():
        create_staff("boss@sever-coffee.ru", "first password")
        db.session.commit()
        with pytest.raises(StaffAccountError, match="already exists"):
            create_staff("BOSS@sever-coffee.ru", "second password")
        assert len(_accounts()) == 1


def test_ensure_demo_staff_creates_the_account_once(app):
    with app.app_context():
        assert ensure_demo_staff() is True
        assert ensure_demo_staff() is False
        db.session.commit()
        [demo] = _accounts()
        assert demo.email == "staff@example.com"
        assert demo.check_password("staff")


def test_cli_creates_a_staff_member_who_can_sign_in(app, runner):
    result = runner.invoke(args=["staff", "create", "Boss@Sever-Coffee.ru"],
                           input="a long passphrase\na long passphrase\n")
    assert result.exit_code == 0, result.output
    assert "staff member boss@sever-coffee.ru created" in result.output
    assert sign_in(app.test_client(), "boss@sever-coffee.ru", "a long passphrase") \
        .status_code == 302


def test_cli_reports_a_short_password_and_creates_nothing(app, runner):
    result = runner.invoke(args=["staff", "create", "boss@sever-coffee.ru"],
                           input="short\nshort\n")
    assert result.exit_code != 0
    assert "at least 8 characters" in result.output
    with app.app_context():
        assert _accounts() == []


def _seed(app) -> str:
    # The flask command pushes an app context for every command; the test runner does not.
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    return result.output


def test_seed_adds_the_demo_account_only_in_demo_mode(make_app):
    production = make_app()
    assert "demo staff" not in _seed(production)
    with production.app_context():
        assert _accounts() == []
    demo = make_app(STOREFRONT_MODE="demo")
    assert "demo staff account staff@example.com created" in _seed(demo)
    assert "demo staff" not in _seed(demo)
    assert sign_in(demo.test_client(), "staff@example.com", "staff").status_code == 302
