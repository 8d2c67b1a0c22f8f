"""A forged Host header against the shop as deployed (gunicorn, production mode): refused
with a 400, never echoed in a redirect; the health check still answers a probe by address."""

from __future__ import annotations

import requests

from .live import ProductionShop


def _get(shop: ProductionShop, path: str, host: str) -> requests.Response:
    return requests.get(shop.url + path, headers={"Host": host}, allow_redirects=False,
                        timeout=10)


def test_a_forged_host_is_refused_and_never_becomes_a_redirect(live_shop: ProductionShop):
    forged = _get(live_shop, "/staff", "evil.example")
    assert forged.status_code == 400
    assert "Location" not in forged.headers and "evil.example" not in forged.text
    ours = _get(live_shop, "/staff", f"127.0.0.1:{live_shop.port}")
    assert (ours.status_code, ours.headers["Location"]) == (308, f"{live_shop.url}/staff/")


def test_the_health_check_answers_a_load_balancer_asking_by_address(live_shop: ProductionShop):
    probe = _get(live_shop, "/healthz", f"10.20.30.40:{live_shop.port}")
    assert probe.status_code == 200
    assert probe.json() == {"status": "ok", "database": "ok"}
    assert _get(live_shop, "/", f"10.20.30.40:{live_shop.port}").status_code == 400
