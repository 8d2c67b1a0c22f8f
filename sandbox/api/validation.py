"""Request schemas: required fields, JSON types, lengths and enums (422 ``validation``).

Each schema maps a property to a :class:`Spec`. :func:`check` walks a request body and returns
the cleaned object (known properties only, ``null`` optional values dropped) and the list of
``fields[]`` problems. Properties with their own documented error codes (``currencyId``,
``languageId``, ``expirationDate``) are only checked for presence here; the views apply the
specific codes afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ..errors import field
from .arithmetic import VAT_RATES

PAYMENT_TYPES = ("full_prepayment", "prepayment", "advance", "full_payment")
ITEM_TYPES = ("commodity", "service")


@dataclass(frozen=True)
class Spec:
    # str, str_or_int, money, number, bool, int, object, items, date, item_type, enum, strs, any
    kind: str
    required: bool = False
    max_len: int | None = None
    choices: tuple[Any, ...] = ()
    items: dict[str, Spec] | None = None  # schema of each element for kind "items"


def _s(max_len: int, required: bool = False) -> Spec:
    return Spec("str", required, max_len)


CUSTOMER = {
    "type": Spec("enum", choices=("legal", "private")),
    "name": _s(500), "phone": _s(100), "email": _s(100), "vatNumber": _s(20),
    "taxRegistrationReasonCode": _s(9), "countryId": _s(3), "registrationAddress": _s(1000),
}
BASKET_ITEM = {
    "sku": _s(500, True), "name": _s(500, True), "groupName": _s(500),
    "measure": _s(10, True), "measureCode": _s(4, True),
    "originCountry": _s(20), "originCountryCode": _s(4),
    "grossWeight": Spec("number"), "netWeight": Spec("number"),
    "quantity": Spec("number", True), "amount": Spec("money", True),
    "amountWoVat": Spec("money", True), "totalAmount": Spec("money", True),
    "totalVatAmount": Spec("money", True), "excise": Spec("money"),
    "vatCode": Spec("enum", True, choices=tuple(VAT_RATES)),
    "type": Spec("item_type", True), "serviceDate": Spec("date"),
    "paymentType": Spec("enum", True, choices=PAYMENT_TYPES),
    "categoryType": Spec("enum", choices=("merchantHonestSignMap", "honestSign")),
    "category": _s(20), "metaData": Spec("object"),
}
INVOICE_SETTING = {
    "customerLocked": Spec("bool"), "customerLockedFields": Spec("strs"),
    "customerHiddenFields": Spec("strs"), "paymentMethodIdLocked": Spec("bool"),
    "paymentMethodId": Spec("int"), "deliveryAddress": _s(1000),
}
ORDER_SETTING = {
    "roundPolicy": Spec("enum", choices=("strict", "none", "floor", "ceil", "halfUp",
                                         "halfDown")),
    "disableValidate": Spec("bool"),
}
ITEMS = Spec("items", True, items=BASKET_ITEM)
CREATE_ORDER = {
    "merchantId": _s(36, True), "merchantOrderId": _s(256, True),
    "merchantOrderIdVisible": _s(256), "description": _s(1000, True),
    "amount": Spec("money", True), "vatAmount": Spec("money", True),
    "currencyId": Spec("any", True), "languageId": Spec("any"),
    "expirationDate": Spec("any", True), "basketItems": ITEMS,
    "customer": Spec("object", True, items=CUSTOMER), "metaData": Spec("object"),
    "notificationUrl": _s(1000), "successUrl": _s(1000), "failUrl": _s(1000),
    "returnUrl": _s(1000),
    "invoiceSetting": Spec("object", items=INVOICE_SETTING),
    "orderSetting": Spec("object", items=ORDER_SETTING),
    "parentId": _s(36), "orderContainerId": _s(36), "shopId": Spec("str_or_int"),
    "userAccountId": _s(36), "processable": Spec("bool"),
}
UPDATE_ORDER = {
    "description": _s(1000), "amount": Spec("money"), "vatAmount": Spec("money"),
    "expirationDate": Spec("any"), "basketItems": Spec("items", items=BASKET_ITEM),
    "metaData": Spec("object"), "customer": Spec("object", items=CUSTOMER),
    "shopId": Spec("str_or_int"),
}
CREATE_REFUND = {
    "parentId": _s(36, True), "merchantOrderId": _s(100, True),
    "amount": Spec("money", True), "vatAmount": Spec("money", True), "basketItems": ITEMS,
    "description": _s(1000, True), "status": Spec("enum", choices=("created", "draft")),
}
CREATE_SHIPMENT = {
    "orderId": _s(36, True), "documentNumber": _s(36), "documentDate": Spec("date"),
    "basketItems": ITEMS, "final": Spec("bool"),
}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def _is_date(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _problem(spec: Spec, value: Any) -> str | None:
    """Why ``value`` does not fit ``spec``, or None if it does (nested objects aside)."""
    kind = spec.kind
    if kind == "any":
        return None
    if kind == "str":
        if not isinstance(value, str):
            return "must be a string"
        if spec.max_len is not None and len(value) > spec.max_len:
            return f"must be at most {spec.max_len} characters"
        if spec.required and not value.strip():
            return "must not be blank"
    elif kind in ("money", "number"):
        if not _is_number(value):
            return "must be a number"
        if value < 0:
            return "must not be negative"
        if kind == "money" and Decimal(value).normalize().as_tuple().exponent < -2:
            return "must have at most 2 decimal places"
    elif kind == "bool" and not isinstance(value, bool):
        return "must be true or false"
    elif kind == "int" and (not isinstance(value, int) or isinstance(value, bool)):
        return "must be an integer"
    elif kind == "str_or_int" and not (isinstance(value, str) or
                                       (isinstance(value, int) and not isinstance(value, bool))):
        return "must be a string or an integer"
    elif kind == "enum" and value not in spec.choices:
        return f"must be one of {', '.join(map(str, spec.choices))}"
    elif kind == "item_type" and not (value in ITEM_TYPES or (
            isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 33)):
        return "must be commodity, service or a tag 1212 code"
    elif kind == "date" and not _is_date(value):
        return "must be a date YYYY-MM-DD"
    elif kind == "strs" and not (isinstance(value, list) and
                                 all(isinstance(v, str) for v in value)):
        return "must be a list of strings"
    elif kind == "object" and not isinstance(value, dict):
        return "must be an object"
    elif kind == "items":
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            return "must be a list of objects"
        if not value:
            return "must not be empty"
    return None


def check(body: dict[str, Any], schema: dict[str, Spec],
          prefix: str = "") -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Validate ``body`` against ``schema``; return (cleaned copy, fields[] problems)."""
    clean: dict[str, Any] = {}
    problems: list[dict[str, str]] = []
    for name, spec in schema.items():
        path = f"{prefix}{name}"
        value = body.get(name)
        if value is None:
            if spec.required:
                problems.append(field(path, "is required", "required"))
            continue
        reason = _problem(spec, value)
        if reason:
            problems.append(field(path, reason))
            continue
        if spec.kind == "object" and spec.items is not None:
            value, nested = check(value, spec.items, f"{path}.")
            problems += nested
        elif spec.kind == "items":
            value = list(value)
            for index, element in enumerate(value):
                value[index], nested = check(element, spec.items or {}, f"{path}[{index}].")
                problems += nested
        clean[name] = value
    for index, item in enumerate(clean.get("basketItems", [])):
        if item.get("category") and not item.get("categoryType"):
            problems.append(field(f"{prefix}basketItems[{index}].categoryType",
                                  "is required when category is set", "required"))
    return clean, problems
