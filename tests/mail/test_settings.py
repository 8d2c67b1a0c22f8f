"""The SMTP_* settings: demo mode sends to the local catcher, production nowhere by default."""

from __future__ import annotations

import pytest

from storefront.config import ConfigError, load_settings
from tests.conftest import DEMO_MERCHANT_ID, DEMO_NOTIFICATION_KEY, DEMO_TOKEN

PRODUCTION = {"STOREFRONT_MODE": "production", "SECRET_KEY": "k", "INVOICEBOX_TOKEN": DEMO_TOKEN,
              "INVOICEBOX_MERCHANT_ID": DEMO_MERCHANT_ID,
              "INVOICEBOX_NOTIFICATION_KEY": DEMO_NOTIFICATION_KEY}


def test_production_sends_nowhere_until_told(tmp_path):
    settings = load_settings(PRODUCTION, str(tmp_path))
    assert settings["SMTP_HOST"] == "" and settings["STOREFRONT_STAFF_EMAIL"] == ""
    assert (settings["SMTP_PORT"], settings["SMTP_SECURITY"]) == (587, "starttls")


def test_production_takes_every_smtp_setting_from_the_environment(tmp_path):
    settings = load_settings({**PRODUCTION, "SMTP_HOST": "smtp.example.com", "SMTP_PORT": "465",
                              "SMTP_SECURITY": "SSL", "SMTP_USER": "shop",
                              "SMTP_PASSWORD": "pw", "STOREFRONT_SELLER_EMAIL": "s@example.com",
                              "STOREFRONT_STAFF_EMAIL": "o@example.com"}, str(tmp_path))
    assert {k: settings[k] for k in ("SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY", "SMTP_USER",
                                     "SMTP_PASSWORD", "SMTP_SENDER",
                                     "STOREFRONT_STAFF_EMAIL")} == {
        "SMTP_HOST": "smtp.example.com", "SMTP_PORT": 465, "SMTP_SECURITY": "ssl",
        "SMTP_USER": "shop", "SMTP_PASSWORD": "pw", "SMTP_SENDER": "s@example.com",
        "STOREFRONT_STAFF_EMAIL": "o@example.com"}


def test_demo_mode_sends_to_the_local_catcher(tmp_path):
    settings = load_settings({"STOREFRONT_MODE": "demo"}, str(tmp_path))
    assert (settings["SMTP_HOST"], settings["SMTP_PORT"], settings["SMTP_SECURITY"]) == (
        "127.0.0.1", 8025, "none")
    assert settings["STOREFRONT_MAIL_DIR"] == str(tmp_path / "mail")
    assert settings["STOREFRONT_STAFF_EMAIL"] == "staff@example.com"


@pytest.mark.parametrize(("extra", "named"), [
    ({"SMTP_SECURITY": "tls1.0"}, "SMTP_SECURITY"),
    ({"SMTP_PORT": "smtp"}, "SMTP_PORT"),
    ({"SMTP_HOST": "smtp.example.com"}, "SMTP_SENDER"),  # and no seller address either
])
def test_a_wrong_mail_setting_stops_the_shop_naming_it(tmp_path, extra, named):
    with pytest.raises(ConfigError, match=named):
        load_settings({**PRODUCTION, **extra}, str(tmp_path))
