"""Input hygiene: characters that no page, link or form of the shop carries are refused
at the door, before any view reads them.

A NUL byte cannot be stored in PostgreSQL text: psycopg refuses the query, and a request
with a NUL in a slug, a token, a search or a form field would end in a 500 wherever it
reached the database. No other control character belongs in a path, a query string or a
form field name either; form values may carry the tab and the line breaks a textarea
sends, nothing else below the space. Rather than every view and validator remembering
this, one check before every view answers such a request with the 400 page.

The notification endpoint is left to its own rules: its body is JSON, verified by
signature over the raw bytes, and it answers every request with the protocol's JSON.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask import Flask, request
from flask_babel import lazy_gettext as _l

from .errors import render_error

# C0 controls and DEL. Links, query strings and field names carry none of them.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# The same, less tab, line feed and carriage return: a textarea sends those.
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
EXEMPT_BLUEPRINTS = frozenset({"notifications"})
MESSAGE = _l("The request carried characters that have no place in it.")


def _any(pattern: re.Pattern[str], texts: Iterable[str]) -> bool:
    return any(pattern.search(text) for text in texts)


def has_forbidden_characters() -> bool:
    """True if the path, the query string or a form field holds a control character."""
    if _CONTROL.search(request.path):
        return True
    args = list(request.args.items(multi=True))
    if _any(_CONTROL, (name for name, _ in args)) or _any(_CONTROL, (v for _, v in args)):
        return True
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        fields = list(request.form.items(multi=True))
        if _any(_CONTROL, (name for name, _ in fields)):
            return True
        if _any(_CONTROL_IN_TEXT, (value for _, value in fields)):
            return True
    return False


def refuse_control_characters():
    if request.blueprint in EXEMPT_BLUEPRINTS:
        return None
    if has_forbidden_characters():
        return render_error(400, str(MESSAGE))
    return None


def init_app(app: Flask) -> None:
    # App-wide hooks run before any blueprint's, so no view or staff guard sees the input.
    app.before_request(refuse_control_characters)
