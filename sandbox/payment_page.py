"""The hosted payment page at ``paymentUrl`` = ``<public base>/order/<orderContainerId>``.

Works without JavaScript: POST forms. **Pay** pays every unpaid order of the invoice and sends
the buyer (303) to ``successUrl``; **Pay as guarantee** does the same with a pre-authorisation,
leaving the orders in ``hold`` until their final shipment (CONTRACT §4.1); **Decline** simulates
a failed payment (the order stays ``created``) and sends the buyer to ``failUrl``; **Back to
shop** goes to ``returnUrl``. Missing URLs fall back as in CONTRACT §6.3: ``returnUrl`` → the
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
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from . import orders
from .config import Merchant
from .encoding import parse_atom, to_decimal
from .maintenance import tick
from .payment import pay
from .services import services

bp = Blueprint("payment", __name__)

MOSCOW = ZoneInfo("Europe/Moscow")
BUTTONS: dict[str, dict[str, str]] = {
    "en": {"pay": "Pay", "guarantee": "Pay as guarantee", "decline": "Decline",
           "back": "Back to shop"},
    "ru": {"pay": "Оплатить", "guarantee": "Оплатить гарантийно", "decline": "Отказаться",
           "back": "Вернуться в магазин"},
}
TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Invoice payment", "merchant": "Merchant", "order": "Order",
        "item": "Item", "quantity": "Qty", "price": "Price", "total": "Total",
        "amount": "Amount due", "paid_amount": "Amount", "expires": "Pay before",
        "created": "Awaiting payment", "completed": "Paid", "expired": "Expired",
        "canceled": "Canceled", "hold": "Paid as guarantee",
        "hold_notice": "The amount is reserved; it is charged when the shop ships the order.",
        "completed_notice": "This invoice has been paid.",
        "expired_notice": "This invoice has expired and can no longer be paid.",
        "canceled_notice": "The shop canceled this invoice; it can no longer be paid.",
        "return_link": "Return to the shop",
        "sandbox": "Invoicebox sandbox: no money moves. Pay completes the order and notifies"
                   " the shop; Pay as guarantee reserves the amount (status hold) until the shop"
                   " ships; Decline simulates a failed payment.",
        "finished_success": "Payment complete. You can close this page.",
        "finished_fail": "The payment did not go through.",
        "finished_return": "You left the payment page.",
        "finished_title": "Payment finished",
        "shipping_unavailable": "The shop cannot deliver this order; the payment will be"
                                " reversed.",
    },
    "ru": {
        "title": "Оплата счёта", "merchant": "Магазин", "order": "Заказ",
        "item": "Позиция", "quantity": "Кол-во", "price": "Цена", "total": "Сумма",
        "amount": "К оплате", "paid_amount": "Сумма", "expires": "Оплатить до",
        "created": "Ожидает оплаты", "completed": "Оплачен", "expired": "Просрочен",
        "canceled": "Отменён", "hold": "Оплачен гарантийно",
        "hold_notice": "Сумма зарезервирована и будет списана, когда магазин отгрузит заказ.",
        "completed_notice": "Счёт оплачен.",
        "expired_notice": "Срок оплаты счёта истёк, оплатить его нельзя.",
        "canceled_notice": "Магазин отменил этот счёт, оплатить его нельзя.",
        "return_link": "Вернуться в магазин",
        "sandbox": "Песочница Инвойсбокс: деньги не списываются. «Оплатить» завершает заказ и"
                   " уведомляет магазин; «Оплатить гарантийно» резервирует сумму (статус hold) до"
                   " отгрузки; «Отказаться» — имитация отказа в оплате.",
        "finished_success": "Оплата прошла. Страницу можно закрыть.",
        "finished_fail": "Оплата не прошла.",
        "finished_return": "Вы покинули страницу оплаты.",
        "finished_title": "Оплата завершена",
        "shipping_unavailable": "Магазин не может выполнить заказ, платёж будет отменён.",
    },
}


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
    ), status


@bp.get("/order/<container_id>")
def show(container_id: str) -> ResponseReturnValue:
    return page(invoice(container_id))


@bp.post("/order/<container_id>/pay")
def pay_invoice(container_id: str) -> ResponseReturnValue:
    docs = invoice(container_id)
    result = pay(services(), container_id, guarantee=request.form.get("mode") == "guarantee")
    if not result.paid:
        return page(invoice(container_id), status=409)
    merchant = services().merchant(docs[0]["merchantId"])
    kind = "fail" if result.shipping_unavailable else "success"
    return redirect(target(docs[0], merchant, kind), code=303)


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
