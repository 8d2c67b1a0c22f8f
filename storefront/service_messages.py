"""Sentences the service layer stores for people, marked for the translation catalogs.

Refund and payment errors are saved in the database in English, so that whoever reads them
later reads them in their own language: the staff pages show them through ``gettext``, and
a fixed sentence is its own msgid. This module marks those sentences for ``pybabel
extract``; nothing imports it. (What the service layer answers a view at once, a refusal or
a cancel's outcome, is translated where it is written.) A stored sentence with a value in
it, such as Invoicebox's own words for a refusal, is shown as it was stored.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (gettext's ``gettext_noop``)."""
    return message


# payments/refunds.py, refund_sync.py, refund_fee.py: Refund.error;
# payments/checkout.py: Payment.error
STORED_ERRORS = (
    N_("Invoicebox did not answer in time, so it is not known yet whether the refund was "
       "made. It will be checked by its number before anything else is done."),
    N_("Invoicebox has no record of this refund: it was not made."),
    N_("Not found at Invoicebox after an unknown outcome: it was never created."),
    # payments/refund_fee.py: CORRECTION_PENDING
    N_("The refund is a draft at Invoicebox until the correction order keeping the fee is "
       "confirmed; reconciliation finishes it or cancels it."),
)

# payments/shipments.py, shipment_sync.py: Shipment.error
SHIPMENT_ERRORS = (
    N_("Invoicebox did not answer in time, so it is not known yet whether the shipment was "
       "registered. It is looked up by its document number."),
    N_("Invoicebox has no record of this shipment: it was never registered. Ship the units "
       "again."),
)

# payments/companies.py: LookupResult.problem (the INN checks share the checkout form's)
COMPANY_LOOKUP = (
    N_("This INN's check digits do not match; please check it."),
    N_("An INN has 10 digits (organisation) or 12 (sole trader)."),
)
