"""Catalog, product pages and the cart."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from ..extensions import csrf, db
from ..models import Order, Product
from ..security import local_path
from ..states import ORDER_OPEN
from . import bp, cart
from .cart import RECENT_ORDERS_KEY
from .catalog_page import catalog_page, on_sale_with_stock, product_page
from .formatting import product_name
from .forms import AddToCartForm, QuantityForm, RemoveForm


@bp.get("/")
def catalog():
    return catalog_page()


@bp.get("/products/<slug>")
def product(slug: str):
    page = product_page(slug)
    if page is None:
        abort(404)
    return page


@bp.get("/cart")
def view_cart():
    products, stock = on_sale_with_stock(list(cart.quantities()))
    return render_template(
        "shop/cart.html",
        cart=cart.load(products, stock),
        unpaid_orders=_unpaid_recent_orders(),
    )


@bp.post("/cart/add")
@csrf.exempt  # checked in the view, because a first visit's form has no token to check
def add_to_cart():
    if current_app.config["WTF_CSRF_ENABLED"] and not _first_visit_from_this_site():
        csrf.protect()  # Flask-WTF's check, exactly as for every other form
    form = AddToCartForm(meta={"csrf": False})  # any token was checked just above
    back = local_path(form.next.data) or url_for("shop.view_cart")
    if not form.validate():
        flash(_first_error(form), "error")
        return redirect(back, 303)
    item = _product_or_404(form.product.data)
    try:
        quantity = cart.add(item, form.quantity.data)
    except cart.CartError as error:
        flash(str(error), "error")
    else:
        flash(_("Added to your cart: %(name)s (now %(quantity)s).", name=product_name(item),
                quantity=quantity), "success")
    return redirect(back, 303)


@bp.post("/cart/update")
def update_cart():
    form = QuantityForm()
    if not form.validate():
        flash(_first_error(form), "error")
    else:
        try:
            cart.set_quantity(form.product.data, form.quantity.data)
        except cart.CartError as error:
            flash(str(error), "error")
        else:
            flash(_("Quantity updated."), "success")
    return redirect(url_for("shop.view_cart"), 303)


@bp.post("/cart/remove")
def remove_from_cart():
    form = RemoveForm()
    if form.validate() and cart.remove(form.product.data):
        flash(_("Removed from your cart."), "success")
    return redirect(url_for("shop.view_cart"), 303)


def _unpaid_recent_orders() -> list[Order]:
    """Orders this browser placed that still wait for payment: checking out moves the cart
    into an order, so the cart page is where a buyer looks for it after a failed payment."""
    tokens = [t for t in session.get(RECENT_ORDERS_KEY, []) if isinstance(t, str)][:5]
    if not tokens:
        return []
    return list(db.session.execute(
        db.select(Order)
        .where(Order.public_token.in_(tokens), Order.status.in_(ORDER_OPEN))
        .order_by(Order.created_at.desc())
    ).scalars())


def _first_visit_from_this_site() -> bool:
    """True for a visitor without a session whose browser says the form is this site's.

    The first-visit catalog is one cached page for everybody (see ``catalog_page.py``), so
    its forms carry no CSRF token: there is no session yet to bind one to. What a token
    would stop here is another site making the visitor's browser post the form. Browsers
    say where a post comes from, and that is checked instead, as Go's
    ``http.CrossOriginProtection`` does: ``Sec-Fetch-Site`` must be ``same-origin``;
    a browser too old to send it sends ``Origin``, which must name this host; a request
    with neither comes from no browser, so nobody's cookies ride on it. A refused post
    gets Flask-WTF's answer and no cookie, so it cannot reset anybody's session.
    """
    if session:
        return False
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.headers.get("Origin")
    return origin is None or urlsplit(origin).netloc == request.host


def _product_or_404(slug: str) -> Product:
    return db.one_or_404(db.select(Product).where(Product.slug == slug, Product.active.is_(True)))


def _first_error(form) -> str:
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return _("Please check the form and try again.")
