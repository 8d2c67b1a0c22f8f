"""Shared constants and fixture loaders for the Invoicebox client tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from storefront.invoicebox import Basket, CreateOrderRequest, Customer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "invoicebox"
BASE_URL = "https://api.invoicebox.test"
TOKEN = "b37c4c689295904ed21eee5d9a48d42e"
MERCHANT_ID = "ffffffff-ffff-ffff-ffff-ffffffffffff"
USER_AGENT_PATTERN = r"InvoiceboxDemoShop/1\.0 \(invoicebox-python 0\.1\.0; Python/\d+\.\d+\.\d+\)"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> Any:
    return json.loads(fixture_bytes(name))


def url(path: str) -> str:
    return BASE_URL + path


def query_of(request_url: str) -> list[tuple[str, str]]:
    """Decoded query parameters of a recorded request, in order."""
    return parse_qsl(urlsplit(request_url).query, keep_blank_values=True)


def sent_json(call: Any) -> Any:
    """The JSON body a recorded ``responses`` call sent."""
    return json.loads(call.request.body)


def order_request(**changes: Any) -> CreateOrderRequest:
    """A valid create-order request: two units of tea and a delivery line."""
    basket = Basket()
    basket.add(
        sku="tea-1",
        name="Чай улун, 100 г",
        unit_price=Decimal("1000.00"),
        quantity=2,
        vat_code="RUS_VAT22",
    )
    basket.add_delivery(Decimal("300.00"), "RUS_VAT22", name="Доставка курьером")
    fields: dict[str, Any] = {
        "merchant_id": MERCHANT_ID,
        "merchant_order_id": "42-1",
        "description": "Заказ 42 в чайной лавке",
        "basket_items": basket,
        "expiration_date": datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
        "customer": Customer(type="private", email="buyer@example.com", phone="79001112233"),
        "language_id": "ru",
        "success_url": "https://shop.example/orders/42/paid",
        "fail_url": "https://shop.example/orders/42/failed",
        "return_url": "https://shop.example/orders/42",
        "notification_url": "https://shop.example/invoicebox/notify",
    }
    fields.update(changes)
    return CreateOrderRequest(**fields)
