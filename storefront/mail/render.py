"""A queued message as the buyer reads it: subject, plain text and HTML from the templates
in ``templates/mail/`` (``KIND.txt`` and ``KIND.html``), in the message's language, and
the MIME message that carries them.

Rendering happens in the runner, from the plain values the outbox row keeps, so a request
that queues a message pays for one ``INSERT`` only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from ..models import OutboxMessage
from .outbox import MailKind

NBSP = "\u00a0"

SUBJECTS: dict[str, Callable[[dict[str, Any]], str]] = {
    MailKind.ORDER_PLACED: lambda c: _("Order %(number)s is placed", number=c["number"]),
    MailKind.PAYMENT_RECEIVED: lambda c: _("Payment for order %(number)s received",
                                           number=c["number"]),
    MailKind.ORDER_SHIPPED: lambda c: _("Order %(number)s is shipped", number=c["number"]),
    MailKind.ORDER_UNDELIVERABLE: lambda c: _("Order %(number)s cannot be delivered",
                                              number=c["number"]),
    MailKind.REFUND_ISSUED: lambda c: _("Refund for order %(number)s", number=c["number"]),
    MailKind.REFUND_REQUEST_ANSWERED: lambda c: (
        _("Your refund request for order %(number)s is accepted", number=c["number"])
        if c.get("issued") else
        _("Your refund request for order %(number)s is declined", number=c["number"])),
    MailKind.REFUND_REQUEST_RECEIVED: lambda c: _("New refund request for order %(number)s",
                                                  number=c["number"]),
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(message: OutboxMessage) -> Rendered:
    """Subject, text and HTML of ``message``, in its language. Needs an app context."""
    context = dict(message.context)
    language = message.language

    def money(amount: str | None) -> str:
        """``"1990.00"`` -> ``1 990,00 ₽`` (Russian) or ``1,990.00 ₽`` (English)."""
        if amount is None:
            return "—"
        number = format_decimal(Decimal(amount), format="#,##0.00", locale=language)
        return number.replace(" ", NBSP).replace("\u202f", NBSP) + NBSP + "₽"

    def day(iso: str) -> str:
        """``"2026-11-30"`` -> ``30 нояб. 2026 г.`` (Russian) or ``Nov 30, 2026`` (English)."""
        text = format_date(date.fromisoformat(iso), format="medium", locale=language)
        return text.replace("\u202f", NBSP)

    with force_locale(language):
        subject = SUBJECTS[message.kind](context)
        values = {**context, "subject": subject, "money": money, "day": day,
                  "language": language,
                  "shop_name": current_app.config.get("STOREFRONT_SELLER_NAME") or ""}
        text = render_template(f"mail/{message.kind}.txt", **values)
        html = render_template(f"mail/{message.kind}.html", **values)
    return Rendered(subject, text.strip() + "\n", html)


def build(message: OutboxMessage, sender: str) -> EmailMessage:
    """The MIME message: ``multipart/alternative``, plain text first, then HTML.

    Its ``Message-ID`` is made from the outbox row, so a message sent again (a runner
    that died between the server's "OK" and recording it) carries the same id, and
    mail clients show it once.
    """
    rendered = render(message)
    email = EmailMessage()
    email["Subject"] = rendered.subject
    email["From"] = sender
    email["To"] = message.recipient
    email["Date"] = formatdate(localtime=False, usegmt=True)
    email["Message-ID"] = message_id(message, sender)
    email.set_content(rendered.text)
    email.add_alternative(rendered.html, subtype="html")
    email["Content-Language"] = message.language  # after the parts: set_content drops it
    return email


def message_id(message: OutboxMessage, sender: str) -> str:
    digest = hashlib.sha256(message.dedupe_key.encode()).hexdigest()[:20]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "storefront.invalid"
    return f"<{message.id}.{digest}@{domain}>"
