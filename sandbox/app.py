"""Application factory of the Invoicebox sandbox.

The sandbox is the other party of the shop: it never imports ``storefront`` and is reached only
over HTTP. ``create_app`` wires the REST API (once per prefix), the payment page, the
``/_sandbox`` controls and admin page, a request id on every response, error bodies in the
gateway's envelope and status lines with the usual reason phrases. Background threads are
started separately (see ``__main__``) so tests can use the app in-process without them.
"""

from __future__ import annotations

import logging
import uuid

from flask import Flask, Response, g, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from . import admin, controls, payment_page
from .api.blueprint import create_api_blueprint
from .api.common import json_response
from .config import SandboxConfig, build_config
from .errors import ApiError
from .services import Services
from .store import Store

log = logging.getLogger(__name__)


def create_app(config: SandboxConfig | None = None, store: Store | None = None) -> Flask:
    """Build the sandbox app. Defaults: the demo merchant and an in-memory database."""
    config = config or build_config()
    app = Flask(__name__)
    app.wsgi_app = usual_reason_phrases(app.wsgi_app)  # type: ignore[method-assign]
    app.extensions["sandbox"] = Services.build(config, store or Store(":memory:"))

    api = create_api_blueprint()
    for prefix in config.api_prefixes:
        app.register_blueprint(api, url_prefix=f"/{prefix}", name=f"api_{prefix}")
    app.register_blueprint(payment_page.bp)
    app.register_blueprint(controls.bp, url_prefix="/_sandbox")
    app.register_blueprint(admin.bp, url_prefix="/_sandbox")

    prefixes = tuple(f"/{p}/" for p in config.api_prefixes) + ("/_sandbox/",)

    def wants_json() -> bool:
        return request.path.startswith(prefixes) and request.path != "/_sandbox/"

    @app.before_request
    def assign_request_id() -> None:
        g.request_id = uuid.uuid4().hex

    @app.after_request
    def add_request_id(response: Response) -> Response:
        response.headers["X-Request-Id"] = g.get("request_id") or uuid.uuid4().hex
        return response

    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> Response:
        log.info("%s %s -> %s %s (X-Request-Id %s)", request.method, request.path,
                 error.http_status, error.code or error.message, g.get("request_id"))
        return json_response(error.body(), error.http_status, error.headers)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        if wants_json():
            code = None if status >= 500 else (error.name or "error").lower().replace(" ", "_")
            return json_response(ApiError(status, code, error.name).body(), status)
        return render_template("error.html", error=error), status

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return http_error(InternalServerError())

    return app


def usual_reason_phrases(wsgi_app):
    """Wrap ``wsgi_app`` so status lines read ``422 Unprocessable Entity``, as HTTP servers
    write them, rather than werkzeug's upper-case ``422 UNPROCESSABLE ENTITY``."""

    def application(environ, start_response):
        def start(status: str, headers, exc_info=None):
            code = int(status.split(" ", 1)[0])
            phrase = HTTP_STATUS_CODES.get(code)
            return start_response(f"{code} {phrase}" if phrase else status, headers, exc_info)

        return wsgi_app(environ, start)

    return application
