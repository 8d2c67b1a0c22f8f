"""Demo mode's session key is made at random on first run and kept in ``instance/``.

Before, the demo signed its cookies with a key written in ``storefront/config.py``: anybody
could sign a session that the demo took for its staff member's.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from storefront import create_app
from storefront.config import ConfigError, load_settings
from storefront.extensions import db
from storefront.schema import upgrade

DEMO = {"STOREFRONT_MODE": "demo"}
# The key the demo used to sign with; it is in the repository's history for good.
PUBLISHED_KEY = "demo-only-secret-key-never-use-in-production"


def test_each_fresh_instance_gets_its_own_random_key(tmp_path):
    first = load_settings(DEMO, str(tmp_path / "one"))["SECRET_KEY"]
    second = load_settings(DEMO, str(tmp_path / "two"))["SECRET_KEY"]
    assert first != second
    assert len(first) >= 43 and len(second) >= 43  # 32 random bytes or more
    assert PUBLISHED_KEY not in (first, second)


def test_a_restart_keeps_the_key_in_the_instance_folder(tmp_path):
    first = load_settings(DEMO, str(tmp_path))["SECRET_KEY"]
    assert load_settings(DEMO, str(tmp_path))["SECRET_KEY"] == first
    key_file = tmp_path / "secret_key"
    assert key_file.read_text().strip() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no temporary file left


def test_a_key_from_the_environment_is_used_and_nothing_is_written(tmp_path):
    settings = load_settings({**DEMO, "SECRET_KEY": "from-the-environment"}, str(tmp_path))
    assert settings["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_production_never_makes_a_key_of_its_own(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings({"INVOICEBOX_TOKEN": "t", "INVOICEBOX_MERCHANT_ID": "m",
                       "INVOICEBOX_NOTIFICATION_KEY": "k"}, str(tmp_path))
    assert not (tmp_path / "secret_key").exists()


def _demo_app(instance: Path, database: Path, **overrides: object):
    settings = load_settings({**DEMO, "DATABASE_URL": f"sqlite:///{database}"}, str(instance))
    return create_app({**settings, **overrides})


def test_a_cookie_signed_with_the_published_key_is_nobody(tmp_path):
    """The attack: sign in on a copy of the demo that uses the published key, and bring
    that cookie to the real demo. It must not open the staff area."""
    database = tmp_path / "demo.db"
    demo = _demo_app(tmp_path / "instance", database)
    with demo.app_context():
        from storefront.staff.accounts import ensure_demo_staff

        upgrade()
        ensure_demo_staff()
        db.session.commit()
    forger = _demo_app(tmp_path / "forger", database, SECRET_KEY=PUBLISHED_KEY,
                       WTF_CSRF_ENABLED=False)
    attacker = forger.test_client()
    signed_in = attacker.post("/staff/login", data={"email": "staff@example.com",
                                                    "password": "staff"})
    assert signed_in.status_code == 302
    assert attacker.get("/staff/orders").status_code == 200  # on the forger's own copy
    cookie = attacker.get_cookie("session")
    assert cookie is not None

    visitor = demo.test_client()
    visitor.set_cookie("session", cookie.value)
    response = visitor.get("/staff/orders")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login")
