"""Command-line tasks: ``flask --app storefront seed`` and ``... staff create EMAIL``."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from .extensions import db

staff_cli = AppGroup("staff", help="Manage staff accounts.")


@click.command("seed")
@with_appcontext
def seed_command() -> None:
    """Load the catalog (and, in demo mode, the demo staff account). Safe to repeat."""
    from .catalog import seed_catalog

    added = seed_catalog()
    message = f"catalog: {added} product(s) added"
    if current_app.config["STOREFRONT_MODE"] == "demo":
        from .staff.accounts import ensure_demo_staff

        if ensure_demo_staff():
            message += "; demo staff account staff@example.com created"
    db.session.commit()
    click.echo(message)


@staff_cli.command("create")
@click.argument("email")
@click.password_option()
def create_staff_command(email: str, password: str) -> None:
    """Add a staff member who can sign in at /staff/login."""
    from .staff.accounts import StaffAccountError, create_staff

    try:
        create_staff(email, password)
    except StaffAccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"staff member {email.strip().lower()} created")


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_command)
    app.cli.add_command(staff_cli)
