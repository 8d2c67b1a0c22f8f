"""``lookup_company``: the request sent, the tolerant model, retries as for every read."""

from __future__ import annotations

from datetime import date

import pytest
import requests

from storefront.invoicebox import (
    Company,
    CompanyStatus,
    InvalidRequest,
    InvoiceboxClient,
    ValidationError,
)

from .support import BASE_URL, TOKEN, fixture_json, query_of, url

DETAIL = url("/v3/filter/api/counterparty-detail")


def reply(mocked, payload, status=200, request_id="req-7"):
    mocked.get(DETAIL, json=payload, status=status, headers={"X-Request-Id": request_id})


def test_a_registered_company_is_read_into_the_model(client, mocked, calls):
    reply(mocked, fixture_json("contract-counterparty-detail-response.json"))

    company = client.lookup_company("7701456203")

    request = mocked.calls[0].request
    assert request.method == "GET" and request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.path_url.startswith("/v3/filter/api/counterparty-detail?")
    assert query_of(request.url) == [("vatNumber", "7701456203")]
    assert company == Company(
        vat_number="7701456203",
        name="ООО «Кофейная гильдия»",
        name_full="ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ «КОФЕЙНАЯ ГИЛЬДИЯ»",
        tax_registration_reason_code="770101001",
        registration_number="1157746123457",
        registration_date=date(2015, 6, 18),
        address="101000, г. Москва, ул. Мясницкая, д. 24, стр. 1, офис 3",
        status=CompanyStatus.ACTIVE,
        liquidation_date=None,
    )
    assert company.raw["nameFull"].startswith("ОБЩЕСТВО")
    assert (company.is_liquidated, company.is_sole_trader) == (False, False)
    assert [(c.method, c.http_status, c.request_id, c.outcome) for c in calls] == [
        ("GET", 200, "req-7", "ok")]


def test_only_the_verified_fields_are_needed(client, mocked):
    # The body Invoicebox's MCP server tests with: no address, no status, nothing else.
    reply(mocked, {"data": [{"vatNumber": "7736207543", "name": "ООО «Ромашка»",
                             "taxRegistrationReasonCode": "770101001"}]})

    company = client.lookup_company("7736207543")

    assert company is not None
    assert (company.display_name, company.tax_registration_reason_code) == (
        "ООО «Ромашка»", "770101001")
    assert (company.address, company.status, company.registration_date) == (None, None, None)
    assert company.is_liquidated is False


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"status": "LIQUIDATED"}, (True, "liquidated")),
        ({"status": "liquidated", "liquidationDate": "2022-09-30"}, (True, "liquidated")),
        ({"liquidationDate": "2022-09-30T00:00:00+00:00"}, (True, None)),
        ({"status": "active", "liquidationDate": None}, (False, "active")),
        ({"status": {"code": "odd"}, "liquidationDate": "not a date"}, (False, None)),
    ],
    ids=["upper-case", "status-and-date", "date-only", "active", "odd-shapes"],
)
def test_liquidation_is_read_from_status_or_date(client, mocked, record, expected):
    reply(mocked, {"data": [{"vatNumber": "5003126586", **record}]})

    company = client.lookup_company("5003126586")

    assert (company.is_liquidated, company.status) == expected


def test_odd_field_shapes_become_none_and_unknown_fields_are_kept_in_raw(client, mocked):
    reply(mocked, {"data": [{
        "vatNumber": 770412345664, "taxRegistrationReasonCode": "", "name": "",
        "nameFull": "Индивидуальный предприниматель Соколова Мария Андреевна",
        "address": {"value": "somewhere"}, "registrationDate": "5 April 2018",
        "okved": "56.30",
    }]})

    company = client.lookup_company("770412345664")

    assert company.vat_number == "770412345664" and company.is_sole_trader
    assert company.display_name == "Индивидуальный предприниматель Соколова Мария Андреевна"
    assert (company.tax_registration_reason_code, company.name, company.address,
            company.registration_date) == (None, None, None, None)
    assert company.raw["okved"] == "56.30"


def test_an_inn_the_registry_does_not_know_is_none(client, mocked):
    reply(mocked, {"data": [], "metaData": {"totalCount": 0, "pageSize": 30, "page": 1},
                   "extendedData": []})

    assert client.lookup_company("7707083893") is None


def test_rows_for_another_inn_are_not_taken_for_the_one_asked(client, mocked):
    # A server that ignored the filter: data[0] is somebody else.
    reply(mocked, {"data": [{"vatNumber": "7810347123", "name": "АО «Северная обжарка»"}]})

    assert client.lookup_company("7701456203") is None


@pytest.mark.parametrize("vat_number", ["", "770145620", "77014562031", "7701 456203",
                                        "77014562O3", "٧٧٠١٤٥٦٢٠٣", "7701456203&x=1"])
def test_a_value_that_is_not_inn_shaped_is_refused_before_sending(client, mocked, vat_number):
    with pytest.raises(InvalidRequest) as caught:
        client.lookup_company(vat_number)

    assert (caught.value.code, caught.value.field) == ("validation", "vatNumber")
    assert len(mocked.calls) == 0


def test_the_gateway_refusing_the_inn_is_a_validation_error(client, mocked):
    reply(mocked, {"error": {"message": "Validation Error", "code": "validation", "fields": [
        {"name": "vatNumber", "code": "wrong_value", "message": "check digits do not match"}]}},
        status=422, request_id="req-422")

    with pytest.raises(ValidationError) as caught:
        client.lookup_company("7701456204")

    assert (caught.value.code, caught.value.request_id) == ("validation", "req-422")
    assert [f.name for f in caught.value.fields] == ["vatNumber"]
    assert len(mocked.calls) == 1  # a 4xx is not retried


def test_it_is_retried_like_every_read(client, mocked, sleeps):
    mocked.get(DETAIL, body=requests.ConnectionError("reset"))
    reply(mocked, {"error": {"message": "Internal Server Error", "fields": []}}, status=500)
    reply(mocked, fixture_json("contract-counterparty-detail-response.json"))

    company = client.lookup_company("7701456203")

    assert company is not None and company.name == "ООО «Кофейная гильдия»"
    assert len(mocked.calls) == 3 and len(sleeps) == 2


def test_the_l3_prefix(mocked):
    mocked.get(url("/l3/filter/api/counterparty-detail"), json={"data": []})
    client = InvoiceboxClient(BASE_URL, "29078-API:" + TOKEN, api_version="l3")

    assert client.lookup_company("7701456203") is None
    assert mocked.calls[0].request.path_url == (
        "/l3/filter/api/counterparty-detail?vatNumber=7701456203")
