"""Checkout: the payer's details, then off to Invoicebox with a 303."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..i18n import current_language
from ..payments import CustomerDetails, EmptyCart, find_order, pay, place_order
from . import bp, cart, company
from .cart import RECENT_ORDERS_KEY
from .forms import PRIVACY_POLICY_VERSION, CheckoutForm
from .orders import respond_to_payment


@bp.route("/checkout", methods=["GET", "POST"])
def checkout():
    form = CheckoutForm()
    current = cart.load()
    if request.method == "GET":
        if current.is_empty:
            flash(_("Your cart is empty: add something before checking out."), "error")
            return redirect(url_for("shop.view_cart"))
        form.checkout_token.data = CheckoutForm.new_token()
        return render_template("shop/checkout.html", form=form, cart=current)

    if company.FIND_BUTTON in request.form:
        return company.fill_checkout(form, current)
    if not form.validate():
        if form.checkout_token.errors:
            form.checkout_token.data = CheckoutForm.new_token()
        return render_template("shop/checkout.html", form=form, cart=current), 422
    if form.is_company and (refusal := company.liquidated(form.inn.data)):
        form.inn.errors.append(_("The registry says this company was liquidated."))
        return render_template("shop/checkout.html", form=form, cart=current,
                               lookup=refusal), 422

    token = form.checkout_token.data
    order = find_order(checkout_token=token)
    if order is None:
        try:
            order, _created = place_order(current.drafts, _customer(form), token)
        except EmptyCart:
            flash(_("Your cart is empty: add something before checking out."), "error")
            return redirect(url_for("shop.view_cart"), 303)
    # The cart now lives on in the order, whichever submission of this form saved it.
    cart.clear()
    _remember(order.public_token)
    return respond_to_payment(order, pay(order))


def _customer(form: CheckoutForm) -> CustomerDetails:
    company = form.is_company
    return CustomerDetails(
        type="legal" if company else "private",
        name=form.full_name.data,
        email=form.email.data,
        phone=form.phone_digits,
        inn=form.inn.data if company else None,
        kpp=(form.kpp.data or None) if company else None,
        address=form.address.data if company else None,
        language=current_language(),
        # The form is not valid without the consent, so it was given to this version.
        consent_version=PRIVACY_POLICY_VERSION,
    )


def _remember(public_token: str) -> None:
    """Keep the buyer's last few order links, so the cart page can point back to them."""
    recent = [t for t in session.get(RECENT_ORDERS_KEY, []) if t != public_token]
    session[RECENT_ORDERS_KEY] = [public_token, *recent][:5]
