"""Signing in and out, the checked ``next`` redirect, throttling, and the login wall."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storefront.extensions import db
from storefront.models import LoginAttempt, LoginThrottle, now_utc
from storefront.staff.throttle import ADDRESS, PAIR, POLICIES
from tests.support.shop import csrf_token

from .helpers import STAFF_EMAIL, STAFF_PASSWORD, sign_in


def test_login_page_has_the_labelled_fields(client):
    page = client.get("/staff/login").get_data(as_text=True)
    assert '<label for="email">Email</label>' in page
    assert '<label for="password">Password</label>' in page
    assert 'value="Sign in"' in page


def test_sign_in_goes_to_the_orders(client, staff):
    response = sign_in(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/orders"
    assert client.get("/staff/orders").status_code == 200


def test_email_is_matched_case_insensitively(client, staff):
    assert sign_in(client, email="  Anna@Sever-Coffee.RU ").status_code == 302


@pytest.mark.parametrize(("email", "password"), [
    (STAFF_EMAIL, "wrong password"),
    ("nobody@sever-coffee.ru", STAFF_PASSWORD),
])
def test_wrong_credentials_are_refused_without_saying_which(client, staff, email, password):
    response = sign_in(client, email=email, password=password)
    assert response.status_code == 200
    assert "Wrong email or password." in response.get_data(as_text=True)
    assert client.get("/staff/orders").status_code == 302


def test_an_inactive_account_cannot_sign_in(app, client, staff):
    with app.app_context():
        from storefront.models import StaffUser

        db.session.get(StaffUser, staff).active = False
        db.session.commit()
    assert "Wrong email or password." in sign_in(client).get_data(as_text=True)


def test_next_is_followed_when_it_is_a_local_path(client, staff):
    response = sign_in(client, next_url="/staff/orders?status=paid")
    assert response.headers["Location"] == "/staff/orders?status=paid"


@pytest.mark.parametrize("target", [
    "https://evil.example/phish",
    "//evil.example/phish",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "http:/evil.example",
    "staff/orders",
])
def test_next_never_leads_off_the_site(client, staff, target):
    response = client.post("/staff/login", query_string={"next": target},
                           data={"email": STAFF_EMAIL, "password": STAFF_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/orders"


def test_a_protected_page_sends_you_to_login_and_back(client, staff):
    response = client.get("/staff/orders?status=paid")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login?next=")
    login_page = response.headers["Location"]
    after = client.post(login_page, data={"email": STAFF_EMAIL, "password": STAFF_PASSWORD})
    assert after.headers["Location"] == "/staff/orders?status=paid"


def test_every_staff_page_needs_a_signed_in_staff_member(app, client):
    """Every route of the blueprint, GET or POST, except the login page itself."""
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("staff.") or rule.endpoint == "staff.login":
            continue
        url = (rule.rule.replace("<number>", "261127-AAAAA").replace("<int:request_id>", "1")
               .replace("<int:product_id>", "1"))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method)
            assert response.status_code == 302, (method, url)
            assert response.headers["Location"].startswith("/staff/login"), (method, url)
            checked += 1
    assert checked >= 7


def test_signing_out_is_a_post(staff_client):
    assert staff_client.get("/staff/logout").status_code == 405
    response = staff_client.post("/staff/logout")
    assert response.headers["Location"] == "/staff/login"
    assert staff_client.get("/staff/orders").status_code == 302


MAX_FAILURES_PER_PAIR = POLICIES[PAIR].limit


def test_five_failures_for_one_email_lock_it_for_a_while(app, client, staff):
    for _ in range(MAX_FAILURES_PER_PAIR):
        assert sign_in(client, password="guess").status_code == 200
    refused = sign_in(client)  # even the right password is not checked now
    assert refused.status_code == 429
    assert "Too many failed sign-in attempts. Wait 1 minute" in refused.get_data(as_text=True)
    assert 55 <= int(refused.headers["Retry-After"]) <= 60
    assert client.get("/staff/orders").status_code == 302
    with app.app_context():
        # Refused attempts are not recorded, so they do not extend the lock.
        assert db.session.execute(db.select(db.func.count(LoginAttempt.id))).scalar() == 5


def test_the_lock_is_per_email_and_lifts_when_the_wait_is_over(app, client, staff):
    for _ in range(MAX_FAILURES_PER_PAIR):
        sign_in(client, password="guess")
    assert sign_in(client, email="other@sever-coffee.ru", password="x").status_code == 200
    with app.app_context():
        for count in db.session.execute(db.select(LoginThrottle)).scalars():
            if count.locked_until is not None:
                count.locked_until = now_utc() - timedelta(seconds=1)
        db.session.commit()
    assert sign_in(client).status_code == 302


def test_many_failures_from_one_address_lock_it_for_accounts_new_to_it(client, staff):
    """The address count is a coarse guard: it never stops a staff member at an address
    they have signed in from before, and never another address."""
    assert sign_in(client, remote_addr="10.0.0.8").status_code == 302  # their usual desk
    client.post("/staff/logout")
    for n in range(POLICIES[ADDRESS].limit):
        sign_in(client, email=f"guess{n}@sever-coffee.ru", password="x", remote_addr="10.0.0.9")
        sign_in(client, email=f"guess{n}@sever-coffee.ru", password="x", remote_addr="10.0.0.8")
    assert sign_in(client, remote_addr="10.0.0.9").status_code == 429
    assert sign_in(client, email="new@sever-coffee.ru", remote_addr="10.0.0.8").status_code \
        == 429
    assert sign_in(client, remote_addr="10.0.0.8").status_code == 302
    client.post("/staff/logout")
    assert sign_in(client, remote_addr="10.0.0.10").status_code == 302


def test_a_successful_sign_in_forgives_earlier_failures(client, staff):
    for _ in range(MAX_FAILURES_PER_PAIR - 1):
        sign_in(client, password="guess")
    assert sign_in(client).status_code == 302
    client.post("/staff/logout")
    for _ in range(MAX_FAILURES_PER_PAIR - 1):
        sign_in(client, password="guess")
    assert sign_in(client).status_code == 302


def test_the_throttle_holds_across_app_instances(make_app, staff, app):
    """Two server processes share the database, so they share the count."""
    other = make_app()  # same database file, separate app and engine
    first, second = app.test_client(), other.test_client()
    for n in range(MAX_FAILURES_PER_PAIR):
        sign_in(first if n % 2 else second, password="guess")
    assert sign_in(first).status_code == 429
    assert sign_in(second).status_code == 429


def test_logout_needs_the_csrf_token(make_app, staff):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = csrf_token(client.get("/staff/login").get_data(as_text=True))
    client.post("/staff/login", data={"email": STAFF_EMAIL, "password": STAFF_PASSWORD,
                                      "csrf_token": token})
    assert client.post("/staff/logout").status_code == 400
    assert client.get("/staff/orders").status_code == 200
    assert client.post("/staff/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/staff/orders").status_code == 302


def test_login_without_the_csrf_token_is_refused(make_app, staff):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    response = client.post("/staff/login", data={"email": STAFF_EMAIL,
                                                 "password": STAFF_PASSWORD})
    assert response.status_code == 400
    assert client.get("/staff/orders").status_code == 302
