"""Company details by INN: ``GET /filter/api/counterparty-detail?vatNumber=`` (CONTRACT §2.12).

Answers from the built-in demo registry (:mod:`sandbox.companies`) in the list envelope:
``data`` holds the one matching record, or is ``[]`` for a valid INN the registry does not
know. A missing or malformed INN (not 10 or 12 digits, wrong check digits) is a 422
``validation`` naming ``vatNumber``. Like every API call, it needs a valid token and counts
against the rate limits.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from .. import companies
from ..errors import field, validation
from .common import many
from .filters import DEFAULT_PAGE_SIZE

bp = Blueprint("counterparty", __name__)


@bp.get("/filter/api/counterparty-detail")
def counterparty_detail() -> Response:
    # A repeated plain key is read as PHP reads it: the last value wins.
    values = request.args.getlist("vatNumber")
    vat_number = values[-1] if values else ""
    if not vat_number:
        raise validation([field("vatNumber", "is required", "required")])
    problem = companies.inn_problem(vat_number)
    if problem:
        raise validation([field("vatNumber", problem)])
    found = companies.find(vat_number)
    return many(found, {"totalCount": len(found), "pageSize": DEFAULT_PAGE_SIZE, "page": 1})
