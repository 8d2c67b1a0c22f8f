"""``GET /filter/api/counterparty-detail?vatNumber=``: company details by INN (CONTRACT §2.12).

Asked the way Invoicebox's MCP server asks (``lookup_company_by_inn``): a GET with the INN as
``vatNumber``, the answer read from ``data[0]``.
"""

from __future__ import annotations

import pytest

from tests.support.sandbox import SandboxProcess

from .helpers import Api

PATH = "filter/api/counterparty-detail"
PAGING = {"totalCount": 1, "pageSize": 30, "page": 1}
COFFEE_GUILD = {
    "vatNumber": "7701456203",
    "taxRegistrationReasonCode": "770101001",
    "name": "ООО «Кофейная гильдия»",
    "nameFull": "ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ «КОФЕЙНАЯ ГИЛЬДИЯ»",
    "registrationNumber": "1157746123457",
    "registrationDate": "2015-06-18",
    "address": "101000, г. Москва, ул. Мясницкая, д. 24, стр. 1, офис 3",
    "status": "active",
    "liquidationDate": None,
}


@pytest.mark.parametrize("prefix", ["v3", "l3"])
def test_a_registered_organisation_is_the_one_record_in_data(sandbox: SandboxProcess,
                                                              prefix: str) -> None:
    response = Api(sandbox.url, sandbox.token, prefix).call(
        "GET", f"{PATH}?vatNumber=7701456203")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert len(response.headers["X-Request-Id"]) >= 16
    assert response.json() == {"data": [COFFEE_GUILD], "metaData": PAGING, "extendedData": []}


def test_a_sole_trader_has_no_kpp_and_no_address(api: Api) -> None:
    data = api.ok("GET", PATH, params={"vatNumber": "770412345664"})

    assert data == [{
        "vatNumber": "770412345664",
        "taxRegistrationReasonCode": None,
        "name": "ИП Соколова Мария Андреевна",
        "nameFull": "Индивидуальный предприниматель Соколова Мария Андреевна",
        "registrationNumber": "318774600123460",
        "registrationDate": "2018-04-05",
        "status": "active",
        "liquidationDate": None,
    }]


def test_a_liquidated_organisation_says_so(api: Api) -> None:
    [company] = api.ok("GET", PATH, params={"vatNumber": "5003126586"})

    assert (company["name"], company["taxRegistrationReasonCode"]) == (
        "ООО «Старый самовар»", "500301001")
    assert (company["status"], company["liquidationDate"]) == ("liquidated", "2022-09-30")


@pytest.mark.parametrize("vat_number", ["7707083893", "500100732259"])
def test_a_valid_inn_the_registry_does_not_know_gives_an_empty_list(api: Api,
                                                                    vat_number: str) -> None:
    response = api.call("GET", PATH, params={"vatNumber": vat_number})

    assert response.status_code == 200
    assert response.json() == {"data": [], "metaData": {**PAGING, "totalCount": 0},
                               "extendedData": []}


def test_a_repeated_key_is_read_as_php_reads_it_the_last_value_wins(api: Api) -> None:
    data = api.ok("GET", f"{PATH}?vatNumber=7707083893&vatNumber=7701456203")

    assert [company["vatNumber"] for company in data] == ["7701456203"]


@pytest.mark.parametrize(
    ("query", "code", "message"),
    [
        ("", "required", "is required"),
        ("?vatNumber=", "required", "is required"),
        ("?vatNumber=770145620", "wrong_value",
         "must have 10 digits (organisation) or 12 (person)"),
        ("?vatNumber=77014562031", "wrong_value",
         "must have 10 digits (organisation) or 12 (person)"),
        ("?vatNumber=7701456204", "wrong_value", "check digits do not match"),
        ("?vatNumber=770412345665", "wrong_value", "check digits do not match"),
        ("?vatNumber=77014562O3", "wrong_value", "must consist of digits only"),
        ("?vatNumber=7701%20456203", "wrong_value", "must consist of digits only"),
        ("?vatNumber=%D9%A7701456203", "wrong_value", "must consist of digits only"),
    ],
    ids=["absent", "empty", "9-digits", "11-digits", "check-10", "check-12", "letter",
         "space", "arabic-digit"],
)
def test_a_malformed_inn_is_a_validation_error(api: Api, query: str, code: str,
                                               message: str) -> None:
    response = api.call("GET", PATH + query)

    assert response.status_code == 422
    assert response.json() == {"error": {
        "message": "Validation Error", "code": "validation",
        "fields": [{"name": "vatNumber", "code": code, "message": message}]}}


def test_it_needs_a_valid_token(sandbox: SandboxProcess) -> None:
    for token in (None, "00000000000000000000000000000000"):
        response = Api(sandbox.url, token).call("GET", f"{PATH}?vatNumber=7701456203")

        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
