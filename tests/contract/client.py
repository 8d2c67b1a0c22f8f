"""The contract suite's API client: paced for the real API's limits, and it remembers the
orders it created so that the session can cancel them."""

from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from tests.sandbox.helpers import Api, order_body

ORDERS = "billing/api/order/order"
# 80 requests per 30 s, under the documented 100 per account (CONTRACT §1.5).
MIN_INTERVAL = 30 / 80
MAX_TRIES = 4


@dataclass
class RawAnswer:
    """An answer to :meth:`ContractApi.get_exact`."""

    status_code: int
    headers: http.client.HTTPMessage
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self, **kwargs: Any) -> Any:
        return json.loads(self.content, **kwargs)


class ContractApi(Api):
    """:class:`Api` for one merchant of the target, with pacing and 429 handling."""

    def __init__(self, base_url: str, token: str, prefix: str, merchant_id: str, *,
                 paced: bool) -> None:
        super().__init__(base_url, token, prefix)
        self.merchant_id = merchant_id
        self.paced = paced
        self.created: list[str] = []
        self._last = 0.0

    def _pace(self) -> None:
        if self.paced:
            time.sleep(max(0.0, self._last + MIN_INTERVAL - time.monotonic()))
            self._last = time.monotonic()

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        for _ in range(MAX_TRIES):
            self._pace()
            response = super().call(method, path, body, **kwargs)
            if response.status_code != 429:
                break
            # A 429 was not processed, so repeating it is safe, even for a write.
            time.sleep(min(30.0, float(response.headers.get("Retry-After") or 1)))
        if method == "POST" and path == ORDERS and response.status_code == 200:
            self.created.append(response.json()["data"]["id"])
        return response

    def get_exact(self, target: str) -> RawAnswer:
        """GET ``<prefix>/<target>`` with the request target exactly as written.

        requests (urllib3) percent-encodes ``[`` and ``]`` in a query, so the docs' raw
        ``status[]=a`` could not be sent as such; http.client sends the bytes it is given.
        """
        root = urlsplit(self.root)
        connection_class = (http.client.HTTPSConnection if root.scheme == "https"
                            else http.client.HTTPConnection)
        headers = {key: value for key, value in self.session.headers.items()
                   if key in ("Accept", "User-Agent", "Authorization")}
        for _ in range(MAX_TRIES):
            self._pace()
            connection = connection_class(root.netloc, timeout=30)
            try:
                connection.request("GET", f"{root.path}/{target}", headers=headers)
                response = connection.getresponse()
                answer = RawAnswer(response.status, response.headers, response.read())
            finally:
                connection.close()
            if answer.status_code != 429:
                break
            time.sleep(min(30.0, float(answer.headers.get("Retry-After") or 1)))
        return answer

    def order(self, lines: list[dict[str, Any]] | None = None, **overrides: Any) -> dict:
        """A valid create-order request for the target's merchant."""
        return order_body(lines, **{"merchantId": self.merchant_id, **overrides})

    def create_order(self, body: dict[str, Any] | None = None, **overrides: Any) -> dict:
        return self.ok("POST", ORDERS, body or self.order(**overrides))

    def cancel_created(self) -> None:
        """Cancel what this session created; a paid order stays as it is."""
        for order_id in self.created:
            self.call("DELETE", f"{ORDERS}/{order_id}")
        self.created.clear()
