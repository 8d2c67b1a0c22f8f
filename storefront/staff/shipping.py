"""The Ship action: staff choose what leaves the warehouse, under which document."""

from __future__ import annotations

import logging
import secrets
from datetime import date

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..invoicebox import InvoiceboxError
from ..payments import ShipmentError, create_shipment, shippable_lines
from ..shop.formatting import money
from ..states import ORDER_SHIPPABLE, ShipmentStatus
from . import bp
from .forms import ShipForm
from .queries import order_by_number

log = logging.getLogger(__name__)


@bp.route("/orders/<number>/ship", methods=["GET", "POST"])
def ship(number: str):
    """Choose lines and quantities, a document number and date; then register the shipment."""
    order = order_by_number(number)
    if order.status not in ORDER_SHIPPABLE:
        flash(_("Only a paid order can be shipped."), "error")
        return redirect(url_for("staff.order", number=order.number))
    form = ShipForm()
    status = 200
    if form.validate_on_submit():
        quantities = {line.sku.data: line.quantity.data or 0 for line in form.lines}
        try:
            shipment = create_shipment(order, quantities, form.document_number.data,
                                       form.document_date.data, form.form_token.data,
                                       current_user)
        except ShipmentError as error:
            form.form_errors.append(_(str(error)))
            status = 422
        except InvoiceboxError:
            form.form_errors.append(_("Invoicebox could not be reached. Nothing was changed; "
                                      "try again in a moment."))
            status = 503
        else:
            return _after_ship(order.number, shipment)
    elif form.is_submitted():
        status = 422
    else:
        form.form_token.data = secrets.token_urlsafe(24)
        form.document_date.data = date.today()
    chosen = {line.sku.data: line for line in form.lines} if form.is_submitted() else {}
    return render_template("staff/ship.html", order=order, form=form,
                           lines=shippable_lines(order), chosen=chosen), status


def _after_ship(number: str, shipment):
    label = _("%(number)s for %(amount)s", number=shipment.document_number,
              amount=money(shipment.amount))
    status = ShipmentStatus(shipment.status)
    if status == ShipmentStatus.SENDING:
        flash(_("Shipment %(shipment)s was sent, but Invoicebox's answer was lost. It is looked "
                "up by its document number.", shipment=label), "warning")
    elif status == ShipmentStatus.REJECTED:
        flash(_(shipment.error) if shipment.error else _("Invoicebox refused the shipment."),
              "error")
        return redirect(url_for("staff.ship", number=number))
    else:
        flash(_("Shipment %(shipment)s registered with Invoicebox.", shipment=label),
              "success")
    return redirect(url_for("staff.order", number=number))
