"""The Invoicebox API v3 client: one method per endpoint the shop uses (CONTRACT §2).

Usage::

    client = InvoiceboxClient("https://api.invoicebox.ru", token)
    order = client.create_order(CreateOrderRequest(...))
    return redirect(order.payment_url)

Writes are sent once. When one raises :class:`UnknownOutcome`, reconcile before sending
again: :meth:`InvoiceboxClient.find_order_by_merchant_order_id` for orders,
:meth:`InvoiceboxClient.find_refund_by_merchant_order_id` for refunds, :meth:`get_order`
after a cancel, :meth:`list_shipments` after a shipment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar, Unpack
from urllib.parse import quote

from .company import Company, is_inn_shaped, pick_company
from .errors import AuthError, InvalidRequest, NotFound, ProtocolError, UnknownOutcome
from .models import AuthInfo, Order, Page, Refund, RefundableItem, Shipment
from .payloads import (
    CreateOrderRequest,
    CreateRefundRequest,
    CreateShipmentRequest,
    UpdateOrderRequest,
)
from .query import build_query
from .transport import ApiResponse, Transport, TransportOptions

__all__ = ["API_VERSIONS", "InvoiceboxClient"]

API_VERSIONS = ("v3", "l3")
_RECONCILE_PAGE_SIZE = 100
_MAX_PAGES = 100  # list_shipments stops here rather than loop on a server that ignores paging

_M = TypeVar("_M")
_W = TypeVar("_W", Order, Refund, Shipment)
Filters = Mapping[str, object] | None
OrderBy = Iterable[str | tuple[str, str]] | None


class InvoiceboxClient:
    """A framework-free client for one shop's token.

    ``base_url`` is the host (``https://api.invoicebox.ru``, or the sandbox such as
    ``http://127.0.0.1:8001``); ``api_version`` is the path prefix, ``v3`` or ``l3`` for
    shops of the Invoicebox.Business cabinet. The other options (session, timeouts,
    retries, the call observer) are the :class:`~.transport.Transport`'s: see
    :class:`~.transport.TransportOptions`.
    """

    def __init__(self, base_url: str, token: str, *, api_version: str = "v3",
                 **options: Unpack[TransportOptions]) -> None:
        if api_version not in API_VERSIONS:
            raise ValueError(f"api_version must be one of {API_VERSIONS}, got {api_version!r}")
        self.api_version = api_version
        self._transport = Transport(base_url, token, **options)

    def __repr__(self) -> str:
        return f"InvoiceboxClient({self._transport.base_url!r}, api_version={self.api_version!r})"

    def close(self) -> None:
        """Close the HTTP session if the client created it (an injected one is left open)."""
        self._transport.close()

    def __enter__(self) -> InvoiceboxClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- plumbing -----------------------------------------------------------------

    def _path(self, *segments: str) -> str:
        return "/" + "/".join((self.api_version, *segments))

    @staticmethod
    def _id(value: str) -> str:
        if not value or not str(value).strip():
            raise InvalidRequest("an object id is required", field="id")
        return quote(str(value), safe="")  # an id must never reshape the path

    def _get(self, path: str, params: list[tuple[str, str]] | None = None) -> ApiResponse:
        return self._transport.request("GET", path, params=params)

    def _write(self, method: str, path: str, model: type[_W],
               body: Mapping[str, Any] | None = None) -> _W:
        """Send a write; its answer as ``model``, carrying the answer's ``X-Request-Id``."""
        response = self._transport.request(method, path, body=body)
        if not isinstance(response.data, dict):
            # The write went through but the answer is unreadable: its result is unknown.
            raise UnknownOutcome(
                f"{method} {path}: data is not an object",
                http_status=response.http_status,
                code="wrong_response",
                request_id=response.request_id,
            )
        return replace(model.from_dict(response.data), request_id=response.request_id)

    def _rows(self, response: ApiResponse, path: str) -> list[Mapping[str, Any]]:
        if not isinstance(response.data, list):
            raise ProtocolError(
                f"GET {path}: expected a list in data",
                http_status=response.http_status,
                code="wrong_response",
                request_id=response.request_id,
            )
        return [row for row in response.data if isinstance(row, Mapping)]

    def _page(
        self,
        path: str,
        parse: Callable[[Mapping[str, Any]], _M],
        filters: Filters,
        order_by: OrderBy,
        page: int | None,
        page_size: int | None,
    ) -> Page[_M]:
        params = build_query(filters, order_by=order_by, page=page, page_size=page_size)
        response = self._get(path, params)
        rows = self._rows(response, path)
        return Page.from_meta([parse(row) for row in rows], response.meta_data, response.request_id)

    # -- auth ---------------------------------------------------------------------

    def auth_info(self) -> AuthInfo:
        """``GET /security/api/auth/auth``. Raises :class:`AuthError` for a wrong token."""
        response = self._get(self._path("security", "api", "auth", "auth"))
        data = response.data if isinstance(response.data, Mapping) else {}
        return AuthInfo.from_dict(data)

    def check_auth(self) -> bool:
        """True only if the token is accepted and belongs to a user (§2.1).

        A rejected token (401/403) gives False; transport failures still raise, because
        "cannot tell" is not "wrong token".
        """
        try:
            return self.auth_info().user_id is not None
        except AuthError:
            return False

    # -- companies ----------------------------------------------------------------

    def lookup_company(self, vat_number: str) -> Company | None:
        """``GET /filter/api/counterparty-detail?vatNumber=``: a company by its INN (§2.12).

        Returns the registry's record, or None when it has none. A read, retried as reads
        are. Raises :class:`InvalidRequest` without sending anything unless ``vat_number`` is
        10 or 12 digits; check its check digits first too (the API refuses them with a 422).
        """
        if not is_inn_shaped(vat_number):
            raise InvalidRequest("an INN has 10 or 12 digits", field="vatNumber")
        path = self._path("filter", "api", "counterparty-detail")
        return pick_company(self._rows(self._get(path, [("vatNumber", vat_number)]), path),
                            vat_number)

    # -- orders -------------------------------------------------------------------

    def create_order(self, request: CreateOrderRequest) -> Order:
        """``POST /billing/api/order/order``. The basket is checked before sending."""
        body = request.to_payload()
        return self._write("POST", self._path("billing", "api", "order", "order"), Order, body)

    def create_correction_order(self, request: CreateOrderRequest) -> Order:
        """``POST /billing/api/order/correction-order``: fee/penalty kept from a draft refund.

        ``request.parent_id`` must be the id of the draft refund (§7.9).
        """
        if not request.parent_id:
            raise InvalidRequest(
                "a correction order needs parent_id (the draft refund)", field="parentId"
            )
        body = request.to_payload()
        path = self._path("billing", "api", "order", "correction-order")
        return self._write("POST", path, Order, body)

    def get_order(self, order_id: str) -> Order:
        """One order by its Invoicebox id, via ``GET /filter/api/order/order?id=`` (Q5).

        Raises :class:`NotFound` if the gateway returns no such order.
        """
        path = self._path("filter", "api", "order", "order")
        response = self._get(path, [("id", str(order_id))])
        rows = response.data if isinstance(response.data, list) else [response.data]
        for row in rows:
            # Match the id rather than trusting data[0], in case the filter was ignored.
            if isinstance(row, Mapping) and str(row.get("id", "")).lower() == order_id.lower():
                return replace(Order.from_dict(row), request_id=response.request_id)
        raise NotFound(
            f"order {order_id} not found",
            http_status=response.http_status,
            code="not_found",
            request_id=response.request_id,
        )

    def find_orders(
        self,
        filters: Filters = None,
        *,
        order_by: OrderBy = None,
        page: int | None = None,
        page_size: int | None = None,
    ) -> Page[Order]:
        """``GET /filter/api/order/order`` with filters, sorting and paging (see query.py)."""
        return self._page(
            self._path("filter", "api", "order", "order"),
            Order.from_dict,
            filters,
            order_by,
            page,
            page_size,
        )

    def find_orders_by_merchant_order_id(self, merchant_order_id: str) -> list[Order]:
        """Every order with exactly this ``merchantOrderId``, newest first."""
        found = self.find_orders(
            {"merchantOrderId": merchant_order_id},
            order_by=["-createdAt"],
            page_size=_RECONCILE_PAGE_SIZE,
        )
        return _newest_first(o for o in found if o.merchant_order_id == merchant_order_id)

    def find_order_by_merchant_order_id(self, merchant_order_id: str) -> Order | None:
        """The newest order with this ``merchantOrderId``, or None: the reconciliation
        step after a create that ended in :class:`UnknownOutcome`."""
        orders = self.find_orders_by_merchant_order_id(merchant_order_id)
        return orders[0] if orders else None

    def update_order(self, order_id: str, request: UpdateOrderRequest) -> Order:
        """``PUT /billing/api/order/order/{id}``; only allowed while the order is ``created``."""
        body = request.to_payload()
        path = self._path("billing", "api", "order", "order", self._id(order_id))
        return self._write("PUT", path, Order, body)

    def cancel_order(self, order_id: str) -> Order:
        """``DELETE /billing/api/order/order/{id}``; returns the order, status ``canceled``."""
        path = self._path("billing", "api", "order", "order", self._id(order_id))
        return self._write("DELETE", path, Order)

    # -- refunds ------------------------------------------------------------------

    def get_refundable_items(self, order_id: str) -> list[RefundableItem]:
        """``GET .../order/{id}/refund-basket-item``: lines with what is still refundable."""
        path = self._path(
            "billing", "api", "order", "order", self._id(order_id), "refund-basket-item"
        )
        return [RefundableItem.from_dict(row) for row in self._rows(self._get(path), path)]

    def create_refund(self, request: CreateRefundRequest) -> Refund:
        """``POST /billing/api/order/refund-order``. The basket is checked before sending."""
        body = request.to_payload()
        path = self._path("billing", "api", "order", "refund-order")
        return self._write("POST", path, Refund, body)

    def find_refunds(
        self,
        filters: Filters = None,
        *,
        order_by: OrderBy = None,
        page: int | None = None,
        page_size: int | None = None,
    ) -> Page[Refund]:
        """``GET /filter/api/order/refund-order`` (e.g. ``{"parentId": order_id}``)."""
        return self._page(
            self._path("filter", "api", "order", "refund-order"),
            Refund.from_dict,
            filters,
            order_by,
            page,
            page_size,
        )

    def find_refund_by_merchant_order_id(
        self, merchant_order_id: str, *, parent_id: str | None = None
    ) -> Refund | None:
        """The newest refund with this ``merchantOrderId`` (and parent, if given), or None."""
        found = self.find_refunds(
            {"merchantOrderId": merchant_order_id, "parentId": parent_id},
            order_by=["-createdAt"],
            page_size=_RECONCILE_PAGE_SIZE,
        )
        refunds = _newest_first(
            r
            for r in found
            if r.merchant_order_id == merchant_order_id
            and (parent_id is None or r.parent_id == parent_id)
        )
        return refunds[0] if refunds else None

    # -- shipments ----------------------------------------------------------------

    def create_shipment(self, request: CreateShipmentRequest) -> Shipment:
        """``POST /billing/api/order/shipment``."""
        body = request.to_payload()
        path = self._path("billing", "api", "order", "shipment")
        return self._write("POST", path, Shipment, body)

    def find_shipments(
        self,
        filters: Filters = None,
        *,
        order_by: OrderBy = None,
        page: int | None = None,
        page_size: int | None = None,
    ) -> Page[Shipment]:
        """``GET /filter/api/order/shipment`` (Q4)."""
        return self._page(
            self._path("filter", "api", "order", "shipment"),
            Shipment.from_dict,
            filters,
            order_by,
            page,
            page_size,
        )

    def list_shipments(self, order_id: str) -> list[Shipment]:
        """All shipments of one order, every page, oldest first by id.

        Rows of other orders are dropped in case the filter is ignored (as the gateway's
        own tooling guards against).
        """
        shipments: list[Shipment] = []
        for page in range(1, _MAX_PAGES + 1):
            found = self.find_shipments(
                {"orderId": order_id}, order_by=["id"], page=page, page_size=_RECONCILE_PAGE_SIZE
            )
            shipments.extend(s for s in found if s.order_id == order_id)
            if len(found) < _RECONCILE_PAGE_SIZE or (
                found.total_count is not None and page * _RECONCILE_PAGE_SIZE >= found.total_count
            ):
                break
        return shipments


def _newest_first(objects: Iterable[_M]) -> list[_M]:
    def created(obj: Any) -> float:
        stamp: datetime | None = obj.created_at
        return stamp.timestamp() if stamp is not None else float("-inf")

    # Sort here too: a server that ignores _order must not make us pick an old order.
    return sorted(objects, key=created, reverse=True)
