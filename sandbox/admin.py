"""The admin page at ``/_sandbox/``: orders, refunds, shipments with the fiscal documents they
produced, every notification attempt, and forms for
the controls and scenario switches (the forms post to the ``/_sandbox`` controls, which redirect
back here with a notice)."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from . import orders, refunds, shipments
from .api.shipments import render as render_shipment
from .maintenance import tick
from .notifier import attempt_json, notification_json
from .payment_page import money
from .scenarios import SCENARIOS
from .services import services
from .store import load_docs

bp = Blueprint("admin", __name__)

LIMIT = 200


@bp.get("/")
def index() -> str:
    svc = services()
    tick(svc)
    base = svc.public_base()
    with svc.store.read() as conn:
        order_rows = conn.execute("SELECT doc FROM orders ORDER BY seq DESC LIMIT ?", (LIMIT,))
        order_docs = [orders.render(doc, base) for doc in load_docs(order_rows)]
        refund_docs = [refunds.render(doc) for doc in refunds.all_refunds(conn)[:LIMIT]]
        shipment_rows = conn.execute("SELECT doc FROM shipments ORDER BY id DESC LIMIT ?",
                                     (LIMIT,))
        shipment_docs = [dict(render_shipment(doc), documents=shipments.documents(conn, doc["id"]))
                         for doc in load_docs(shipment_rows)]
        attempts = [attempt_json(row) for row in conn.execute(
            "SELECT * FROM attempts ORDER BY id DESC LIMIT ?", (LIMIT,))]
        queue = [notification_json(row) for row in conn.execute(
            "SELECT * FROM notifications WHERE state IN ('pending', 'sending') ORDER BY next_at")]
    return render_template(
        "admin/index.html", orders=order_docs, refunds=refund_docs, shipments=shipment_docs,
        attempts=attempts,
        queue=queue, scenarios=svc.scenarios.list(), known_scenarios=SCENARIOS,
        merchants=svc.config.merchants, notice=request.args.get("notice"), config=svc.config,
        money=money,
    )
