"""``POST /invoicebox/notification``: always HTTP 200 with a JSON verdict (CONTRACT §5.4).

The view only reads the raw bytes and the ``X-Signature`` header; every check, and the
choice of reply code, is in :func:`storefront.payments.handle_notification`.
"""

from __future__ import annotations

import logging

from flask import jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..extensions import csrf
from ..payments import MAX_BODY_BYTES, handle_notification, out_of_service
from . import bp

log = logging.getLogger(__name__)


@bp.post("/invoicebox/notification")
@csrf.exempt  # authenticated by its HMAC signature, and sent by a server, not a browser
def receive():
    try:
        reply = handle_notification(_raw_body(), request.headers.get("X-Signature"))
    except Exception:  # the gateway must get JSON whatever happens; it retries this code
        log.exception("notification endpoint failed")
        reply = out_of_service()
    response = jsonify(reply.as_json())
    response.status_code = 200
    response.headers["Cache-Control"] = "no-store"
    return response


def _raw_body() -> bytes | None:
    """The exact bytes the gateway signed; None if the body is over the size cap."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return None
    request.max_content_length = MAX_BODY_BYTES  # also caps a chunked body of unknown size
    try:
        return request.get_data(cache=False)
    except RequestEntityTooLarge:
        return None
