"""Security headers, cookie flags and the per-request log line."""

from __future__ import annotations

import json
import logging

import pytest

from storefront import create_app
from storefront.extensions import db
from tests.conftest import test_config


def test_every_response_carries_the_security_headers(client):
    response = client.get("/healthz")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_error_pages_carry_them_too(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Content-Security-Policy" in response.headers


def test_session_cookie_is_httponly_and_samesite(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_production_cookies_are_secure(tmp_path):
    config = test_config(tmp_path, TESTING=False, SESSION_COOKIE_SECURE=False)
    app = create_app(config)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_one_structured_line_per_request(client, caplog):
    with caplog.at_level(logging.INFO, logger="storefront.requests"):
        client.get("/healthz")
    lines = [r.getMessage() for r in caplog.records if r.name == "storefront.requests"]
    assert len(lines) == 1
    record = json.loads(lines[0].removeprefix("request "))
    assert record["route"] == "/healthz"
    assert record["status"] == 200
    assert record["method"] == "GET"


@pytest.mark.parametrize(("proxies", "expected"), [(0, "127.0.0.1"), (1, "203.0.113.7")])
def test_forwarded_headers_count_only_from_trusted_proxies(make_app, proxies, expected):
    from flask import request

    app = make_app(STOREFRONT_TRUSTED_PROXIES=proxies)
    seen = {}

    @app.get("/_whoami")
    def whoami():
        seen["addr"] = request.remote_addr
        return "ok"

    app.test_client().get("/_whoami", headers={"X-Forwarded-For": "203.0.113.7"})
    assert seen["addr"] == expected


def test_the_request_line_names_the_order_but_never_its_secret_link(app, client, caplog):
    from storefront.models import Order
    from tests.notifications.conftest import make_awaiting

    awaiting = make_awaiting(app)
    with app.app_context():
        token = db.session.get(Order, awaiting.order_id).public_token
    with caplog.at_level(logging.INFO, logger="storefront.requests"):
        assert client.get(f"/orders/{token}").status_code == 200
    [line] = [r.getMessage() for r in caplog.records if r.name == "storefront.requests"]
    record = json.loads(line.removeprefix("request "))
    assert (record["route"], record["order_id"]) == ("/orders/<token>", awaiting.order_id)
    assert token not in line
