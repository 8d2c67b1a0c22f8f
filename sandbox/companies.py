"""The sandbox's registry of demo companies, read by ``counterparty-detail`` (CONTRACT §2.12).

Invoicebox answers that endpoint from the state registers (EGRUL for organisations, EGRIP for
sole traders); offline, the sandbox answers from this small fictional registry. Every INN
and OGRN here has correct check digits, so a client that checks them before asking (as it
should) gets through. The entries cover what a shop has to handle:

* two organisations (10-digit INN, KPP, legal address);
* a sole trader (12-digit INN, no KPP, and no address: a person's home address is not
  public);
* an organisation that was liquidated.

Any other INN with valid check digits is simply not in the registry (``data: []``).
"""

from __future__ import annotations

from typing import Any

from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength
from stdnum.ru import inn as inn_number

# The verified fields (the ones Invoicebox's MCP server reads) come first; ``address``,
# ``status`` and ``liquidationDate`` are the sandbox's own guess at the rest.
DEMO_COMPANIES: tuple[dict[str, Any], ...] = (
    {
        "vatNumber": "7701456203",
        "taxRegistrationReasonCode": "770101001",
        "name": "ООО «Кофейная гильдия»",
        "nameFull": "ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ «КОФЕЙНАЯ ГИЛЬДИЯ»",
        "registrationNumber": "1157746123457",
        "registrationDate": "2015-06-18",
        "address": "101000, г. Москва, ул. Мясницкая, д. 24, стр. 1, офис 3",
        "status": "active",
        "liquidationDate": None,
    },
    {
        "vatNumber": "7810347123",
        "taxRegistrationReasonCode": "781001001",
        "name": "АО «Северная обжарка»",
        "nameFull": "АКЦИОНЕРНОЕ ОБЩЕСТВО «СЕВЕРНАЯ ОБЖАРКА»",
        "registrationNumber": "1167847012343",
        "registrationDate": "2016-02-09",
        "address": "196084, г. Санкт-Петербург, Московский пр-кт, д. 65, лит. А",
        "status": "active",
        "liquidationDate": None,
    },
    {
        "vatNumber": "770412345664",
        "taxRegistrationReasonCode": None,
        "name": "ИП Соколова Мария Андреевна",
        "nameFull": "Индивидуальный предприниматель Соколова Мария Андреевна",
        "registrationNumber": "318774600123460",
        "registrationDate": "2018-04-05",
        "status": "active",
        "liquidationDate": None,
    },
    {
        "vatNumber": "5003126586",
        "taxRegistrationReasonCode": "500301001",
        "name": "ООО «Старый самовар»",
        "nameFull": "ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ «СТАРЫЙ САМОВАР»",
        "registrationNumber": "1055003123450",
        "registrationDate": "2005-11-21",
        "address": "142700, Московская обл., г. Видное, ул. Школьная, д. 5",
        "status": "liquidated",
        "liquidationDate": "2022-09-30",
    },
)

_BY_INN = {company["vatNumber"]: company for company in DEMO_COMPANIES}


def inn_problem(value: str) -> str | None:
    """Why ``value`` is not an INN (length, digits, check digits), or None if it is one."""
    if not (value.isascii() and value.isdigit()):  # no spaces or dashes, unlike a form
        return "must consist of digits only"
    try:
        inn_number.validate(value)
    except (InvalidLength, InvalidFormat):
        return "must have 10 digits (organisation) or 12 (person)"
    except InvalidChecksum:
        return "check digits do not match"
    return None


def find(vat_number: str) -> list[dict[str, Any]]:
    """The registry's records for a valid INN: one record, or none."""
    company = _BY_INN.get(vat_number)
    return [dict(company)] if company else []
