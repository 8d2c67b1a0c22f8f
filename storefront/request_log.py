"""One structured log line per request.

Views and the gateway add what they know to the request's log record with
:func:`note` (the order reference, the ``X-Request-Id`` of each Invoicebox
call); the line is written when the response leaves. Personal data, tokens,
keys and signatures are never put in it.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from flask import Flask, Response, g, has_request_context, request

log = logging.getLogger("storefront.requests")


def note(**fields: Any) -> None:
    """Add fields to this request's log line (no-op outside a request)."""
    if not has_request_context():
        return
    extra = g.setdefault("log_fields", {})
    for key, value in fields.items():
        if key == "gateway_request_id":
            extra.setdefault("gateway_request_ids", []).append(value)
        else:
            extra[key] = value


def init_app(app: Flask) -> None:
    @app.before_request
    def start_timer() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def write_line(response: Response) -> Response:
        started = g.get("request_started")
        record: dict[str, Any] = {
            "method": request.method,
            # The route pattern, not the path: buyer links carry secret tokens.
            "route": request.url_rule.rule if request.url_rule else request.path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
        }
        record.update(g.get("log_fields", {}))
        log.info("request %s", json.dumps(record, ensure_ascii=False, separators=(",", ":")))
        return response
