"""Company details by INN for the checkout: check digits, a day's cache, limits, Invoicebox.

* :func:`lookup_company` answers a buyer's "Find company": the INN's check digits are
  checked first (``python-stdnum``), then the buyer's session and address limits, then the
  cache, and only then, within the shop-wide cap, Invoicebox
  (``GET /filter/api/counterparty-detail``, CONTRACT §2.12).
* :func:`registry_company` is the checkout's own check of the INN it is about to use: the
  cached answer, else a lookup under the shop-wide cap only. It never stands in the way of
  a payment for the registry's sake: when it cannot tell, the buyer's details go as typed.

Answers, "no such INN" included, are kept a day per INN in ``CompanyCache``, in the database
so that every worker shares them (an in-process cache would ask once per worker; Redis
would add a service the shop does not otherwise need).

Transactions: the counters are committed before the call, no transaction is open while
Invoicebox answers, and the answer is stored in a new short transaction together with the
journal row of the call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite
from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.ru import inn as inn_number

from .. import gateway
from ..extensions import db
from ..invoicebox import Company, InvoiceboxError
from ..invoicebox import ValidationError as GatewayValidationError
from ..models import CompanyCache, now_utc
from . import lookup_limits
from .lookup_limits import HOUR, Limit

log = logging.getLogger(__name__)

CACHE_FOR = timedelta(days=1)
WINDOW = 30  # seconds: the span of the account's rate limit (CONTRACT §1.5)
_MAX_INPUT = 40  # longer than any INN, however spaced


class Outcome(StrEnum):
    FOUND = "found"
    LIQUIDATED = "liquidated"  # found, but it no longer exists: not a valid buyer
    NOT_FOUND = "not_found"
    INVALID = "invalid"  # not an INN: wrong length, characters or check digits
    LIMITED = "limited"  # this buyer (session or address) asked too often
    BUSY = "busy"  # the shop-wide cap that keeps the API budget for payments
    UNAVAILABLE = "unavailable"  # Invoicebox did not answer


@dataclass(frozen=True)
class LookupResult:
    outcome: Outcome
    vat_number: str
    company: Company | None = None
    problem: str | None = None  # why it is INVALID, fit for the buyer
    retry_after: int | None = None  # seconds, when LIMITED or BUSY


def check_inn(value: str) -> tuple[str, str | None]:
    """The INN without spaces, and why it is not a valid INN (None when it is)."""
    compact = "".join(value.split())[:_MAX_INPUT]
    try:
        inn_number.validate(compact)
    except InvalidChecksum:
        return compact, "This INN's check digits do not match; please check it."
    except ValidationError:
        return compact, "An INN has 10 digits (organisation) or 12 (sole trader)."
    return compact, None


def lookup_company(value: str, *, session_id: str, client_address: str) -> LookupResult:
    """What the registry says about the INN a buyer typed. Commits; never raises for
    Invoicebox's sake (an unreachable gateway is ``UNAVAILABLE``)."""
    vat_number, problem = check_inn(value)
    if problem:
        return LookupResult(Outcome.INVALID, vat_number, problem=problem)
    config = current_app.config
    wait = lookup_limits.take([
        Limit(lookup_limits.bucket("session", session_id),
              config.get("STOREFRONT_COMPANY_LOOKUPS_PER_SESSION", 10), HOUR),
        Limit(lookup_limits.bucket("address", client_address),
              config.get("STOREFRONT_COMPANY_LOOKUPS_PER_ADDRESS", 30), HOUR),
    ])
    if wait is not None:
        log.info("company lookup refused: this buyer's limit (retry in %s s)", wait)
        return LookupResult(Outcome.LIMITED, vat_number, retry_after=wait)
    return _cached(vat_number) or _ask(vat_number)


def registry_company(vat_number: str) -> LookupResult:
    """The registry's word on an INN that passed the checkout form's checks; commits."""
    return _cached(vat_number) or _ask(vat_number)


def _result(vat_number: str, company: Company | None) -> LookupResult:
    if company is None:
        return LookupResult(Outcome.NOT_FOUND, vat_number)
    outcome = Outcome.LIQUIDATED if company.is_liquidated else Outcome.FOUND
    return LookupResult(outcome, vat_number, company)


def _cached(vat_number: str) -> LookupResult | None:
    entry = db.session.get(CompanyCache, vat_number)
    if entry is None or entry.fetched_at <= now_utc() - CACHE_FOR:
        return None
    record = entry.record
    return _result(vat_number, Company.from_dict(record) if record is not None else None)


def _ask(vat_number: str) -> LookupResult:
    allowed = current_app.config.get("STOREFRONT_COMPANY_LOOKUPS_PER_30S", 20)
    wait = lookup_limits.take([Limit("shop", allowed, WINDOW)])  # commits: none stays open
    if wait is not None:
        log.warning("company lookup refused: %s lookups per %s s reached", allowed, WINDOW)
        return LookupResult(Outcome.BUSY, vat_number, retry_after=wait)
    try:
        with gateway.about():
            company = gateway.lookup_client().lookup_company(vat_number)
    except GatewayValidationError:
        return LookupResult(Outcome.INVALID, vat_number,
                            problem=_("Invoicebox does not accept this INN; please check it."))
    except InvoiceboxError as error:
        log.warning("company lookup failed: %s", error.code or type(error).__name__)
        return LookupResult(Outcome.UNAVAILABLE, vat_number)
    _store(vat_number, company)
    return _result(vat_number, company)


def _store(vat_number: str, company: Company | None) -> None:
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {"record": company.raw if company else None, "fetched_at": now_utc()}
    # Two workers may have asked at once: the later answer wins, both are the registry's.
    db.session.execute(
        insert(CompanyCache)
        .values(vat_number=vat_number, **values)
        .on_conflict_do_update(index_elements=[CompanyCache.vat_number], set_=values)
    )
    db.session.commit()
