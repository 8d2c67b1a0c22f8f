"""What the payment page says, in the two languages it speaks (the order's ``languageId``).

Russian is the page's default; English is used when the order asks for it. The words of the
shipment-control pages (the wait while the shop is asked, and the "cannot fulfil" failure
with what happens to the money) follow the gateway's description of that mode
(``docs/merchant/notification/shipping-unavailable.md``).
"""

from __future__ import annotations

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
        "waiting_title": "Confirming your payment",
        "waiting": "The payment went through. The shop is confirming that it can fulfil the"
                   " order; this usually takes a few seconds. Please do not close this page.",
        "waiting_again": "Check again",
        "unavailable_title": "The shop cannot fulfil this order",
        "unavailable": "The shop has told us that it cannot deliver the goods or provide the"
                       " service of order {order}.",
        "unavailable_refund": "Your payment of {amount} will be returned in full: the shop"
                              " refunds it to the same card or account you paid from. Banks"
                              " usually credit it within 1 to 5 working days. You do not need"
                              " to do anything.",
        "unavailable_release": "Nothing will be charged: the shop cancels the guarantee"
                               " payment, and the {amount} reserved on your card is released."
                               " Banks usually make it available again within 1 to 5 working"
                               " days. You do not need to do anything.",
        "unavailable_redirect": "In a few seconds you will be taken back to the shop.",
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
        "waiting_title": "Подтверждаем оплату",
        "waiting": "Оплата прошла. Магазин проверяет, может ли он выполнить заказ; обычно это"
                   " занимает несколько секунд. Пожалуйста, не закрывайте страницу.",
        "waiting_again": "Проверить ещё раз",
        "unavailable_title": "Магазин не может выполнить заказ",
        "unavailable": "Магазин сообщил, что не может доставить товар или оказать услугу по"
                       " заказу {order}.",
        "unavailable_refund": "Оплата {amount} вернётся полностью: магазин оформит возврат на"
                              " ту же карту или счёт, с которых вы платили. Банки обычно"
                              " зачисляют деньги в течение 1–5 рабочих дней. Ничего делать"
                              " не нужно.",
        "unavailable_release": "Деньги не будут списаны: магазин отменит гарантийный платёж, и"
                               " зарезервированные на карте {amount} освободятся. Банки обычно"
                               " снимают резерв в течение 1–5 рабочих дней. Ничего делать"
                               " не нужно.",
        "unavailable_redirect": "Через несколько секунд вы вернётесь в магазин.",
    },
}

