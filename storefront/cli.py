"""Command-line tasks: ``flask --app storefront seed``, ``... staff create|set-password|
deactivate EMAIL`` and ``... invoicebox reconcile [--every SECONDS]``."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from .extensions import db

staff_cli = AppGroup("staff", help="Manage staff accounts.")
invoicebox_cli = AppGroup("invoicebox", help="Work with Invoicebox outside any request.")

# Scripts give the password through the environment (a command-line option would show
# in the process list); people are asked for it twice, without echo.
PASSWORD_ENVVAR = "STOREFRONT_STAFF_PASSWORD"


def _password_option():
    return click.password_option(
        envvar=PASSWORD_ENVVAR,
        help=f"The password; asked for when neither this nor ${PASSWORD_ENVVAR} gives it.",
    )


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
@_password_option()
def create_staff_command(email: str, password: str) -> None:
    """Add a staff member who can sign in at /staff/login."""
    from .staff.accounts import StaffAccountError, create_staff

    try:
        create_staff(email, password)
    except StaffAccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"staff member {email.strip().lower()} created")


@staff_cli.command("set-password")
@click.argument("email")
@_password_option()
def set_password_command(email: str, password: str) -> None:
    """Give a staff member a new password; every session they have is ended."""
    from .staff.accounts import StaffAccountError, set_password

    try:
        staff = set_password(email, password)
    except StaffAccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"password of {staff.email} changed; its sessions are ended")


@staff_cli.command("deactivate")
@click.argument("email")
def deactivate_command(email: str) -> None:
    """Stop a staff member from signing in; every session they have is ended."""
    from .staff.accounts import StaffAccountError, deactivate

    try:
        staff = deactivate(email)
    except StaffAccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"staff member {staff.email} deactivated; its sessions are ended")


@invoicebox_cli.command("reconcile")
@click.option("--every", type=click.FloatRange(min=1), default=None, metavar="SECONDS",
              help="Keep going: a pass every SECONDS until SIGTERM or SIGINT.")
def reconcile_command(every: float | None) -> None:
    """Ask Invoicebox about payments and refunds whose news has not arrived, and send the
    mail waiting in the outbox.

    One pass, or with ``--every`` a pass every SECONDS; a signal lets the current item
    finish, then the command exits 0.
    """
    import signal
    import threading

    from .payments.reconcile import run_pass, runner_name

    stopping = threading.Event()
    if every is not None:
        def stop(signum: int, _frame: object) -> None:
            stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
    owner = runner_name()
    while True:
        run_pass(owner, stop=stopping.is_set)
        db.session.remove()
        if every is None or stopping.wait(every):
            return


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_command)
    app.cli.add_command(staff_cli)
    app.cli.add_command(invoicebox_cli)
