"""The connection to the mail server, from the ``SMTP_*`` settings.

The standard library's ``smtplib`` and ``email`` do the work: they speak SMTP, implicit
TLS and STARTTLS, AUTH, and build correct MIME. A wrapper (Flask-Mailman and the like)
would add little here, since the runner renders, queues and retries itself; and
Flask-Mailman's STARTTLS passes no SSL context, which leaves ``smtplib`` not verifying
the server's certificate. Here both TLS modes verify it
(``ssl.create_default_context()``).

Every socket operation has the ``SMTP_TIMEOUT``, so a slow server delays a pass of the
runner by that much at most per step, and never blocks it.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from typing import Any

# What the runner treats as "the server could not take it now": retried later.
TEMPORARY = (OSError, smtplib.SMTPException)


def connect(config: Mapping[str, Any]) -> smtplib.SMTP:
    """An open, authenticated connection to ``SMTP_HOST``; raises one of
    :data:`TEMPORARY` when the server cannot be reached or refuses us."""
    host, port = config["SMTP_HOST"], int(config.get("SMTP_PORT") or 587)
    timeout = float(config.get("SMTP_TIMEOUT") or 10)
    security = config.get("SMTP_SECURITY") or "starttls"
    if security == "ssl":
        server: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        server = smtplib.SMTP(host, port, timeout=timeout)
    try:
        if security == "starttls":
            server.starttls(context=ssl.create_default_context())
        if config.get("SMTP_USER"):
            server.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
    except BaseException:
        server.close()
        raise
    return server


def permanent(error: Exception) -> bool:
    """The server refused this message for good (5xx for every recipient, or for its
    content): sending it again would be refused again."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPDataError):
        return error.smtp_code >= 500
    return False


def connection_lost(error: Exception) -> bool:
    """The connection cannot carry the next message (a socket error, a timeout, the
    server hanging up): the rest of the batch waits for the next attempt."""
    return (isinstance(error, smtplib.SMTPServerDisconnected)
            or not isinstance(error, smtplib.SMTPException))


def close(server: smtplib.SMTP) -> None:
    try:
        server.quit()
    except TEMPORARY:
        server.close()
