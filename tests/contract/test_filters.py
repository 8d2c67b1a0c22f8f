"""Filters, sorting and paging of the list endpoints (CONTRACT §1.6), in the byte forms that
real clients send.

Query strings are written out by hand, byte for byte: the docs' array form
(``status[]=a``), the PHP SDK's ``http_build_query`` form (``status%5B0%5D=a``) and the MCP
server's ``URLSearchParams`` form (``status=a&status=b``). Every query is narrowed to this
session's own orders with ``merchantOrderId[_start]``, so the suite can run against an API
that holds other orders too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.sandbox.helpers import line

from .client import ContractApi
from .conftest import Target

pytestmark = pytest.mark.contract

LIST = "filter/api/order/order"


@pytest.fixture(scope="module")
def run(target: Target) -> str:
    return f"{target.run}-F"


@pytest.fixture(scope="module")
def orders(api: ContractApi, run: str) -> list[dict]:
    """Five orders, oldest first: amounts 10, 20, 30, 40, 50; the 20 and 40 ones canceled."""
    created = []
    for number, amount in enumerate(("10.00", "20.00", "30.00", "40.00", "50.00"), start=1):
        body = api.order(lines=[line("a", amount)], merchantOrderId=f"{run}-{number}")
        body["customer"]["email"] = f"buyer{number % 2}@example.com"
        created.append(api.create_order(body))
    for order in (created[1], created[3]):
        api.ok("DELETE", f"billing/api/order/order/{order['id']}")
    return [api.ok("GET", f"billing/api/order/order/{o['id']}") for o in created]


def listed(api: ContractApi, run: str, query: str) -> list[str]:
    """The numbers (``F-n`` → ``n``) the list answers for ``query``, sent exactly as written."""
    scoped = f"merchantOrderId%5B_start%5D={run}-&{query.replace('RUN', run)}"
    response = api.get_exact(f"{LIST}?{scoped}")
    assert response.status_code == 200, response.text
    return [o["merchantOrderId"].removeprefix(f"{run}-") for o in response.json()["data"]]


def test_default_is_newest_first_with_paging_metadata(api: ContractApi, orders: list[dict],
                                                      run: str) -> None:
    body = api.get_exact(f"{LIST}?merchantOrderId[_start]={run}-").json()

    assert [o["merchantOrderId"] for o in body["data"]] == [f"{run}-{n}" for n in "54321"]
    assert body["metaData"] == {"totalCount": 5, "pageSize": 30, "page": 1}
    assert body["extendedData"] == []


@pytest.mark.parametrize("query", ["_page=2&_pageSize=2", "page=2&pageSize=2",
                                   "_page=2&page=3&_pageSize=2&pageSize=1"])
def test_both_paging_spellings_and_underscore_wins(api: ContractApi, orders: list[dict],
                                                   run: str, query: str) -> None:
    body = api.get_exact(f"{LIST}?merchantOrderId[_start]={run}-&{query}").json()

    assert [o["merchantOrderId"] for o in body["data"]] == [f"{run}-3", f"{run}-2"]
    assert body["metaData"] == {"totalCount": 5, "pageSize": 2, "page": 2}


def test_a_page_past_the_end_is_empty(api: ContractApi, orders: list[dict], run: str) -> None:
    body = api.get_exact(f"{LIST}?merchantOrderId[_start]={run}-&_page=4&_pageSize=2").json()

    assert body["data"] == [] and body["metaData"]["totalCount"] == 5


@pytest.mark.parametrize(("query", "expected"), [
    ("amount=30", "3"),
    ("amount[_eq]=30.00", "3"),
    ("amount[_ne]=30", "5421"),
    ("amount[_gt]=30", "54"),
    ("amount[gt]=30", "54"),
    ("amount[_ge]=30", "543"),
    ("amount[_lt]=30", "21"),
    ("amount[le]=30&amount[ge]=20", "32"),
    ("status=canceled", "42"),
    ("status=cancelled", "42"),
    ("status[_ne]=canceled", "531"),
    ("merchantOrderId[_start]=RUN-", "54321"),
    ("customer[email][eq]=buyer0@example.com", "42"),
    ("customer[email]=buyer1@example.com&amount[_gt]=10", "53"),
])
def test_filters(api: ContractApi, orders: list[dict], run: str, query: str,
                 expected: str) -> None:
    assert listed(api, run, query) == list(expected)


@pytest.mark.parametrize(("query", "expected"), [
    # the docs' array form (docs/api/filters.md)
    ("status[]=canceled&status[]=expired", "42"),
    ("status[]=created&status[]=canceled", "54321"),
    ("merchantOrderId[]=RUN-1&merchantOrderId[]=RUN-5", "51"),
    # the PHP SDK: Filter::addInCondition, then http_build_query
    ("status%5B0%5D=canceled&status%5B1%5D=expired", "42"),
    ("status%5B0%5D=created&status%5B1%5D=canceled", "54321"),
    ("merchantOrderId%5B0%5D=RUN-1&merchantOrderId%5B1%5D=RUN-5", "51"),
    ("customer%5Bemail%5D%5B0%5D=buyer0%40example.com", "42"),
    # the MCP server's URLSearchParams: a repeated plain key, of which PHP keeps the last
    ("status=created&status=canceled", "42"),
    ("status=canceled&status=created", "531"),
    ("merchantOrderId=RUN-1&merchantOrderId=RUN-5", "5"),
    # operators that take a list
    ("status[_eq][]=canceled&status[_eq][]=expired", "42"),
    ("amount[_ne][]=10&amount[_ne][]=50", "432"),
    ("merchantOrderId[_start][]=RUN-1&merchantOrderId[_start][]=RUN-2", "21"),
    # PHP's later key overwrites an earlier one of the same name
    ("status=created&status[]=canceled", "42"),
    ("status[]=canceled&status=created", "531"),
    ("status[0]=created&status[0]=canceled", "42"),
])
def test_list_filters_in_the_forms_clients_send(api: ContractApi, orders: list[dict], run: str,
                                                query: str, expected: str) -> None:
    assert listed(api, run, query) == list(expected)


def test_the_mcp_servers_whole_query(api: ContractApi, orders: list[dict], run: str) -> None:
    """find_orders with two statuses and a start date, as URLSearchParams writes it."""
    since = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    query = ("_page=1&_pageSize=20&_order%5BcreatedAt%5D=desc&status=created&status=canceled"
             f"&createdAt%5B_ge%5D={since.replace(':', '%3A').replace('+', '%2B')}")

    # createdAt has whole seconds, so the order among orders of one second is not defined
    assert sorted(listed(api, run, query)) == ["2", "4"]


@pytest.mark.parametrize("statuses", [("created", "canceled"), ("canceled", "expired")])
@pytest.mark.parametrize("form", ["status[]={}", "status%5B{i}%5D={}"])
def test_an_in_list_gives_what_its_members_give_one_by_one(
        api: ContractApi, orders: list[dict], run: str, statuses: tuple[str, ...],
        form: str) -> None:
    one_by_one = {n for status in statuses for n in listed(api, run, f"status={status}")}
    query = "&".join(form.format(status, i=i) for i, status in enumerate(statuses))

    assert set(listed(api, run, query)) == one_by_one


@pytest.mark.parametrize(("query", "expected"), [
    ("%20status=canceled", "42"),  # PHP drops leading spaces of a name
    ("status[]x=canceled", "42"),  # ... and what follows the last "]"
    ("[status]=canceled", "54321"),  # a parameter without a name is ignored
])
def test_odd_names_are_read_as_php_reads_them(api: ContractApi, orders: list[dict], run: str,
                                              query: str, expected: str) -> None:
    assert listed(api, run, query) == list(expected)


def test_datetime_filters_compare_moments(api: ContractApi, orders: list[dict],
                                          run: str) -> None:
    hour_ago = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    in_an_hour = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")

    assert len(listed(api, run, f"createdAt[_ge]={hour_ago}")) == 5
    assert listed(api, run, f"createdAt[_ge]={in_an_hour}") == []
    assert len(listed(api, run, f"expirationDate[_gt]={in_an_hour}%2B00:00")) == 5


def test_paid_at_filter(api: ContractApi, target: Target) -> None:
    run = f"{target.run}-P"  # apart from the five, which other tests count
    paid = api.create_order(merchantOrderId=f"{run}-1")
    api.create_order(merchantOrderId=f"{run}-2")
    target.pay(paid["id"])

    assert listed(api, run, "paidAt[_ge]=2000-01-01T00:00:00") == ["1"]
    assert listed(api, run, "status[]=completed&status[]=canceled") == ["1"]


def test_filter_by_id(api: ContractApi, orders: list[dict]) -> None:
    assert api.ok("GET", f"{LIST}?id={orders[2]['id']}") == [orders[2]]


@pytest.mark.parametrize(("query", "expected"), [
    ("_order[amount]=asc", "12345"),
    ("_order[amount]=desc", "54321"),
    ("_order[status]=desc&_order[amount]=desc", "53142"),
    ("_order%5Bstatus%5D=desc&_order%5Bamount%5D=asc", "13524"),
    ("_order[merchantOrderId]=desc&_pageSize=2", "54"),
])
def test_sorting(api: ContractApi, orders: list[dict], run: str, query: str,
                 expected: str) -> None:
    assert listed(api, run, query) == list(expected)


@pytest.mark.parametrize("query", [
    "_page=0", "_pageSize=0", "page=-1", "_pageSize=abc", "_page[]=2",
    "_order=createdAt:desc", "_order[]=asc", "_order[amount]=up", "_order[nope]=asc",
    "amount[_gt]=abc", "status[_gt]=created", "amount[_start]=1", "unknownField=1",
    "createdAt[_ge]=yesterday", "amount[_xx]=1", "status[foo]=created",
    "amount[_gt][]=10", "status[0][x]=created", "customer=x", "customer[]=x",
    "customer[nope]=x",
])
def test_what_the_api_cannot_use_is_wrong_filter_format(api: ContractApi, orders: list[dict],
                                                        query: str) -> None:
    response = api.get_exact(f"{LIST}?{query}")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "wrong_filter_format"
    assert response.json()["error"]["fields"]


def test_money_in_lists_keeps_exact_values(api: ContractApi, orders: list[dict],
                                           run: str) -> None:
    response = api.get_exact(f"{LIST}?merchantOrderId[_start]={run}-&_order[amount]=asc")
    amounts = [o["amount"] for o in response.json(parse_float=Decimal)["data"]]

    assert amounts == [Decimal(n) for n in (10, 20, 30, 40, 50)]
