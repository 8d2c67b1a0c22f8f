"""Ending staff sessions on the server: signing out, a new password, deactivation.

A signed session cookie cannot be taken back from the browser that holds it, so each test
copies the cookie first (as a thief, or a forgotten browser, would keep it) and then checks
that the copy no longer opens the staff area.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from storefront.extensions import db
from storefront.models import StaffUser

from .helpers import STAFF_EMAIL, sign_in

NEW_PASSWORD = "a brand new passphrase"


def _copied_session(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None, "the signed-in client has no session cookie"
    return cookie.value


def _opens_orders(app, session_cookie: str) -> int:
    """The status of ``/staff/orders`` for a fresh browser that sends only this cookie."""
    browser = app.test_client()
    browser.set_cookie("session", session_cookie)
    response = browser.get("/staff/orders")
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/staff/login"), response.headers
    return response.status_code


def test_a_copied_cookie_works_while_the_session_lasts(app, staff_client):
    # The premise of the tests below: a copy is as good as the original until revoked.
    assert _opens_orders(app, _copied_session(staff_client)) == 200


def test_a_cookie_copied_before_sign_out_is_refused_afterwards(app, staff_client):
    copied = _copied_session(staff_client)
    response = staff_client.post("/staff/logout")
    assert response.headers["Location"] == "/staff/login"
    assert _opens_orders(app, copied) == 302


def test_signing_out_ends_the_sessions_of_every_device(app, staff_client):
    other_device = app.test_client()
    assert sign_in(other_device).status_code == 302
    staff_client.post("/staff/logout")
    assert other_device.get("/staff/orders").status_code == 302
    # The page says so, as the person signing out must know.
    page = staff_client.get("/staff/login").get_data(as_text=True)
    assert "signed out on every device" in page


def test_signing_in_again_after_sign_out_works(staff_client):
    staff_client.post("/staff/logout")
    assert sign_in(staff_client).status_code == 302
    assert staff_client.get("/staff/orders").status_code == 200


def test_set_password_from_the_cli_ends_sessions_and_changes_the_password(
        app, runner, staff_client):
    copied = _copied_session(staff_client)
    result = runner.invoke(args=["staff", "set-password", "  Anna@Sever-Coffee.RU"],
                           input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert f"password of {STAFF_EMAIL} changed; its sessions are ended" in result.output
    assert _opens_orders(app, copied) == 302
    assert staff_client.get("/staff/orders").status_code == 302
    fresh = app.test_client()
    assert sign_in(fresh).status_code == 200  # the old password no longer works
    assert sign_in(fresh, password=NEW_PASSWORD).status_code == 302


def test_set_password_takes_the_password_from_the_environment(app, runner, staff):
    result = runner.invoke(args=["staff", "set-password", STAFF_EMAIL],
                           env={"STOREFRONT_STAFF_PASSWORD": NEW_PASSWORD})
    assert result.exit_code == 0, result.output
    assert sign_in(app.test_client(), password=NEW_PASSWORD).status_code == 302


def test_set_password_asks_twice_and_hides_the_input(runner, staff):
    result = runner.invoke(args=["staff", "set-password", STAFF_EMAIL],
                           input=f"{NEW_PASSWORD}\nsomething else\n{NEW_PASSWORD}\n"
                                 f"{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Error: The two entered values do not match." in result.output
    assert NEW_PASSWORD not in result.output


@pytest.mark.parametrize(("email", "password", "problem"), [
    ("nobody@sever-coffee.ru", NEW_PASSWORD, "no staff member with the email"),
    (STAFF_EMAIL, "short", "at least 8 characters"),
])
def test_set_password_refuses_bad_input_and_changes_nothing(app, runner, staff_client,
                                                           email, password, problem):
    result = runner.invoke(args=["staff", "set-password", email, "--password", password])
    assert result.exit_code != 0
    assert problem in result.output
    assert staff_client.get("/staff/orders").status_code == 200
    assert sign_in(app.test_client()).status_code == 302


def test_deactivate_from_the_cli_ends_sessions_and_sign_in(app, runner, staff, staff_client):
    copied = _copied_session(staff_client)
    result = runner.invoke(args=["staff", "deactivate", STAFF_EMAIL.upper()])
    assert result.exit_code == 0, result.output
    assert f"staff member {STAFF_EMAIL} deactivated; its sessions are ended" in result.output
    assert _opens_orders(app, copied) == 302
    assert staff_client.get("/staff/orders").status_code == 302
    assert "Wrong email or password." in sign_in(app.test_client()).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(StaffUser, staff).active is False


def test_deactivate_an_unknown_email_is_an_error(runner, staff):
    result = runner.invoke(args=["staff", "deactivate", "nobody@sever-coffee.ru"])
    assert result.exit_code != 0
    assert "no staff member with the email nobody@sever-coffee.ru" in result.output


def test_a_deactivated_account_is_refused_even_with_a_current_session(app, staff_client, staff):
    # Deactivating straight in the database (not through the CLI) still ends the session.
    with app.app_context():
        db.session.get(StaffUser, staff).active = False
        db.session.commit()
    assert staff_client.get("/staff/orders").status_code == 302


@pytest.mark.parametrize("user_id", [
    "1", "1:", ":1", "x:1", "1:x", "1:1:1", "١:١", "9" * 5000 + ":1", "99999999999:1", "",
])
def test_a_session_naming_no_current_account_is_anonymous(app, staff, user_id):
    """The session of an older release (a bare id) and anything malformed: signed out, no 500."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user_id
        session["_fresh"] = True
    response = client.get("/staff/orders")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login")


def test_the_session_names_the_account_and_its_session_version(app, staff_client, staff):
    with staff_client.session_transaction() as session:
        user_id = session["_user_id"]
    with app.app_context():
        member = db.session.get(StaffUser, staff)
        assert user_id == f"{member.id}:{member.session_version}"


def test_signing_in_does_not_end_other_sessions(app, staff_client):
    copied = _copied_session(staff_client)
    assert sign_in(app.test_client()).status_code == 302
    assert _opens_orders(app, copied) == 200


@pytest.mark.postgres
@pytest.mark.parametrize("user_id", ["2147483648:1", "999999999999999999:1"])
def test_an_id_beyond_the_column_is_anonymous_on_postgresql(pg_app, user_id):
    client = pg_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user_id
    assert client.get("/staff/orders").status_code == 302
