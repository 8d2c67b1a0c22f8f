"""The shop answers only for the host of ``STOREFRONT_PUBLIC_URL``.

Before, ``GET /staff`` with ``Host: evil.example`` answered ``308 Location:
http://evil.example/staff/``: whatever host a request named, the shop built its absolute
URLs on it. Now a foreign Host gets the 400 page and no Location, in every mode.
"""

from __future__ import annotations

import pytest

PUBLIC = "https://shop.example"


@pytest.fixture
def production(make_app):
    """The shop as deployed: not in testing mode, so the test client's localhost is foreign."""
    return make_app(TESTING=False, STOREFRONT_PUBLIC_URL=PUBLIC).test_client()


@pytest.fixture
def demo(make_app):
    return make_app(TESTING=False, STOREFRONT_MODE="demo", STOREFRONT_PORT=8000,
                    STOREFRONT_PUBLIC_URL="http://127.0.0.1:8000").test_client()


def _get(client, path: str, host: str, **headers: str):
    return client.get(path, headers={"Host": host, "Accept": "text/html", **headers})


@pytest.mark.parametrize("host", [
    "evil.example", "evil.example:443", "shop.example.evil.example", "evil-shop.example",
    "shop.example:8443", "localhost", "127.0.0.1", "shop.example@evil.example",
    "", "shop.example:notaport",
])
def test_a_foreign_host_gets_a_400_and_never_a_redirect(production, host):
    response = _get(production, "/staff", host)
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "not served under that name" in response.get_data(as_text=True)


@pytest.mark.parametrize("host", ["shop.example", "SHOP.example", "shop.example:443"])
def test_the_public_host_is_served(production, host):
    response = _get(production, "/staff", host)
    assert response.status_code == 308
    assert response.headers["Location"] in ("/staff/", "http://shop.example/staff/",
                                            f"http://{host}/staff/")
    assert _get(production, "/", host).status_code == 200


def test_a_forwarded_host_is_checked_like_any_other(make_app):
    """Behind a trusted proxy the host comes from X-Forwarded-Host: checked the same."""
    client = make_app(TESTING=False, STOREFRONT_PUBLIC_URL=PUBLIC,
                      STOREFRONT_TRUSTED_PROXIES=1).test_client()
    forged = _get(client, "/staff", "10.0.0.7:8000", **{"X-Forwarded-Host": "evil.example",
                                                        "X-Forwarded-Proto": "https"})
    assert forged.status_code == 400 and "Location" not in forged.headers
    ours = _get(client, "/staff", "10.0.0.7:8000", **{"X-Forwarded-Host": "shop.example",
                                                      "X-Forwarded-Proto": "https"})
    assert ours.status_code == 308
    assert "evil" not in ours.headers["Location"]


def test_without_trusted_proxies_a_forwarded_host_is_ignored(production):
    response = _get(production, "/staff", "shop.example", **{"X-Forwarded-Host": "evil.example"})
    assert response.status_code == 308
    assert "evil" not in response.headers["Location"]


@pytest.mark.parametrize(("host", "status"), [
    ("127.0.0.1:8000", 200), ("localhost:8000", 200), ("localhost", 200),
    ("localhost:8001", 400), ("127.0.0.1:9999", 400), ("evil.example:8000", 400),
])
def test_the_demo_also_answers_localhost_on_its_port(demo, host, status):
    assert _get(demo, "/", host).status_code == status


@pytest.mark.parametrize(("host", "status"), [
    ("10.1.2.3:8000", 200), ("10.1.2.3", 200), ("[fd00::1]:8000", 200),
    ("evil.example", 400), ("10.1.2.3.evil.example", 400),
])
def test_the_health_check_answers_a_probe_by_address(production, host, status):
    response = _get(production, "/healthz", host)
    assert response.status_code == status
    if status == 200:
        assert response.get_json() == {"status": "ok", "database": "ok"}


def test_an_address_opens_no_other_page(production):
    assert _get(production, "/staff", "10.1.2.3:8000").status_code == 400
    assert _get(production, "/", "10.1.2.3:8000").status_code == 400


def test_a_public_url_without_a_host_is_a_configuration_error(make_app):
    from storefront.config import ConfigError

    with pytest.raises(ConfigError, match="STOREFRONT_PUBLIC_URL"):
        make_app(STOREFRONT_PUBLIC_URL="shop.example")
