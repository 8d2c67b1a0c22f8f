"""Catalog, product pages and the cart."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, jsonify, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError, generate_csrf

from ..errors import csrf_expired
from ..extensions import db
from ..models import Order, Product
from ..states import OrderStatus
from . import bp, cart
from .cart import RECENT_ORDERS_KEY
from .catalog_page import catalog_page
from .forms import AddToCartForm, QuantityForm, RemoveForm


@bp.get("/")
def catalog():
    return catalog_page()


@bp.get("/csrf-token")
def csrf_token():
    """A CSRF token for this browser's session (starting one): for the first-visit catalog."""
    response = jsonify(csrf_token=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(CSRFError)
def first_add_without_token(error: CSRFError):
    """A first visit's "Add to cart" that came without a token: the browser ran no script.

    The buyer is sent to the product's page, whose form carries a token, with a note to
    press the button there. This answer changes nothing and sets no cookie: the same
    request, forged by another site, cannot reset anybody's session or cart.
    """
    if request.endpoint != "shop.add_to_cart" or session.get("csrf_token"):
        return csrf_expired()
    slug = request.form.get("product", "")
    if not slug:
        return redirect(url_for("shop.catalog"), 303)
    return redirect(url_for("shop.product", slug=slug, confirm="add"), 303)


@bp.get("/products/<slug>")
def product(slug: str):
    item = db.one_or_404(
        db.select(Product).where(Product.slug == slug, Product.active.is_(True))
    )
    return render_template("shop/product.html", product=item, form=AddToCartForm(),
                           confirm_add=request.args.get("confirm") == "add")


@bp.get("/cart")
def view_cart():
    return render_template(
        "shop/cart.html",
        cart=cart.load(),
        unpaid_orders=_unpaid_recent_orders(),
        quantity_form=QuantityForm(),
        remove_form=RemoveForm(),
    )


@bp.post("/cart/add")
def add_to_cart():
    form = AddToCartForm()
    back = _local_path(form.next.data) or url_for("shop.view_cart")
    if not form.validate():
        flash(_first_error(form), "error")
        return redirect(back, 303)
    item = _product_or_404(form.product.data)
    try:
        quantity = cart.add(item, form.quantity.data)
    except cart.CartError as error:
        flash(str(error), "error")
    else:
        flash(f"Added to your cart: {item.name} (now {quantity}).", "success")
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
            flash("Quantity updated.", "success")
    return redirect(url_for("shop.view_cart"), 303)


@bp.post("/cart/remove")
def remove_from_cart():
    form = RemoveForm()
    if form.validate() and cart.remove(form.product.data):
        flash("Removed from your cart.", "success")
    return redirect(url_for("shop.view_cart"), 303)


def _unpaid_recent_orders() -> list[Order]:
    """Orders this browser placed that still wait for payment: checking out moves the cart
    into an order, so the cart page is where a buyer looks for it after a failed payment."""
    tokens = [t for t in session.get(RECENT_ORDERS_KEY, []) if isinstance(t, str)][:5]
    if not tokens:
        return []
    waiting = (OrderStatus.NEW, OrderStatus.AWAITING_PAYMENT, OrderStatus.EXPIRED)
    return list(db.session.execute(
        db.select(Order)
        .where(Order.public_token.in_(tokens), Order.status.in_([s.value for s in waiting]))
        .order_by(Order.created_at.desc())
    ).scalars())


def _product_or_404(slug: str) -> Product:
    return db.one_or_404(db.select(Product).where(Product.slug == slug, Product.active.is_(True)))


def _local_path(target: str | None) -> str | None:
    """``target`` if it is a path on this site (never another host), else None."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def _first_error(form) -> str:
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return "Please check the form and try again."
