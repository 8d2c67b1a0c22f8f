"""The endpoint Invoicebox POSTs signed payment notifications to.

It lives apart from the shop because its rules differ: no session, no CSRF,
authentication by HMAC signature, and machine-readable replies.
"""

from flask import Blueprint

bp = Blueprint("notifications", __name__)

from . import routes  # noqa: E402,F401  (attaches the view)
