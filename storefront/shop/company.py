"""Company details by INN at checkout: "Find company" fills in name, KPP and legal address.

One service call (:func:`~storefront.payments.lookup_company`), two ways in:

* without JavaScript, "Find company" submits the checkout form (the button's name is
  :data:`FIND_BUTTON`); the page comes back with the fields filled in and a note of what the
  registry said, everything still editable;
* with JavaScript, ``static/js/company-lookup.js`` posts the INN (and the form's CSRF token)
  to ``POST /checkout/company`` and fills the fields from the JSON answer.

A liquidated company is shown as such and never filled in; :func:`liquidated` is the
checkout's own check before it places an order.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from babel.dates import format_date
from flask import flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..invoicebox import Company
from ..payments import LookupOutcome, LookupResult, lookup_company, registry_company
from . import bp
from .cart import Cart
from .formatting import language
from .forms import CheckoutForm

FIND_BUTTON = "find_company"
SESSION_KEY = "company_lookup_id"
_HTTP_STATUS = {
    LookupOutcome.INVALID: 422,
    LookupOutcome.LIMITED: 429,
    LookupOutcome.BUSY: 429,
    LookupOutcome.UNAVAILABLE: 503,
}


@dataclass(frozen=True)
class Note:
    """What the page says about a lookup; ``tone`` is ``success``, ``warning`` or ``error``."""

    message: str
    tone: str


def describe(result: LookupResult) -> Note:
    """The buyer's note for a lookup result."""
    company, outcome = result.company, result.outcome
    type_it_in = _("Please type the company's details yourself.")
    if outcome is LookupOutcome.FOUND and company is not None:
        return Note(_("Found: %(company)s. You can still edit the details below.",
                      company=_summary(company)), "success")
    if outcome is LookupOutcome.LIQUIDATED and company is not None:
        if company.liquidation_date:
            text = _("%(name)s (INN %(inn)s) was liquidated on %(date)s and cannot be the "
                     "buyer. Please check the INN.", name=company.display_name,
                     inn=company.vat_number, date=_date(company.liquidation_date))
        else:
            text = _("%(name)s (INN %(inn)s) was liquidated and cannot be the buyer. Please "
                     "check the INN.", name=company.display_name, inn=company.vat_number)
        return Note(text, "error")
    if outcome is LookupOutcome.NOT_FOUND:
        return Note(_("No company with INN %(inn)s is in the registry.",
                      inn=result.vat_number) + " " + type_it_in, "warning")
    if outcome is LookupOutcome.INVALID:
        # The service's reasons are fixed sentences: translated here, where they are shown.
        return Note(_(result.problem) if result.problem else _("This is not a valid INN."),
                    "error")
    if outcome is LookupOutcome.LIMITED:
        return Note(_("You have looked up several companies just now.") + " " + type_it_in,
                    "warning")
    if outcome is LookupOutcome.BUSY:
        return Note(_("Company search is busy right now.") + " " + type_it_in, "warning")
    return Note(_("Company search is not available right now.") + " " + type_it_in, "warning")


def _summary(company: Company) -> str:
    parts = [company.display_name]
    if company.is_sole_trader:
        parts.append(_("sole trader"))
    elif company.tax_registration_reason_code:
        parts.append(_("KPP %(kpp)s", kpp=company.tax_registration_reason_code))
    if company.registration_date:
        date = _date(company.registration_date)
        if company.registration_number:
            parts.append(_("registered %(date)s (OGRN %(ogrn)s)", date=date,
                           ogrn=company.registration_number))
        else:
            parts.append(_("registered %(date)s", date=date))
    return ", ".join(parts)


def _date(value) -> str:
    return format_date(value, "medium", locale=language())


def _lookup(value: str) -> LookupResult:
    if SESSION_KEY not in session:
        session[SESSION_KEY] = secrets.token_urlsafe(16)
    return lookup_company(value, session_id=session[SESSION_KEY],
                          client_address=request.remote_addr or "")


@bp.post("/checkout/company")
def company_details():
    """JSON for the checkout's script: ``outcome``, ``message`` and ``company`` (or null)."""
    result = _lookup(request.form.get("inn", ""))
    note = describe(result)
    company = result.company
    body = {
        "outcome": result.outcome.value,
        "message": note.message,
        "tone": note.tone,
        "company": None if company is None else {
            "inn": company.vat_number,
            "name": company.display_name,
            "nameFull": company.name_full,
            "kpp": company.tax_registration_reason_code,
            "address": company.address,
            "registrationNumber": company.registration_number,
            "registrationDate": (company.registration_date.isoformat()
                                 if company.registration_date else None),
            "liquidated": company.is_liquidated,
        },
    }
    response = jsonify(body)
    response.status_code = _HTTP_STATUS.get(result.outcome, 200)
    if result.retry_after:
        response.headers["Retry-After"] = str(result.retry_after)
    return response


def fill_checkout(form: CheckoutForm, cart: Cart):
    """"Find company" without JavaScript: the checkout page again, filled in from the
    registry where it knows the INN. Nothing is validated but the INN."""
    if cart.is_empty:
        flash(_("Your cart is empty: add something before checking out."), "error")
        return redirect(url_for("shop.view_cart"), 303)
    result = _lookup(form.inn.data or "")
    form.customer_type.data = "legal"
    form.inn.data = result.vat_number
    company = result.company
    if result.outcome is LookupOutcome.FOUND and company is not None:
        form.full_name.data = company.display_name
        form.kpp.data = company.tax_registration_reason_code or ""
        if company.address:  # otherwise keep what the buyer typed
            form.address.data = company.address
    elif result.outcome is LookupOutcome.INVALID:
        form.inn.errors = [_(result.problem) if result.problem else _("This is not a valid INN.")]
    status = 422 if result.outcome is LookupOutcome.INVALID else 200
    return render_template("shop/checkout.html", form=form, cart=cart,
                           lookup=describe(result)), status


def liquidated(vat_number: str) -> Note | None:
    """The note refusing a company the registry says was liquidated; None otherwise
    (also when the registry cannot tell: the details then go as the buyer typed them)."""
    result = registry_company(vat_number)
    return describe(result) if result.outcome is LookupOutcome.LIQUIDATED else None
