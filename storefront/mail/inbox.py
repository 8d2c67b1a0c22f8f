"""Reading the demo catcher's ``.eml`` files (``STOREFRONT_MAIL_DIR``) for ``/staff/mail``.

Only files the catcher names are read (:data:`NAME`): a name from a URL can never point
outside the folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

NAME = re.compile(r"[0-9]{8}-[0-9]{6}-[0-9]{6}-[0-9a-f]{8}\.eml")
MAX_LISTED = 200


@dataclass(frozen=True)
class Kept:
    name: str
    subject: str
    sender: str
    to: str
    date: object  # datetime | None
    text: str
    html: str | None


def listing(folder: Path) -> list[Kept]:
    """The newest :data:`MAX_LISTED` messages, newest first."""
    if not folder.is_dir():
        return []
    names = sorted((p.name for p in folder.iterdir() if NAME.fullmatch(p.name)), reverse=True)
    return [found for name in names[:MAX_LISTED] if (found := read(folder, name))]


def read(folder: Path, name: str) -> Kept | None:
    """The message kept as ``name``, or None if there is none by that name."""
    if not NAME.fullmatch(name):
        return None
    try:
        raw = (folder / name).read_bytes()
    except OSError:
        return None
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    try:
        date = parsedate_to_datetime(message["Date"]) if message["Date"] else None
    except (TypeError, ValueError):
        date = None
    return Kept(name=name, subject=str(message["Subject"] or ""),
                sender=str(message["From"] or ""), to=str(message["To"] or ""), date=date,
                text=_part(message, "plain") or "", html=_part(message, "html"))


def _part(message: EmailMessage, subtype: str) -> str | None:
    body = message.get_body(preferencelist=(subtype,))
    if body is None:
        return None
    try:
        return body.get_content()
    except (LookupError, ValueError):
        return None
