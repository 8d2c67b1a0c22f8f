"""Request parsing and the success envelope shared by the API views."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from ..encoding import loads, php_dumps
from ..errors import ApiError, field, validation


def json_body() -> dict[str, Any]:
    """The request's JSON object, numbers exact. 400 if it is not JSON, 422 if not an object."""
    raw = request.get_data(cache=True)
    try:
        body = loads(raw or b"null")
    except ValueError as exc:
        raise ApiError(400, "bad_request", "Malformed JSON in request body") from exc
    if not isinstance(body, dict):
        raise validation([field("", "the request body must be a JSON object")])
    return body


def json_response(payload: Any, status: int = 200,
                  headers: dict[str, str] | None = None) -> Response:
    """A response serialised the way the gateway does it (see :func:`php_dumps`)."""
    return Response(php_dumps(payload), status=status, headers=headers,
                    mimetype="application/json")


def one(data: Any) -> Response:
    """``{"data": {...}, "extendedData": []}``."""
    return json_response({"data": data, "extendedData": []})


def many(data: list[Any], meta: dict[str, int] | None = None) -> Response:
    """``{"data": [...], "metaData": {...}, "extendedData": []}`` (metaData when paged)."""
    payload: dict[str, Any] = {"data": data}
    if meta is not None:
        payload["metaData"] = meta
    payload["extendedData"] = []
    return json_response(payload)
