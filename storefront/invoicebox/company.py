"""Company details by INN, as ``GET /filter/api/counterparty-detail`` returns them (§2.12).

Six fields are known from Invoicebox's own MCP server, which reads them from ``data[0]``:
``vatNumber`` (INN), ``taxRegistrationReasonCode`` (KPP), ``name``, ``nameFull``,
``registrationNumber`` (OGRN, or OGRNIP for a sole trader) and ``registrationDate``. The
legal ``address``, the registry ``status`` and ``liquidationDate`` are read when present but
are not documented anywhere: code must work without them. Parsing is as tolerant as for the
other models: unknown fields are ignored, missing or odd ones become ``None``, and ``raw``
keeps the record as it came.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from .wire import parse_date, read_str

__all__ = ["Company", "CompanyStatus", "is_inn_shaped"]


class CompanyStatus(StrEnum):
    ACTIVE = "active"
    LIQUIDATED = "liquidated"


def is_inn_shaped(value: str) -> bool:
    """10 ASCII digits (organisation) or 12 (person). Check digits are the caller's to check."""
    return value.isascii() and value.isdigit() and len(value) in (10, 12)


@dataclass(frozen=True)
class Company:
    """An organisation or a sole trader as the registry knows it."""

    vat_number: str  # INN
    name: str | None = None
    name_full: str | None = None
    tax_registration_reason_code: str | None = None  # KPP; a sole trader has none
    registration_number: str | None = None  # OGRN / OGRNIP
    registration_date: date | None = None
    address: str | None = None  # undocumented
    status: str | None = None  # undocumented; compare with CompanyStatus
    liquidation_date: date | None = None  # undocumented
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Company:
        status = read_str(raw.get("status"))
        return cls(
            vat_number=read_str(raw.get("vatNumber")) or "",
            name=read_str(raw.get("name")) or None,
            name_full=read_str(raw.get("nameFull")) or None,
            tax_registration_reason_code=read_str(raw.get("taxRegistrationReasonCode")) or None,
            registration_number=read_str(raw.get("registrationNumber")) or None,
            registration_date=parse_date(raw.get("registrationDate")),
            address=read_str(raw.get("address")) or None,
            status=status.lower() if status else None,
            liquidation_date=parse_date(raw.get("liquidationDate")),
            raw=dict(raw),
        )

    @property
    def display_name(self) -> str:
        """The short name, else the full one, else the INN."""
        return self.name or self.name_full or self.vat_number

    @property
    def is_sole_trader(self) -> bool:
        return len(self.vat_number) == 12

    @property
    def is_liquidated(self) -> bool:
        """True when the registry says the company no longer exists."""
        return self.status == CompanyStatus.LIQUIDATED or self.liquidation_date is not None


def pick_company(rows: Iterable[Mapping[str, Any]], vat_number: str) -> Company | None:
    """The first record for exactly this INN.

    Rows for other INNs are skipped rather than trusting ``data[0]``: a server that ignored
    the filter must not make one company look like another.
    """
    for row in rows:
        company = Company.from_dict(row)
        if company.vat_number == vat_number:
            return company
    return None
