"""The Invoicebox storefront: a small shop that pays through Invoicebox API v3."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the shop.

    Without ``test_config`` the settings come from the environment (see
    ``storefront/config.py``); with it, they come from that mapping alone, so a
    test never depends on the developer's shell.
    """
    # Imported here so that ``storefront.invoicebox`` loads without Flask.
    from flask import Flask

    from .config import from_environment, validate

    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    if test_config is None:
        app.config.from_mapping(from_environment(app.instance_path))
    else:
        app.config.from_mapping(test_config)
        validate(app.config)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})

    _configure_logging(app)
    _init_extensions(app)
    _register_blueprints(app)

    from . import cli, errors, hygiene, i18n, request_log, security

    i18n.init_app(app)
    security.init_app(app)
    hygiene.init_app(app)
    request_log.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    return app


def _configure_logging(app: Flask) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=os.environ.get("LOG_LEVEL", "INFO").upper(),
            format="%(asctime)s %(levelname)s %(name)s %(message)s",
        )


def _init_extensions(app: Flask) -> None:
    # models: the tables; catalog_version: the hook that bumps the catalog's version
    from . import catalog_version, models, schema  # noqa: F401
    from .extensions import csrf, db, login_manager

    db.init_app(app)
    schema.init_app(app)  # `flask db`; Alembic is imported only when a command runs
    csrf.init_app(app)
    login_manager.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from .health import bp as health_bp
    from .notifications import bp as notifications_bp
    from .shop import bp as shop_bp
    from .staff import bp as staff_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(shop_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(notifications_bp)
