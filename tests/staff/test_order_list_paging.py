"""The orders list's keyset pages, its total and its search, on SQLite and PostgreSQL.

Pages are cut from the matching orders' keys when there are at most
``EXACT_COUNT_LIMIT`` of them, and read through the index in the list's order when there
are more: the paging tests run both ways (``count_limit``).

On PostgreSQL the list's queries are also checked against the indexes meant to serve them
(migration 0006): with sequential scans priced out, a query that no index can serve
still shows a ``Seq Scan``, so a plan without one proves the index fits the query.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from storefront.extensions import db
from storefront.models import now_utc
from storefront.staff import queries
from storefront.staff.accounts import create_staff

from .helpers import MUG, make_order, sign_in, statements


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def shop_app(request, make_app) -> Flask:
    return make_app() if request.param == "sqlite" else request.getfixturevalue("pg_app")


@pytest.fixture(params=[None, 10], ids=["keys", "in-order"])
def count_limit(request, monkeypatch) -> None:
    """The default limit (pages cut from the keys), or 10 (pages read in index order)."""
    if request.param is not None:
        monkeypatch.setattr(queries, "EXACT_COUNT_LIMIT", request.param)


def _numbers(page: str) -> list[str]:
    return re.findall(r'href="/staff/orders/([^"?]+)"', page)


def _link(page: str, rel: str) -> str | None:
    found = re.search(rf'href="([^"]+)" rel="{rel}"', page)
    return found.group(1).replace("&amp;", "&") if found else None


def _orders(app: Flask, count: int, *, same_moment: bool = False, **fields) -> list[str]:
    """``count`` orders, numbered newest first: N0000 is the newest."""
    start = now_utc() - timedelta(hours=1)
    with app.app_context():
        for n in range(count):
            created = start if same_moment else start - timedelta(minutes=n)
            make_order(number=f"261127-N{n:04d}", lines=(MUG,), created_at=created, **fields)
    return [f"261127-N{n:04d}" for n in range(count)]


def _walk(client: FlaskClient, url: str, rel: str) -> list[list[str]]:
    """Follow the ``rel`` links from ``url``: the numbers on each page seen."""
    pages = []
    while url:
        page = client.get(url).get_data(as_text=True)
        pages.append(_numbers(page))
        url = _link(page, rel)
    return pages


def test_older_links_walk_every_order_once_newest_first(shop_app, staff_on, count_limit):
    numbers = _orders(shop_app, 60)
    pages = _walk(staff_on, "/staff/orders", "next")
    assert [len(page) for page in pages] == [25, 25, 10]
    assert sum(pages, []) == numbers


def test_orders_placed_at_the_same_moment_are_neither_skipped_nor_repeated(
        shop_app, staff_on, count_limit):
    _orders(shop_app, 53, same_moment=True)
    with shop_app.app_context():
        expected = db.session.execute(
            db.text('SELECT number FROM "order" ORDER BY id DESC')).scalars().all()
    forward = sum(_walk(staff_on, "/staff/orders", "next"), [])
    backward = _walk(staff_on, "/staff/orders?oldest=1", "prev")
    assert forward == expected
    # Going back ends on the full first page, so the last two pages may overlap.
    for page in backward:
        start = expected.index(page[0])
        assert page == expected[start:start + 25]
    assert set(sum(backward, [])) == set(expected)


def test_newer_and_oldest_links(shop_app, staff_on, count_limit):
    numbers = _orders(shop_app, 60)
    oldest = staff_on.get("/staff/orders?oldest=1").get_data(as_text=True)
    assert _numbers(oldest) == numbers[35:]
    assert 'rel="next"' not in oldest and "Oldest" not in oldest
    middle = staff_on.get(_link(oldest, "prev")).get_data(as_text=True)
    assert _numbers(middle) == numbers[10:35]
    # Back at the top, the page is the full first page, not the ten orders left over.
    top = staff_on.get(_link(middle, "prev")).get_data(as_text=True)
    assert _numbers(top) == numbers[:25]
    assert 'rel="prev"' not in top and "Newest" not in top


def test_paging_keeps_the_filter(shop_app, staff_on, count_limit):
    _orders(shop_app, 30, status="paid", email="maria@mail.ru")
    with shop_app.app_context():  # another status: never on these pages
        make_order(number="261127-WAIT1", status="awaiting_payment", email="maria@mail.ru",
               created_at=now_utc() - timedelta(minutes=5))
    first = staff_on.get("/staff/orders?status=paid&q=MAIL.RU").get_data(as_text=True)
    older = _link(first, "next")
    assert "status=paid" in older and "q=MAIL.RU" in older
    second = staff_on.get(older).get_data(as_text=True)
    assert len(_numbers(first)) == 25 and len(_numbers(second)) == 5
    assert "261127-WAIT1" not in first + second


def test_the_total_is_exact_up_to_a_limit_then_bounded(shop_app, staff_on, monkeypatch):
    _orders(shop_app, 12, status="paid")
    assert "12 orders" in staff_on.get("/staff/orders").get_data(as_text=True)
    monkeypatch.setattr(queries, "EXACT_COUNT_LIMIT", 10)
    filtered = staff_on.get("/staff/orders?status=paid").get_data(as_text=True)
    assert "more than 10 orders" in filtered
    everything = staff_on.get("/staff/orders").get_data(as_text=True)
    if staff_on.application.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        with shop_app.app_context():
            db.session.execute(db.text('ANALYZE "order"'))
            db.session.commit()
        # The planner's count, kept by ANALYZE (and autovacuum): exact here.
        assert "about 12 orders" in staff_on.get("/staff/orders").get_data(as_text=True)
    else:
        assert "more than 10 orders" in everything


@pytest.fixture
def customers(shop_app) -> None:
    start = now_utc() - timedelta(hours=3)
    with shop_app.app_context():
        make_order(number="261127-ANNA1", email="anna@example.ru", created_at=start)
        make_order(number="261127-ANNA2", email="anna@example.ru",
                   created_at=start + timedelta(minutes=1))
        make_order(number="261127-JOAN1", email="joanna@example.ru",
                   created_at=start + timedelta(minutes=2))
        make_order(number="261127-ANNA10", email="Anna_B@Example.ru",
                   created_at=start + timedelta(minutes=3))
        make_order(number="261127-OBRN1", email="o'brien\\x@example.ru",
                   created_at=start - timedelta(minutes=1))


@pytest.mark.parametrize(("search", "expected"), [
    # A whole e-mail is that customer's orders: not also joanna@example.ru's.
    ("anna@example.ru", ["261127-ANNA2", "261127-ANNA1"]),
    ("ANNA@EXAMPLE.RU", ["261127-ANNA2", "261127-ANNA1"]),
    # A whole order number is that order: not also 261127-ANNA10.
    ("261127-anna1", ["261127-ANNA1"]),
    # Anything else is a part of a number or an e-mail, in any case.
    ("nna@exa", ["261127-JOAN1", "261127-ANNA2", "261127-ANNA1"]),
    ("ANNA1", ["261127-ANNA10", "261127-ANNA1"]),
    ("anna_b@example.ru", ["261127-ANNA10"]),
    # Wildcards are literal: "_" is not any character, "%" not any text.
    ("anna_", ["261127-ANNA10"]),
    ("a%a", []),
    # Quotes and backslashes are text too (the pattern is written into the SQL).
    ("O'Brien\\", ["261127-OBRN1"]),
    ("nobody@example.ru", []),
])
def test_search_finds_exact_matches_first_then_parts(staff_on, customers, search, expected):
    page = staff_on.get("/staff/orders", query_string={"q": search}).get_data(as_text=True)
    assert _numbers(page) == expected


@pytest.mark.postgres
@pytest.mark.parametrize(("url", "index"), [
    ("/staff/orders", "ix_order_created_at_id"),
    ("/staff/orders?after=261127-N0030", "ix_order_created_at_id"),
    ("/staff/orders?before=261127-N0030", "ix_order_created_at_id"),
    ("/staff/orders?oldest=1", "ix_order_created_at_id"),
    ("/staff/orders?status=paid&after=261127-N0030", "ix_order_status_created_at_id"),
    # Holds not shipped in time: one status, through the same index; no shipment that
    # counts, through the shipments' order_id index.
    ("/staff/orders?overdue=1", "ix_order_status_created_at_id"),
    ("/staff/orders?overdue=1&after=261127-N0030", "ix_order_status_created_at_id"),
    ("/staff/orders?q=261127-N0003", "uq_order_number"),
    ("/staff/orders?q=maria@mail.ru", "ix_order_customer_email"),
    ("/staff/orders?q=N0003", "ix_order_number_trgm"),
    ("/staff/orders?q=ria@mail", "ix_order_customer_email_trgm"),
])
def test_every_query_of_the_list_is_served_by_an_index(pg_app, url, index, monkeypatch):
    # Pages of the forty orders are read in index order, of fewer cut from the keys.
    monkeypatch.setattr(queries, "EXACT_COUNT_LIMIT", 10)
    _orders(pg_app, 40, status="paid", email="maria@mail.ru")
    with pg_app.app_context():
        create_staff("anna@sever-coffee.ru", "correct horse battery")
        db.session.commit()
        # As autovacuum leaves a table: statistics, and pages marked all-visible.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql('VACUUM ANALYZE "order"')
    client = pg_app.test_client()
    assert sign_in(client).status_code == 302
    with statements(pg_app) as seen:
        assert client.get(url).status_code == 200
    plans = []
    with pg_app.app_context():
        connection = db.session.connection()
        connection.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in seen:
            if 'FROM "order"' in statement:
                # On forty rows, walking the list in order beats any search; a partial
                # match must still be able to use its trigram index, so that way is
                # priced out too.
                walk = "off" if " LIKE " in statement else "on"
                connection.exec_driver_sql(f"SET enable_indexscan = {walk}")
                connection.exec_driver_sql(f"SET enable_indexonlyscan = {walk}")
                plans.append("\n".join(row[0] for row in connection.exec_driver_sql(
                    "EXPLAIN " + statement, parameters)))
    assert plans
    for plan in plans:
        assert "Seq Scan" not in plan, plan
    assert any(index in plan for plan in plans), "\n\n".join(plans)
