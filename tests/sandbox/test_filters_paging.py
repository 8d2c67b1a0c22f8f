"""Filters, sorting and paging of the list endpoints (CONTRACT §1.6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.support.sandbox import SandboxProcess

from .helpers import Api, line, order_body

LIST = "filter/api/order/order"


@pytest.fixture(scope="module")
def orders(sandbox: SandboxProcess) -> list[dict]:
    """Five orders, oldest first: amounts 10, 20, 30, 40, 50; the 20 and 40 ones paid."""
    sandbox.reset()
    api = Api(sandbox.url, sandbox.token)
    created = []
    for number, amount in enumerate(("10.00", "20.00", "30.00", "40.00", "50.00"), start=1):
        body = order_body(lines=[line("a", amount)], merchantOrderId=f"F-{number}")
        body["customer"]["email"] = f"buyer{number % 2}@example.com"
        created.append(api.create_order(body))
    for order in (created[1], created[3]):
        sandbox.control(f"orders/{order['id']}/pay")
    return [api.ok("GET", f"billing/api/order/order/{o['id']}") for o in created]


def numbers(api: Api, query: str) -> list[str]:
    return [o["merchantOrderId"] for o in api.ok("GET", f"{LIST}?{query}")]


def test_default_is_newest_first_with_paging_metadata(api: Api, orders: list[dict]) -> None:
    response = api.call("GET", LIST)
    body = response.json()

    assert [o["merchantOrderId"] for o in body["data"]] == ["F-5", "F-4", "F-3", "F-2", "F-1"]
    assert body["metaData"] == {"totalCount": 5, "pageSize": 30, "page": 1}
    assert body["extendedData"] == []


@pytest.mark.parametrize("query", ["_page=2&_pageSize=2", "page=2&pageSize=2",
                                   "_page=2&page=3&_pageSize=2&pageSize=1"])
def test_both_paging_spellings_and_underscore_wins(api: Api, orders: list[dict],
                                                   query: str) -> None:
    body = api.call("GET", f"{LIST}?{query}").json()

    assert [o["merchantOrderId"] for o in body["data"]] == ["F-3", "F-2"]
    assert body["metaData"] == {"totalCount": 5, "pageSize": 2, "page": 2}


def test_a_page_past_the_end_is_empty(api: Api, orders: list[dict]) -> None:
    body = api.call("GET", f"{LIST}?_page=4&_pageSize=2").json()

    assert body["data"] == [] and body["metaData"]["totalCount"] == 5


@pytest.mark.parametrize(("query", "expected"), [
    ("amount=30", ["F-3"]),
    ("amount[_eq]=30.00", ["F-3"]),
    ("amount[_ne]=30", ["F-5", "F-4", "F-2", "F-1"]),
    ("amount[_gt]=30", ["F-5", "F-4"]),
    ("amount[gt]=30", ["F-5", "F-4"]),
    ("amount[_ge]=30", ["F-5", "F-4", "F-3"]),
    ("amount[_lt]=30", ["F-2", "F-1"]),
    ("amount[le]=30&amount[ge]=20", ["F-3", "F-2"]),
    ("status=completed", ["F-4", "F-2"]),
    ("status[]=completed&status[]=canceled", ["F-4", "F-2"]),
    ("status[_ne]=completed", ["F-5", "F-3", "F-1"]),
    ("merchantOrderId[_start]=F-", ["F-5", "F-4", "F-3", "F-2", "F-1"]),
    ("merchantOrderId[]=F-1&merchantOrderId[]=F-5", ["F-5", "F-1"]),
    ("customer[email][eq]=buyer0@example.com", ["F-4", "F-2"]),
    ("customer[email]=buyer1@example.com&amount[_gt]=10", ["F-5", "F-3"]),
    ("paidAt[_ge]=2000-01-01T00:00:00", ["F-4", "F-2"]),
])
def test_filters(api: Api, orders: list[dict], query: str, expected: list[str]) -> None:
    assert numbers(api, query) == expected


def test_datetime_filters_compare_moments(api: Api, orders: list[dict]) -> None:
    hour_ago = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    in_an_hour = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")

    assert len(numbers(api, f"createdAt[_ge]={hour_ago}")) == 5
    assert numbers(api, f"createdAt[_ge]={in_an_hour}") == []
    assert len(numbers(api, f"expirationDate[_gt]={in_an_hour}%2B00:00")) == 5


def test_filter_by_id(api: Api, orders: list[dict]) -> None:
    assert api.ok("GET", f"{LIST}?id={orders[2]['id']}") == [orders[2]]


@pytest.mark.parametrize(("query", "expected"), [
    ("_order[amount]=asc", ["F-1", "F-2", "F-3", "F-4", "F-5"]),
    ("_order[amount]=desc", ["F-5", "F-4", "F-3", "F-2", "F-1"]),
    ("_order[status]=asc&_order[amount]=desc", ["F-4", "F-2", "F-5", "F-3", "F-1"]),
    ("_order[merchantOrderId]=desc&_pageSize=2", ["F-5", "F-4"]),
])
def test_sorting(api: Api, orders: list[dict], query: str, expected: list[str]) -> None:
    assert numbers(api, query) == expected


@pytest.mark.parametrize("query", [
    "_page=0", "_pageSize=0", "page=-1", "_pageSize=abc", "_order=createdAt:desc",
    "_order[amount]=up", "_order[nope]=asc", "amount[_gt]=abc", "status[_gt]=created",
    "amount[_start]=1", "unknownField=1", "createdAt[_ge]=yesterday", "amount[_xx]=1",
])
def test_malformed_queries_are_wrong_filter_format(api: Api, orders: list[dict],
                                                   query: str) -> None:
    response = api.call("GET", f"{LIST}?{query}")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "wrong_filter_format"
    assert response.json()["error"]["fields"]


def test_money_in_lists_keeps_exact_values(api: Api, orders: list[dict]) -> None:
    amounts = [o["amount"] for o in api.ok("GET", f"{LIST}?_order[amount]=asc")]

    assert amounts == [Decimal(n) for n in (10, 20, 30, 40, 50)]
