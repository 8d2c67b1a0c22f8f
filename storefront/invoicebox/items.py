"""Value objects shared by requests and responses: the payer and the basket line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from .errors import BasketError
from .money import money_to_json, parse_money, quantity_to_json
from .wire import parse_date, read_dict, read_str

__all__ = ["BasketItem", "Customer", "RefundableItem"]


@dataclass(frozen=True)
class Customer:
    """The payer. All fields optional; ``type`` is ``private`` or ``legal``."""

    type: str | None = None
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    vat_number: str | None = None  # INN
    tax_registration_reason_code: str | None = None  # KPP
    registration_address: str | None = None
    country_id: str | None = None  # only ever seen in responses
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    _WIRE = (
        ("type", "type"),
        ("name", "name"),
        ("phone", "phone"),
        ("email", "email"),
        ("vat_number", "vatNumber"),
        ("tax_registration_reason_code", "taxRegistrationReasonCode"),
        ("registration_address", "registrationAddress"),
    )

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Customer:
        values = {attr: read_str(raw.get(key)) for attr, key in cls._WIRE}
        return cls(**values, country_id=read_str(raw.get("countryId")), raw=dict(raw))

    def to_payload(self) -> dict[str, Any]:
        # None means "not given"; an empty string is sent as given (the docs' example does).
        return {
            key: getattr(self, attr) for attr, key in self._WIRE if getattr(self, attr) is not None
        }


@dataclass(frozen=True)
class BasketItem:
    """One basket line. Money includes VAT except ``amount_wo_vat``.

    Build request lines with :class:`~storefront.invoicebox.basket.Basket`, which computes
    the four money fields consistently; this class only carries them.
    """

    sku: str
    name: str
    quantity: Decimal | None
    amount: Decimal | None  # unit price with VAT
    amount_wo_vat: Decimal | None  # unit price without VAT
    total_amount: Decimal | None
    total_vat_amount: Decimal | None
    vat_code: str
    measure: str = "шт"
    measure_code: str = "796"
    type: str | int = "commodity"
    payment_type: str = "full_prepayment"
    group_name: str | None = None
    origin_country: str | None = None
    origin_country_code: str | None = None
    gross_weight: Decimal | None = None
    net_weight: Decimal | None = None
    excise: Decimal | None = None
    service_date: date | None = None
    category_type: str | None = None
    category: str | None = None
    meta_data: dict[str, Any] | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def _fields_from(cls, raw: Mapping[str, Any]) -> dict[str, Any]:
        line_type = raw.get("type")
        return {
            "sku": read_str(raw.get("sku")) or "",
            "name": read_str(raw.get("name")) or "",
            "quantity": parse_money(raw.get("quantity")),
            "amount": parse_money(raw.get("amount")),
            "amount_wo_vat": parse_money(raw.get("amountWoVat")),
            "total_amount": parse_money(raw.get("totalAmount")),
            "total_vat_amount": parse_money(raw.get("totalVatAmount")),
            "vat_code": read_str(raw.get("vatCode")) or "",
            "measure": read_str(raw.get("measure")) or "",
            "measure_code": read_str(raw.get("measureCode")) or "",
            "type": line_type if isinstance(line_type, int) else (read_str(line_type) or ""),
            "payment_type": read_str(raw.get("paymentType")) or "",
            "group_name": read_str(raw.get("groupName")),
            "origin_country": read_str(raw.get("originCountry")),
            "origin_country_code": read_str(raw.get("originCountryCode")),
            "gross_weight": parse_money(raw.get("grossWeight")),
            "net_weight": parse_money(raw.get("netWeight")),
            "excise": parse_money(raw.get("excise")),
            "service_date": parse_date(raw.get("serviceDate")),
            "category_type": read_str(raw.get("categoryType")),
            "category": read_str(raw.get("category")),
            "meta_data": read_dict(raw.get("metaData")),
            "raw": dict(raw),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> BasketItem:
        return cls(**cls._fields_from(raw))

    def _required(self, value: Decimal | None, name: str) -> Decimal:
        if value is None:
            raise BasketError(f"line {self.sku!r}: {name} is missing", field=name)
        return value

    def to_payload(self) -> dict[str, Any]:
        """The line as the gateway expects it; only known fields, money as JSON numbers."""
        payload: dict[str, Any] = {
            "sku": self.sku,
            "name": self.name,
            "measure": self.measure,
            "measureCode": self.measure_code,
            "quantity": quantity_to_json(self._required(self.quantity, "quantity")),
            "amount": money_to_json(self._required(self.amount, "amount")),
            "amountWoVat": money_to_json(self._required(self.amount_wo_vat, "amountWoVat")),
            "totalAmount": money_to_json(self._required(self.total_amount, "totalAmount")),
            "totalVatAmount": money_to_json(
                self._required(self.total_vat_amount, "totalVatAmount")
            ),
            "vatCode": self.vat_code,
            "type": self.type,
            "paymentType": self.payment_type,
        }
        optional: dict[str, Any] = {
            "groupName": self.group_name,
            "originCountry": self.origin_country,
            "originCountryCode": self.origin_country_code,
            "grossWeight": None if self.gross_weight is None else float(self.gross_weight),
            "netWeight": None if self.net_weight is None else float(self.net_weight),
            "excise": None if self.excise is None else money_to_json(self.excise),
            "serviceDate": None if self.service_date is None else self.service_date.isoformat(),
            "categoryType": self.category_type,
            "category": self.category,
            "metaData": self.meta_data,
        }
        payload.update({key: value for key, value in optional.items() if value is not None})
        return payload


@dataclass(frozen=True)
class RefundableItem(BasketItem):
    """A line of ``refund-basket-item``: the original line plus what is still refundable.

    The remainder is money, not units (a part of a line may already be refunded), so build
    refund lines from ``available_amount`` rather than from ``quantity``.
    """

    available_amount: Decimal | None = None
    available_vat_amount: Decimal | None = None

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> RefundableItem:
        return cls(
            **cls._fields_from(raw),
            available_amount=parse_money(raw.get("availableAmount")),
            available_vat_amount=parse_money(raw.get("availableVatAmount")),
        )
