"""Buyers' refund requests: the list (open ones first), and declining one with a message.

A request is issued through the refund screen, opened pre-filled from the list
(``staff.refund`` with ``?request=<id>``); the refund it produces is linked to it there.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import RefundRequest
from ..payments import RefundError, decline_request, open_refund_request_count, refund_request
from ..states import RefundRequestStatus
from . import bp
from .forms import DeclineRequestForm

# Answered requests shown under the open ones (the newest).
ANSWERED_SHOWN = 50


@bp.get("/refund-requests")
def refund_requests():
    return render_template("staff/refund_requests.html", open_requests=_open(),
                           answered=_answered())


@bp.route("/refund-requests/<int:request_id>/decline", methods=["GET", "POST"])
def decline_refund_request(request_id: int):
    found = refund_request(request_id)
    if found is None:
        abort(404)
    if found.status != RefundRequestStatus.OPEN:
        flash(_("This refund request was already answered."), "error")
        return redirect(url_for("staff.refund_requests"))
    form = DeclineRequestForm()
    if form.validate_on_submit():
        try:
            decline_request(found.id, current_user.id, form.message.data)
        except RefundError as error:
            flash(_(str(error)), "error")
        else:
            flash(_("The refund request of order %(number)s is declined; the buyer sees your "
                    "message on the order's page.", number=found.order.number), "success")
        return redirect(url_for("staff.refund_requests"))
    status = 422 if form.is_submitted() else 200
    return render_template("staff/refund_request_decline.html", refund_request=found,
                           order=found.order, form=form), status


def open_requests_count() -> int:
    """For the staff navigation."""
    return open_refund_request_count() if current_user.is_authenticated else 0


def _open() -> list[RefundRequest]:
    return list(db.session.execute(
        db.select(RefundRequest)
        .where(RefundRequest.status == RefundRequestStatus.OPEN.value)
        .order_by(RefundRequest.created_at, RefundRequest.id)
        .options(selectinload(RefundRequest.lines), selectinload(RefundRequest.order))
    ).scalars())


def _answered() -> list[RefundRequest]:
    return list(db.session.execute(
        db.select(RefundRequest)
        .where(RefundRequest.status != RefundRequestStatus.OPEN.value)
        .order_by(RefundRequest.answered_at.desc(), RefundRequest.id.desc())
        .limit(ANSWERED_SHOWN)
        .options(selectinload(RefundRequest.lines), selectinload(RefundRequest.order),
                 selectinload(RefundRequest.refund))
    ).scalars())
