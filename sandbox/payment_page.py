"""The hosted payment page at ``paymentUrl`` = ``<public base>/order/<orderContainerId>``.

Works without JavaScript: POST forms. **Pay** pays every unpaid order of the invoice and sends
the buyer (303) to ``successUrl``; **Pay as guarantee** does the same with a pre-authorisation,
leaving the orders in ``hold`` until their final shipment (CONTRACT §4.1); **Decline** simulates
a failed payment (the order stays ``created``) and sends the buyer to ``failUrl``; **Back to
shop** goes to ``returnUrl``. With the merchant's shipment control on, Pay (either kind) first
shows a wait page with a spinner while the shop is notified (``/confirm``: it refreshes itself
without JavaScript, and polls ``/confirm.json`` with it); the shop's ``success`` sends the buyer
on to ``successUrl``, its ``shipping_unavailable`` shows why the order cannot be fulfilled and
how the money comes back, then sends the buyer to ``failUrl`` (a button, and by itself after
:data:`FAIL_REDIRECT_SECONDS`). Missing URLs fall back as in CONTRACT §6.3: ``returnUrl`` → the
merchant's ``return_url`` → a sandbox "payment finished" page. The whole page, buttons included,
speaks the order's ``languageId`` (Russian unless it says ``en``): «Оплатить», «Отказаться»,
«Вернуться в магазин». Money and the deadline are written by Babel in that language, the
deadline in Moscow time, as the real page shows it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_decimal
from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from . import orders
from .config import Merchant
from .encoding import parse_atom, to_decimal
from .maintenance import tick
from .payment import begin, confirms_on_page, outcome, pay
from .payment_texts import BUTTONS, TEXTS
from .services import services

bp = Blueprint("payment", __name__)

MOSCOW = ZoneInfo("Europe/Moscow")
# How long the "cannot fulfil" page stays before it sends the buyer to failUrl by itself.
FAIL_REDIRECT_SECONDS = 8
# How often the wait page refreshes itself when the browser runs no JavaScript.
WAIT_REFRESH_SECONDS = 1


def money(value: Any, lang: str) -> str:
    """``2479.0`` -> ``2 479,00`` (ru) or ``2,479.00`` (en), with no-break spaces."""
    text = format_decimal(to_decimal(value), format="#,##0.00", locale=lang)
    return text.replace("\u202f", "\u00a0")


def moment(value: str, lang: str) -> str:
    """An ATOM timestamp as the buyer reads it, in Moscow time with the zone named."""
    local = parse_atom(value).astimezone(MOSCOW)
    text = format_datetime(local, "d MMMM y, HH:mm" if lang == "ru" else "MMMM d, y, HH:mm",
                           locale=lang)
    return f"{text} {'МСК' if lang == 'ru' else 'MSK'}"


def language(doc: dict[str, Any]) -> str:
    return doc.get("languageId") if doc.get("languageId") in TEXTS else "ru"


def target(doc: dict[str, Any], merchant: Merchant | None, kind: str) -> str:
    """Where the buyer goes after ``kind`` (success / fail / return), with §6.3 fallbacks."""
    own = doc.get(f"{kind}Url") if kind != "return" else None
    fallback = merchant.return_url if merchant else None
    return (own or doc.get("returnUrl") or fallback or
            url_for(".finished", container_id=doc["orderContainerId"], result=kind))


def invoice(container_id: str) -> list[dict[str, Any]]:
    svc = services()
    tick(svc)
    with svc.store.read() as conn:
        docs = orders.in_container(conn, container_id)
    if not docs:
        abort(404)
    return docs


def page(docs: list[dict[str, Any]], notice: str | None = None,
         status: int = 200) -> ResponseReturnValue:
    primary = docs[0]
    lang = language(primary)
    merchant = services().merchant(primary["merchantId"])
    statuses = {doc["status"] for doc in docs}
    state = ("created" if "created" in statuses else
             "completed" if statuses == {"completed"} else primary["status"])
    due = [doc for doc in docs if doc["status"] == state]
    total = sum((to_decimal(doc["amount"]) for doc in due), Decimal(0))
    return render_template(
        "payment/invoice.html", docs=docs, primary=primary, state=state, t=TEXTS[lang], lang=lang,
        buttons=BUTTONS[lang], merchant_name=merchant.name if merchant else primary["merchantId"],
        total=money(total, lang), money=money, notice=notice,
        expires=moment(primary["expirationDate"], lang),
        success_url=target(primary, merchant, "success"),
        confirms=merchant is not None and merchant.shipment_control,
    ), status


@bp.get("/order/<container_id>")
def show(container_id: str) -> ResponseReturnValue:
    return page(invoice(container_id))


@bp.post("/order/<container_id>/pay")
def pay_invoice(container_id: str) -> ResponseReturnValue:
    docs = invoice(container_id)
    guarantee = request.form.get("mode") == "guarantee"
    if confirms_on_page(services(), container_id):
        if not begin(services(), container_id, guarantee=guarantee).paid:
            return page(invoice(container_id), status=409)
        return redirect(url_for(".confirm", container_id=container_id), code=303)
    result = pay(services(), container_id, guarantee=guarantee)
    if not result.paid:
        return page(invoice(container_id), status=409)
    merchant = services().merchant(docs[0]["merchantId"])
    kind = "fail" if result.shipping_unavailable else "success"
    return redirect(target(docs[0], merchant, kind), code=303)


@bp.get("/order/<container_id>/confirm")
def confirm(container_id: str) -> ResponseReturnValue:
    """The wait while the shop is notified, then where its answer sends the buyer."""
    docs = invoice(container_id)
    paid = [doc for doc in docs if doc["status"] != "created"]
    if not paid:  # nothing paid yet: back to the invoice
        return redirect(url_for(".show", container_id=container_id), code=303)
    primary = docs[0]
    merchant = services().merchant(primary["merchantId"])
    state = outcome(services(), container_id)
    if state == "success":
        return redirect(target(primary, merchant, "success"), code=303)
    lang = language(primary)
    total = sum((to_decimal(doc["amount"]) for doc in paid), Decimal(0))
    currency = "₽" if primary["currencyId"] == "RUB" else primary["currencyId"]
    amount = f"{money(total, lang)}\u00a0{currency}"
    guarantee = any(doc["status"] in ("hold", "canceled") for doc in paid)
    response = render_template(
        "payment/confirm.html", state=state, t=TEXTS[lang], lang=lang, primary=primary,
        merchant_name=merchant.name if merchant else primary["merchantId"],
        order_number=primary.get("merchantOrderIdVisible") or primary["merchantOrderId"],
        money_back=TEXTS[lang]["unavailable_release" if guarantee else "unavailable_refund"
                               ].format(amount=amount),
        fail_url=target(primary, merchant, "fail"), fail_seconds=FAIL_REDIRECT_SECONDS,
        wait_seconds=WAIT_REFRESH_SECONDS)
    return response, 200, {"Cache-Control": "no-store"}


@bp.get("/order/<container_id>/confirm.json")
def confirm_state(container_id: str) -> ResponseReturnValue:
    """``{"state": "waiting" | "success" | "shipping_unavailable"}`` for the wait page's script."""
    invoice(container_id)
    return jsonify(state=outcome(services(), container_id)), 200, {"Cache-Control": "no-store"}


@bp.post("/order/<container_id>/decline")
def decline(container_id: str) -> ResponseReturnValue:
    docs = invoice(container_id)
    if not any(doc["status"] == "created" for doc in docs):
        return page(docs, status=409)
    merchant = services().merchant(docs[0]["merchantId"])
    return redirect(target(docs[0], merchant, "fail"), code=303)


@bp.post("/order/<container_id>/back")
def back(container_id: str) -> ResponseReturnValue:
    docs = invoice(container_id)
    merchant = services().merchant(docs[0]["merchantId"])
    return redirect(target(docs[0], merchant, "return"), code=303)


@bp.get("/order/<container_id>/finished")
def finished(container_id: str) -> str:
    docs = invoice(container_id)
    lang = language(docs[0])
    result = request.args.get("result", "return")
    key = f"finished_{result}" if result in ("success", "fail", "return") else "finished_return"
    return render_template("payment/finished.html", t=TEXTS[lang], lang=lang,
                           message=TEXTS[lang][key], primary=docs[0])
