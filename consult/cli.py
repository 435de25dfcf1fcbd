"""Flask commands: db, user, token, demo, mail (see API.md, "Command line")."""

from __future__ import annotations

from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import Flask, current_app
from flask.cli import AppGroup

from consult import db
from consult.demo import load_demo
from consult.errors import ServiceError
from consult.services import accounts, mail, reminders

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(app: Flask | None = None) -> Config:
    app = app or current_app
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = db.database(app).engine
    return cfg


def upgrade(app: Flask, revision: str = "head") -> None:
    """Migrate the app's database to ``revision``."""
    command.upgrade(alembic_config(app), revision)


db_cli = AppGroup("db", help="Create or migrate the database (Alembic).")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: head)."""
    upgrade(current_app, revision)


@db_cli.command("downgrade")
@click.argument("revision", default="-1")
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION (default: one step)."""
    command.downgrade(alembic_config(), revision)


@db_cli.command("current")
def db_current() -> None:
    """Show the database's revision."""
    command.current(alembic_config())


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate/--empty", default=True)
def db_revision(message: str, autogenerate: bool) -> None:
    """Write a new migration (review it before committing)."""
    command.revision(alembic_config(), message=message, autogenerate=autogenerate)


user_cli = AppGroup("user", help="Manage users.")


@user_cli.command("create")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--password", default=None, help="Without a password an invitation is e-mailed.")
@click.option("--admin", is_flag=True, default=False)
@click.option("--organisation", "organisation_id", type=int, default=None)
def user_create(
    email: str, name: str, password: str | None, admin: bool, organisation_id: int | None
) -> None:
    """Create a user and print its id."""
    with db.database().session_scope() as session:
        try:
            created = accounts.create_user(
                session,
                actor=None,
                system=True,
                email=email,
                name=name,
                organisation_id=organisation_id,
                password=password,
                is_admin=admin,
            )
        except ServiceError as exc:
            raise click.ClickException(exc.message) from None
        user_id = created.user.id
    if password is None:
        mail.deliver_due(db.database(), mail.settings())
    click.echo(user_id)


token_cli = AppGroup("token", help="Manage API tokens.")


@token_cli.command("create")
@click.argument("email")
@click.option("--name", default="CLI", help="Label of the token.")
def token_create(email: str, name: str) -> None:
    """Print a new API token for EMAIL, and nothing else."""
    with db.database().session_scope() as session:
        user = accounts.find_user_by_email(session, email)
        if user is None or not user.is_active:
            raise click.ClickException(f"no active user with e-mail {email}")
        _, raw = accounts.create_api_token(session, actor=user, name=name)
    click.echo(raw)


demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("load")
def demo_load() -> None:
    """Load the demo county and consultation (idempotent); prints the logins."""
    with db.database().session_scope() as session:
        logins = load_demo(session)
    click.echo("Demo-Zugänge (E-Mail / Passwort):")
    roles = max((len(role) for role, _, _ in logins), default=0)
    emails = max((len(email) for _, email, _ in logins), default=0)
    for role, email, password in logins:
        click.echo(f"  {role:<{roles}}  {email:<{emails}}  {password}")


mail_cli = AppGroup("mail", help="E-mail outbox.")


@mail_cli.command("send")
def mail_send() -> None:
    """Deliver the queued e-mails that are due now."""
    sent, failed = mail.deliver_due(db.database(), mail.settings())
    click.echo(f"sent {sent}, failed {failed}")


rounds_cli = AppGroup("rounds", help="Consultation rounds.")


@rounds_cli.command("remind")
def rounds_remind() -> None:
    """Queue the deadline reminders that are due (48 hours before a deadline) and send them."""
    with db.database().session_scope() as session:
        queued = reminders.queue_reminders(session)
    mail.deliver_due(db.database(), mail.settings())
    click.echo(f"queued {queued} reminders")


def init_app(app: Flask) -> None:
    for group in (db_cli, user_cli, token_cli, demo_cli, mail_cli, rounds_cli):
        app.cli.add_command(group)
