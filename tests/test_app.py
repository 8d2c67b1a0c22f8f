"""The application factory, its configuration rules and the health check."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import inspect

from storefront import create_app
from storefront.config import ConfigError, load_settings
from storefront.extensions import db
from storefront.schema import MIGRATIONS_DIR

REQUIRED = [
    "SECRET_KEY",
    "INVOICEBOX_TOKEN",
    "INVOICEBOX_MERCHANT_ID",
    "INVOICEBOX_NOTIFICATION_KEY",
]
FULL_ENV = {
    "SECRET_KEY": "s3cret",
    "INVOICEBOX_TOKEN": "token",
    "INVOICEBOX_MERCHANT_ID": "merchant",
    "INVOICEBOX_NOTIFICATION_KEY": "key",
}


@pytest.mark.parametrize("missing", REQUIRED)
def test_production_refuses_to_start_without_each_secret(missing, tmp_path):
    env = {k: v for k, v in FULL_ENV.items() if k != missing}
    with pytest.raises(ConfigError) as error:
        load_settings(env, str(tmp_path))
    assert missing in str(error.value.code)


def test_production_is_the_default_mode(tmp_path):
    settings = load_settings(FULL_ENV, str(tmp_path))
    assert settings["STOREFRONT_MODE"] == "production"
    assert settings["INVOICEBOX_API_URL"] == "https://api.invoicebox.ru"
    assert settings["SESSION_COOKIE_SECURE"] is True


def test_demo_mode_fills_the_public_demo_shop_and_the_sandbox(tmp_path):
    settings = load_settings({"STOREFRONT_MODE": "demo"}, str(tmp_path))
    assert settings["INVOICEBOX_MERCHANT_ID"] == "ffffffff-ffff-ffff-ffff-ffffffffffff"
    assert settings["INVOICEBOX_API_URL"] == "http://127.0.0.1:8001"
    assert settings["STOREFRONT_PUBLIC_URL"] == "http://127.0.0.1:8000"


def test_demo_public_url_follows_the_shop_port(tmp_path):
    settings = load_settings({"STOREFRONT_MODE": "demo", "STOREFRONT_PORT": "9100"}, str(tmp_path))
    assert settings["STOREFRONT_PUBLIC_URL"] == "http://127.0.0.1:9100"


def test_demo_defaults_do_not_leak_into_production(tmp_path):
    env = dict(FULL_ENV, INVOICEBOX_API_URL="")
    settings = load_settings(env, str(tmp_path))
    assert settings["INVOICEBOX_TOKEN"] == "token"
    assert "demo" not in settings["SECRET_KEY"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STOREFRONT_MODE", "staging"),
        ("INVOICEBOX_API_VERSION", "v2"),
        ("INVOICEBOX_SIGNATURE_ALGORITHM", "crc32"),
        ("INVOICEBOX_READ_TIMEOUT", "soon"),
        ("INVOICEBOX_READ_TIMEOUT", "١٢"),
        ("STOREFRONT_TRUSTED_PROXIES", "nan"),
        ("STOREFRONT_AUTO_SHIP_SERVICES", "sometimes"),
        ("STOREFRONT_HOLD_SHIP_DAYS", "soon"),
    ],
)
def test_invalid_values_are_refused_by_name(name, value, tmp_path):
    with pytest.raises(ConfigError) as error:
        load_settings(dict(FULL_ENV, **{name: value}), str(tmp_path))
    assert name in str(error.value.code)


@pytest.mark.parametrize(("value", "on"), [("on", True), ("off", False), ("1", True)])
def test_auto_shipping_of_services_is_a_switch(value, on, tmp_path):
    settings = load_settings(dict(FULL_ENV, STOREFRONT_AUTO_SHIP_SERVICES=value), str(tmp_path))
    assert settings["STOREFRONT_AUTO_SHIP_SERVICES"] is on
    assert load_settings(FULL_ENV, str(tmp_path))["STOREFRONT_AUTO_SHIP_SERVICES"] is False


def test_postgres_urls_use_psycopg3(tmp_path):
    env = dict(FULL_ENV, DATABASE_URL="postgresql://postgres@127.0.0.1:5432/shop")
    settings = load_settings(env, str(tmp_path))
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://postgres@127.0.0.1:5432/shop"


def test_cli_without_secrets_prints_one_line_and_no_traceback(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "STOREFRONT_MODE": "production", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "storefront", "routes"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_migrations_build_the_schema_the_models_describe(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with app.app_context(), db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
        tables = set(inspect(connection).get_table_names())
    assert diff == []
    assert {"order", "order_line", "payment", "refund", "notification"} <= tables


def test_unknown_page_is_a_404_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert b"Page not found" in response.data


def test_test_config_never_reads_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("INVOICEBOX_TOKEN", "from-the-shell")
    from tests.conftest import test_config

    app = create_app(test_config(tmp_path))
    assert app.config["INVOICEBOX_TOKEN"] != "from-the-shell"


@pytest.mark.postgres
def test_migrations_apply_on_postgresql(pg_app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with pg_app.app_context(), db.engine.connect() as connection:
        assert connection.dialect.name == "postgresql"
        assert compare_metadata(MigrationContext.configure(connection), db.metadata) == []


def test_serving_never_imports_alembic_but_flask_db_still_migrates(tmp_path):
    """Alembic (about 10 MB a process) loads only when a `flask db` command runs."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "STOREFRONT_MODE": "demo",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'shop.db'}"}
    serving = subprocess.run(
        [sys.executable, "-c", "import sys; from storefront import create_app; create_app(); "
                               "print(sorted(m for m in sys.modules if m.startswith("
                               "('alembic', 'flask_migrate'))))"],
        env=env, capture_output=True, text=True, timeout=60)
    assert serving.stdout.strip() == "[]", serving.stderr

    def flask_db(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "flask", "--app", "storefront", "db", *args],
                              env=env, capture_output=True, text=True, timeout=120)

    assert flask_db("upgrade").returncode == 0
    current = flask_db("current")
    assert current.returncode == 0 and "(head)" in current.stdout
    mentioned = flask_db("--directory", str(MIGRATIONS_DIR), "history", "-r", "0013:0014")
    assert mentioned.returncode == 0 and "0013 -> 0014" in mentioned.stdout  # options pass on
