"""The staff's products page: what is on sale, how many of each good are left.

Staff set a good's stock (as counted on the shelf; empty: not counted) and put products
on sale or take them off. Either change moves the catalog's version when the catalog
would look different, so every instance of the shop shows it on its next page.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..extensions import db
from ..models import Product
from ..payments import StockError, set_active, set_stock
from . import bp
from .forms import ActiveForm, StockForm


@bp.get("/products")
def products():
    return _page()


@bp.post("/products/<int:product_id>/stock")
def product_stock(product_id: int):
    _product_or_404(product_id)
    form = StockForm()
    if not form.validate():
        return _page(errors={product_id: _first_error(form)}, status=400)
    try:
        product = set_stock(product_id, form.stock.data)
    except LookupError:
        abort(404)
    except StockError:
        return _page(errors={product_id: _("Services and gift certificates have no stock.")},
                     status=400)
    if product.stock is None:
        flash(_("%(sku)s: stock is not counted now.", sku=product.sku), "success")
    else:
        flash(_("%(sku)s: %(count)s in stock.", sku=product.sku, count=product.stock), "success")
    return redirect(url_for("staff.products"), 303)


@bp.post("/products/<int:product_id>/active")
def product_active(product_id: int):
    _product_or_404(product_id)
    form = ActiveForm()
    if not form.validate():
        return _page(errors={product_id: _first_error(form)}, status=400)
    try:
        product = set_active(product_id, form.active.data == "1")
    except LookupError:
        abort(404)
    flash(_("%(sku)s is on sale.", sku=product.sku) if product.active
          else _("%(sku)s is off sale.", sku=product.sku), "success")
    return redirect(url_for("staff.products"), 303)


def _page(errors: dict[int, str] | None = None, status: int = 200):
    items = db.session.execute(
        db.select(Product).order_by(Product.position, Product.id)).scalars().all()
    return render_template("staff/products.html", products=items, errors=errors or {},
                           stock_form=StockForm(formdata=None), active_form=ActiveForm(
                               formdata=None)), status


def _product_or_404(product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None:
        abort(404)
    return product


def _first_error(form) -> str:
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return _("Please check the form and try again.")
