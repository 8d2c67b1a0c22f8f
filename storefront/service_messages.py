"""Sentences the service layer (``storefront/payments``) and ``states.py`` write for people.

Those modules write them in English. The views show them through ``gettext`` (a fixed
sentence is its own msgid, so ``_(outcome.message)`` finds its translation), and this
module marks them for ``pybabel extract`` so that the catalogs carry them. Sentences with
a value in them are marked in the ``%(name)s`` form that a ``gettext(..., name=value)``
call at their source would use: once the source is written that way, its translation is
already in the catalogs. Nothing imports this module; it exists for the extractor.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (gettext's ``gettext_noop``)."""
    return message


# payments/cancel.py: CancelOutcome.message
CANCEL_OUTCOMES = (
    N_("Only an unpaid order can be canceled; a paid one is refunded instead."),
    N_("Order %(number)s canceled. Invoicebox will not take a payment for it."),
    N_("A payment of this order is still being set up at Invoicebox. Try again in a minute."),
    N_("The buyer started a new payment while the order was being canceled. Try again."),
    N_("Invoicebox did not answer and the order could not be checked. Nothing was changed; "
       "try again."),
    N_("Invoicebox did not cancel the order; it can still be paid. Try again."),
    N_("Invoicebox would not cancel the order: the buyer has already paid. It is now marked "
       "paid; refund it instead."),
    N_("Invoicebox would not cancel the order: its payment is %(state)s there. The order was "
       "synced; cancel it again to close it in the shop."),
    N_("Invoicebox would not cancel the order; it is now %(status)s."),
    N_("Invoicebox refused to cancel the order: %(message)s."),
    N_("Invoicebox could not be reached. Nothing was changed; try again in a moment."),
    N_("Invoicebox request id: %(id)s."),
)

# payments/refunds.py and payments/refund_plan.py: RefundError, Refund.error
REFUND_ERRORS = (
    N_("Give the reason for the refund."),
    N_("Only a paid order can be refunded."),
    N_("An earlier refund of this order is still waiting for Invoicebox's answer. Use “Sync "
       "with Invoicebox” in a minute, then try again."),
    N_("What can be refunded changed while this refund was prepared. Nothing was sent; check "
       "the positions and issue it again."),
    N_("Nothing is left to refund on this order."),
    N_("Another refund of this order is being issued at this moment. Reload the page to see "
       "what is still refundable."),
    N_("This order has no completed Invoicebox payment to refund."),
    N_("This refund form belongs to another order. Reload the page."),
    N_("Invoicebox did not answer in time, so it is not known yet whether the refund was "
       "made. It will be checked by its number before anything else is done."),
    N_("The refund was not sent: %(message)s."),
    N_("Invoicebox refused the refund: %(message)s."),
    N_("Invoicebox refused the refund: %(message)s (%(details)s)."),
    N_("Position %(sku)s is listed twice."),
    N_("Position %(sku)s is not part of this order."),
    N_("Choose at least one position to refund, or “refund everything”."),
    N_("The refund does not add up: %(message)s"),
    N_("The refund does not add up; reload the page and try again."),
    N_("“%(name)s”: a quantity cannot be negative."),
    N_("“%(name)s”: only %(units)s unit(s) can still be refunded, not %(quantity)s."),
    N_("“%(name)s”: there is no part under one unit left to refund."),
    N_("“%(name)s” cannot be refunded that way: %(message)s"),
)

# payments/refund_sync.py: Refund.error; payments/checkout.py: Payment.error
GATEWAY_RECORDS = (
    N_("Invoicebox has no record of this refund: it was not made."),
    N_("Not found at Invoicebox after an unknown outcome: it was never created."),
)

# payments/companies.py: LookupResult.problem (the INN checks share the checkout form's)
COMPANY_LOOKUP = (
    N_("This INN's check digits do not match; please check it."),
    N_("An INN has 10 digits (organisation) or 12 (sole trader)."),
    N_("Invoicebox does not accept this INN; please check it."),
)
