"""Assembles the REST API and the checks every API request goes through first.

Before a view runs: the request is counted (``/_sandbox/api/counters``), a warning if there
is no User-Agent (the docs require one, the official PHP SDK sends none), armed ``api_*``
scenarios, the rate limits, authentication (401 before any validation of the body), and lazy
expiry so the view sees current statuses.
"""

from __future__ import annotations

import logging
import math
import time

from flask import Blueprint, Response, request

from ..errors import internal_error, too_many_requests
from ..maintenance import tick
from ..services import services
from . import auth, counterparty, orders, refunds, shipments

log = logging.getLogger(__name__)


def _before_api_request() -> Response | None:
    svc = services()
    svc.counters.hit(request.method, request.path)  # every request received, even refused
    if not request.headers.get("User-Agent"):
        log.warning("%s %s without User-Agent (the gateway requires one)",
                    request.method, request.path)
    scenarios = svc.scenarios
    if scenarios.take("api_500", method=request.method, target=request.path):
        log.info("scenario api_500: %s %s answered 500", request.method, request.path)
        raise internal_error()
    limited = scenarios.take("api_429", method=request.method, target=request.path)
    if limited:
        wait = max(1, math.ceil(limited.effective_seconds))
        raise too_many_requests(wait)
    slow = scenarios.take("api_timeout", method=request.method, target=request.path)
    if slow:
        log.info("scenario api_timeout: holding %s %s for %ss", request.method, request.path,
                 slow.effective_seconds)
        time.sleep(slow.effective_seconds)
    wait = svc.limiter.check(request.remote_addr or "", _raw_token())
    if wait is not None:
        raise too_many_requests(wait)
    if not (request.endpoint or "").endswith(".check_auth"):
        auth.account_merchants()  # 401 comes before any look at the body
    tick(svc)
    return None


def _raw_token() -> str | None:
    header = request.headers.get("Authorization", "")
    return header.partition(" ")[2].strip() or None


def create_api_blueprint() -> Blueprint:
    """The API as one blueprint; the app registers it once per prefix (``/v3``, ``/l3``)."""
    api = Blueprint("api", __name__)
    api.before_request(_before_api_request)
    for child in (auth.bp, orders.bp, refunds.bp, shipments.bp, counterparty.bp):
        api.register_blueprint(child)
    return api
