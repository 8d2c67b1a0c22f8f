"""The shop-wide cap on company lookups holds across gunicorn workers on PostgreSQL.

Eight buyers ask about eight different INNs at once, through several workers. The cap is
three calls to Invoicebox per 30 s, so exactly three may reach it and five are told to type
their details in; the count is one atomic statement per bucket, so it holds however the
requests interleave. The test makes them meet just before it: every buyer's own limits are
counted, and all wait together at the cache, which is held locked until they are there.
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from stdnum.ru import inn as inn_number

from storefront.extensions import db
from storefront.models import GatewayCall, LookupCounter
from tests.support.shop import csrf_token

from .flows import inserts_held
from .live import at_once, post_from_thread

pytestmark = pytest.mark.postgres

BUYERS = 8
CAP = 3


@pytest.fixture(scope="module")
def shop_env() -> dict[str, str]:
    return {"STOREFRONT_COMPANY_LOOKUPS_PER_30S": str(CAP),
            "STOREFRONT_COMPANY_LOOKUPS_PER_ADDRESS": "100"}


def unknown_inns(count: int) -> list[str]:
    """Valid INNs that the sandbox's registry does not hold."""
    stems = (f"7799{index:05d}" for index in range(count))
    return [stem + inn_number.calc_company_check_digit(stem) for stem in stems]


def test_lookups_at_once_make_no_more_calls_than_the_cap(live_shop):
    inns = unknown_inns(BUYERS)
    assert len(set(inns)) == BUYERS and all(inn_number.is_valid(i) for i in inns)
    browsers = [live_shop.browser() for _ in range(BUYERS)]
    forms = []
    for browser, inn in zip(browsers, inns, strict=True):
        page = browser.page("/products/french-press-350")  # a session and a CSRF token
        forms.append(({"inn": inn, "csrf_token": csrf_token(page)},
                      {"Cookie": browser.cookie_header(), "Accept": "application/json"}))
    while time.time() % 30 > 15:  # all of them inside one 30 s window
        time.sleep(0.2)

    def ask(index: int):
        data, headers = forms[index]
        return post_from_thread(f"{live_shop.url}/checkout/company", data, headers)

    with ThreadPoolExecutor(max_workers=1) as pool:
        with inserts_held(live_shop.database_url, "company_cache",
                          mode="ACCESS EXCLUSIVE") as cache:
            racing = pool.submit(at_once, BUYERS, ask)
            # gunicorn spreads connections over its workers' threads unevenly, so not
            # every request may be inside the shop yet; twice the cap is a real race.
            assert cache.release_when(BUYERS, timeout=10) >= 2 * CAP
        answers = racing.result(timeout=60)

    outcomes = Counter((a.status_code, a.json()["outcome"]) for a in answers)
    assert outcomes == {(200, "not_found"): CAP, (429, "busy"): BUYERS - CAP}
    with live_shop.app.app_context():
        called = db.session.scalar(db.select(db.func.count(GatewayCall.id)).where(
            GatewayCall.path == "/v3/filter/api/counterparty-detail"))
        shop_hits = db.session.scalar(db.select(LookupCounter.hits)
                                      .where(LookupCounter.bucket == "shop"))
    assert (called, shop_hits) == (CAP, CAP)
