"""Wrong staff passwords sent at once, through several gunicorn workers on PostgreSQL.

Forty wrong passwords for one account from one address must have five checked: each
attempt is counted on the (email, address) row before its password is looked at, so the
sixth finds the wait already set, whichever worker it reaches. The test also holds back
every record of a checked password until the refusals are in, so that no attempt can learn
from an earlier one's record: only the count taken up front can stop it.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from storefront.extensions import db
from storefront.models import LoginAttempt, LoginThrottle
from storefront.staff.accounts import create_staff
from tests.support.shop import csrf_token

from .flows import inserts_held
from .live import ProductionShop, at_once

pytestmark = pytest.mark.postgres

BURST = 40
CHECKED_AT_MOST = 5
PASSWORD = "the right password, never sent in the burst"


def _add_staff(shop: ProductionShop, *emails: str) -> None:
    with shop.app.app_context():
        for email in emails:
            create_staff(email, PASSWORD)
        db.session.commit()


def _login_forms(shop: ProductionShop, count: int) -> list[tuple[requests.Session, str]]:
    """``count`` browsers on the sign-in page, each with its own CSRF token."""
    forms = []
    for _ in range(count):
        browser = shop.browser()
        forms.append((browser, csrf_token(browser.page("/staff/login")) or ""))
    return forms


def _checked(shop: ProductionShop, email: str) -> int:
    with shop.app.app_context():
        return db.session.execute(
            db.select(db.func.count(LoginAttempt.id)).where(LoginAttempt.email == email)
        ).scalar_one()


def _open_when_settled(records, answered: list[int]) -> int:
    """Open the gate once nothing moves any more, or as soon as more than five attempts
    stand at it (then the test fails); how many stood at it.

    "Nothing moves" and not "all the others are answered": a gunicorn worker whose threads
    all wait at the gate holds the connections it has accepted until the gate opens.
    """
    deadline = time.monotonic() + 30
    seen, since = None, time.monotonic()
    while time.monotonic() < deadline:
        now = (records.waiting(), len(answered))
        if now[0] > CHECKED_AT_MOST or sum(now) >= BURST:
            break
        if now != seen:
            seen, since = now, time.monotonic()
        elif time.monotonic() - since > 1.5:
            break
        time.sleep(0.02)
    return records.release_when(0)


def test_forty_wrong_passwords_at_once_have_five_checked(live_shop):
    email = "burst@sever-coffee.ru"
    _add_staff(live_shop, email)
    forms = _login_forms(live_shop, BURST)
    answered = []  # appended from the request threads (list.append is atomic)

    def guess(index: int) -> requests.Response:
        browser, token = forms[index]
        response = browser.post("/staff/login", data={
            "email": email, "password": f"wrong guess {index}", "csrf_token": token})
        answered.append(response.status_code)
        return response

    with ThreadPoolExecutor(max_workers=1) as pool:
        with inserts_held(live_shop.database_url, "login_attempt") as records:
            burst = pool.submit(at_once, BURST, guess)
            held = _open_when_settled(records, answered)
        answers = burst.result(timeout=60)

    statuses = sorted(answer.status_code for answer in answers)
    assert held <= CHECKED_AT_MOST
    assert statuses == [200] * CHECKED_AT_MOST + [429] * (BURST - CHECKED_AT_MOST)
    for answer in answers:
        if answer.status_code == 200:
            assert "Wrong email or password." in answer.text
        else:
            assert 1 <= int(answer.headers["Retry-After"]) <= 60
    assert _checked(live_shop, email) == CHECKED_AT_MOST
    with live_shop.app.app_context():
        pair = db.session.execute(db.select(LoginThrottle).where(
            LoginThrottle.scope == "pair", LoginThrottle.email == email)).scalar_one()
        assert pair.failures == CHECKED_AT_MOST and pair.locked_until is not None
    # The wait holds for the right password too, and checks nothing more.
    browser, token = _login_forms(live_shop, 1)[0]
    refused = browser.post("/staff/login", data={"email": email, "password": PASSWORD,
                                                 "csrf_token": token})
    assert refused.status_code == 429
    assert _checked(live_shop, email) == CHECKED_AT_MOST


def test_sign_ins_and_failures_at_once_from_one_address_all_get_their_answer(live_shop):
    """Ten staff members signing in while twenty wrong passwords for unknown emails arrive,
    all from one address: they share the address's count, and taking and giving back
    failures on it must neither deadlock nor refuse anybody (no 500, no 429)."""
    members = [f"member{n}@sever-coffee.ru" for n in range(10)]
    _add_staff(live_shop, *members)
    forms = _login_forms(live_shop, 30)

    def attempt(index: int) -> requests.Response:
        browser, token = forms[index]
        if index < len(members):
            email, password = members[index], PASSWORD
        else:
            email, password = f"nobody{index}@sever-coffee.ru", "a wrong password"
        return browser.post("/staff/login", data={"email": email, "password": password,
                                                  "csrf_token": token})

    answers = at_once(30, attempt)
    assert [answer.status_code for answer in answers[:10]] == [302] * 10
    assert [answer.status_code for answer in answers[10:]] == [200] * 20
    with live_shop.app.app_context():
        succeeded = db.session.execute(
            db.select(LoginAttempt.email).where(LoginAttempt.succeeded.is_(True),
                                                LoginAttempt.email.in_(members))
        ).scalars().all()
    assert sorted(succeeded) == sorted(members)
