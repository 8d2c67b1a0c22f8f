"""The limits on company lookups: per buyer session, per client address, and the shop-wide
cap that keeps lookups out of the API budget payments need (CONTRACT §1.5).

Against the real sandbox; every call the shop makes to Invoicebox is in its journal
(``GatewayCall``), so "did it ask" is read from there. Under several gunicorn workers on
PostgreSQL, see ``tests/production/test_company_lookup_cap.py``.
"""

from __future__ import annotations

import pytest

from storefront.extensions import db
from storefront.models import GatewayCall, LookupCounter
from storefront.payments import lookup_limits
from storefront.payments.lookup_limits import Limit

from .conftest import add_to_cart

DETAIL_PATH = "/v3/filter/api/counterparty-detail"
GUILD, NORTH, SOLE_TRADER = "7701456203", "7810347123", "770412345664"


@pytest.fixture
def limited_app(make_app, sandbox):
    def build(**limits: int):
        settings = {f"STOREFRONT_COMPANY_LOOKUPS_{name.upper()}": value
                    for name, value in limits.items()}
        return make_app(INVOICEBOX_API_URL=sandbox.url, **settings)

    return build


def buyer(app, address: str = "127.0.0.1"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    add_to_cart(client, "ceramic-mug-300")
    return client


def find(client, inn: str):
    return client.post("/checkout/company", data={"inn": inn})


def calls(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(GatewayCall.id))
                                 .where(GatewayCall.path == DETAIL_PATH))


def test_a_buyer_session_gets_so_many_lookups_an_hour(limited_app):
    app = limited_app(per_session=2)
    client = buyer(app)
    assert [find(client, inn).status_code for inn in (GUILD, GUILD)] == [200, 200]

    refused = find(client, NORTH)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    assert refused.get_json() == {
        "outcome": "limited", "tone": "warning", "company": None,
        "message": "You have looked up several companies just now. "
                   "Please type the company's details yourself."}
    assert calls(app) == 1  # the second was the cache; the third never asked

    assert find(buyer(app), NORTH).status_code == 200  # another buyer is not held up


def test_one_address_gets_so_many_lookups_an_hour_whatever_its_sessions(limited_app):
    app = limited_app(per_address=3)
    answers = [find(buyer(app), GUILD).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    assert find(buyer(app, "192.0.2.7"), GUILD).status_code == 200


def test_the_shop_wide_cap_keeps_invoicebox_calls_for_payments(limited_app):
    app = limited_app(per_30s=2)
    client = buyer(app)
    assert find(client, GUILD).status_code == 200
    assert find(buyer(app, "192.0.2.8"), NORTH).status_code == 200

    busy = find(buyer(app, "192.0.2.9"), SOLE_TRADER)
    assert busy.status_code == 429 and 1 <= int(busy.headers["Retry-After"]) <= 30
    assert busy.get_json()["message"] == ("Company search is busy right now. "
                                          "Please type the company's details yourself.")
    assert calls(app) == 2
    # A cached answer costs Invoicebox nothing, so the cap does not stand in its way.
    assert find(client, GUILD).get_json()["outcome"] == "found"


def test_a_limit_of_zero_switches_lookups_off(limited_app):
    app = limited_app(per_30s=0)
    assert find(buyer(app), GUILD).get_json()["outcome"] == "busy"
    assert calls(app) == 0


def test_counters_keep_no_session_id_or_address(limited_app):
    app = limited_app()
    client = buyer(app, "198.51.100.23")
    find(client, GUILD)
    with app.app_context():
        buckets = db.session.execute(db.select(LookupCounter.bucket)).scalars().all()
    # "invoicebox": the account's request budget, which every call counts against.
    assert sorted(b.split(":")[0] for b in buckets) == ["address", "invoicebox", "session",
                                                        "shop"]
    assert not any("198.51.100.23" in b for b in buckets)
    with client.session_transaction() as session:
        assert not any(session["company_lookup_id"] in b for b in buckets)


def test_a_window_counts_all_or_nothing_and_starts_again(app):
    with app.app_context():
        one, two = Limit("a", 2, 30), Limit("b", 1, 30)
        assert lookup_limits.take([two], now=1000) is None
        assert lookup_limits.take([one, two], now=1001) == 19  # b is full until 1020
        assert lookup_limits.take([one], now=1002) is None
        assert lookup_limits.take([one], now=1003) is None  # a's first try was undone
        assert lookup_limits.take([one], now=1004) == 16
        assert lookup_limits.take([one, two], now=1020) is None  # a new window for both
        hits = dict(db.session.execute(db.select(LookupCounter.bucket, LookupCounter.hits)).all())
        assert hits == {"a": 1, "b": 1}


def test_counters_of_long_past_windows_are_swept(app):
    with app.app_context():
        assert lookup_limits.take([Limit("old", 5, 3600)], now=0) is None
        assert lookup_limits.take([Limit("recent", 5, 30)], now=7000) is None
        assert lookup_limits.take([Limit("new", 5, 30)], now=7300) is None
        buckets = db.session.execute(db.select(LookupCounter.bucket)).scalars().all()
        assert sorted(buckets) == ["new", "recent"]
