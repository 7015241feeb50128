"""`flask --app webapp convene ...`: reference data, demo, periodic sweep, admin accounts."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from .extensions import db


@click.group()
def convene():
    """Convene administration commands."""


@convene.command("reference")
@with_appcontext
def reference_command():
    """Load or update the reference data (idempotent)."""
    from pledges.rates import load_seed_rates

    from .reference import load_reference_data

    counts = load_reference_data()
    counts["exchange_rate"] = load_seed_rates()
    db.session.commit()
    click.echo("Reference data loaded: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@convene.command("demo")
@with_appcontext
def demo_command():
    """Load the demo conference, directory and one account per role (idempotent)."""
    from .demo import load_demo

    summary = load_demo()
    db.session.commit()
    click.echo(summary)


@convene.command("tick")
@with_appcontext
def tick_command():
    """Run all due periodic work once (safe to run twice)."""
    from .jobs import run_periodic

    for name, result in run_periodic().items():
        click.echo(f"{name}: {result}")


@convene.command("clock")
@click.option("--interval", default=60, show_default=True, help="Seconds between sweeps.")
@with_appcontext
def clock_command(interval: int):
    """Run the periodic sweep forever (the Procfile's clock process)."""
    from .jobs import run_periodic

    while True:
        try:
            run_periodic()
        except Exception as error:  # noqa: BLE001 - keep the clock alive; the next sweep retries
            db.session.rollback()
            click.echo(f"sweep failed: {error}", err=True)
        time.sleep(interval)


@convene.command("create-admin")
@click.argument("email")
@click.argument("name")
@click.password_option()
@with_appcontext
def create_admin_command(email: str, name: str, password: str):
    """Create a verified site administrator, or make an existing account one."""
    from .auth.services import AuthError, create_admin

    try:
        user = create_admin(email, name, password)
    except AuthError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"{user.email} is a site administrator.")
