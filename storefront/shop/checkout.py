"""Checkout: the payer's details, then off to Invoicebox with a 303."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..catalog import DELIVERY_SLUG
from ..extensions import db
from ..i18n import current_language
from ..models import Product
from ..payments import CustomerDetails, EmptyCart, LineDraft, find_order, pay, place_order
from . import bp, cart, company
from .cart import RECENT_ORDERS_KEY
from .forms import PRIVACY_POLICY_VERSION, CheckoutForm
from .orders import respond_to_payment


@bp.route("/checkout", methods=["GET", "POST"])
def checkout():
    form = CheckoutForm()
    current = cart.load()
    form.needs_delivery = current.has_goods
    if request.method == "GET":
        if current.is_empty:
            flash(_("Your cart is empty: add something before checking out."), "error")
            return redirect(url_for("shop.view_cart"))
    if current.short_lines:
        flash(_("Some items are no longer in stock in the quantity you chose: please change "
                "them in your cart."), "error")
        return redirect(url_for("shop.view_cart"), 303)
    if request.method == "GET":
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
            order, _created = place_order(delivered(current, form), _customer(form), token)
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
        delivery_method=(form.delivery.data if form.needs_delivery else None),
        delivery_address=(form.delivery_address.data if form.by_courier else None),
    )


def delivered(current: cart.Cart, form: CheckoutForm) -> list[LineDraft]:
    """The order's lines: the cart's, and the catalog's courier line when the goods go by
    courier and the buyer did not add it already. Pickup leaves the cart as it is."""
    drafts = current.drafts
    if not form.by_courier:
        return drafts
    courier = db.session.execute(db.select(Product).where(
        Product.slug == DELIVERY_SLUG, Product.active.is_(True))).scalar()
    if courier is not None and all(d.product_id != courier.id for d in drafts):
        drafts.append(cart.CartLine(courier, 1, 0, 0).draft())
    return drafts


def _remember(public_token: str) -> None:
    """Keep the buyer's last few order links, so the cart page can point back to them."""
    recent = [t for t in session.get(RECENT_ORDERS_KEY, []) if t != public_token]
    session[RECENT_ORDERS_KEY] = [public_token, *recent][:5]
