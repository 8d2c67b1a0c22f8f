"""``/staff/mail``: the demo's outgoing mail, as the local catcher kept it (demo mode only).

In production mail goes to a real server and these pages do not exist (404). A message's
HTML is never put into the staff page itself: it is served on its own URL with a
``sandbox`` Content-Security-Policy (no scripts, no forms, no same origin, nothing
loaded from elsewhere) and shown in a sandboxed frame.
"""

from __future__ import annotations

from pathlib import Path

from flask import Response, abort, current_app, render_template

from ..mail.inbox import listing, read
from . import bp

# The HTML part's own policy: shown, never run, nothing fetched, framed only by the shop.
HTML_PART_POLICY = ("sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                    "frame-ancestors 'self'")


def _folder() -> Path:
    if current_app.config.get("STOREFRONT_MODE") != "demo":
        abort(404)
    return Path(current_app.config["STOREFRONT_MAIL_DIR"])


@bp.get("/mail")
def mail():
    folder = _folder()
    return render_template("staff/mail.html", messages=listing(folder), folder=folder)


@bp.get("/mail/<name>")
def mail_message(name: str):
    message = read(_folder(), name) or abort(404)
    return render_template("staff/mail_message.html", message=message)


@bp.get("/mail/<name>/html")
def mail_html(name: str):
    message = read(_folder(), name) or abort(404)
    if message.html is None:
        abort(404)
    response = Response(message.html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = HTML_PART_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
