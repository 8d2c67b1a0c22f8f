"""The schema's migrations (Flask-Migrate over Alembic), set up only where they are used.

Importing Alembic costs a process about 10 MB, and a web worker never migrates anything.
So :func:`init_app` registers a ``flask db`` command group that sets Flask-Migrate up
when one of its commands is asked for, and :func:`upgrade` does the same for tests and
scripts that migrate a database in process. ``flask --app storefront db upgrade`` and
every other Flask-Migrate command work as documented.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import ScriptInfo

from .extensions import db

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def enable(app: Flask) -> None:
    """Set Flask-Migrate up on ``app`` (once); this replaces the lazy ``db`` group."""
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)


def upgrade(revision: str = "head") -> None:
    """Migrate the current app's database to ``revision``; needs an app context."""
    enable(current_app._get_current_object())  # type: ignore[attr-defined]
    from flask_migrate import upgrade as migrate_upgrade

    migrate_upgrade(revision=revision)


class _MigrationCommands(click.Group):
    """``flask db``: stands in for Flask-Migrate's command group until it is used, then
    hands the command line, options and all, to that group."""

    def _loaded(self, ctx: click.Context | None) -> click.Group:
        info = ctx.ensure_object(ScriptInfo) if ctx is not None else ScriptInfo()
        enable(info.load_app())
        from flask_migrate.cli import db as commands

        return commands

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra) -> click.Context:
        return self._loaded(parent).make_context(info_name, args, parent=parent, **extra)


def init_app(app: Flask) -> None:
    app.cli.add_command(_MigrationCommands("db", help="Database migrations (Flask-Migrate)."))
