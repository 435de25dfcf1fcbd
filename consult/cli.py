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
from consult.services import accounts, api_tokens, export_jobs, mail, reminders, search_index

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
        _, raw = api_tokens.create_api_token(session, actor=user, name=name)
    click.echo(raw)


demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("load")
def demo_load() -> None:
    """Load the demo county and consultation (idempotent); prints the logins."""
    with db.database().session_scope() as session:
        logins = load_demo(session)
        # The writes index themselves; this also covers a demo loaded before search existed.
        search_index.reindex(session)
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
    """Queue the deadline reminders that are due (3 days and 1 day before) and send them."""
    with db.database().session_scope() as session:
        queued = reminders.queue_reminders(session)
    mail.deliver_due(db.database(), mail.settings())
    click.echo(f"queued {queued} reminders")


exports_cli = AppGroup("exports", help="Committee packages built as jobs.")


@exports_cli.command("run")
def exports_run() -> None:
    """Build the requested committee packages that are waiting (for cron and tests)."""
    built = export_jobs.run_due(db.database())
    click.echo(f"built {built}")


audit_cli = AppGroup("audit", help="The audit log.")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Check the audit log's hash chain; exits 1 and names the broken entries if any."""
    from consult.services.audit import verify_chain

    with db.database().session_scope(write=False) as session:
        broken = verify_chain(session)
    if broken:
        click.echo(f"audit log BROKEN at entries: {', '.join(map(str, broken))}", err=True)
        raise SystemExit(1)
    click.echo("audit log intact")


search_cli = AppGroup("search", help="The full-text search index.")


@search_cli.command("reindex")
@click.option("--consultation", "consultation_id", type=int, default=None)
def search_reindex(consultation_id: int | None) -> None:
    """Build the search index anew from the stored texts (all, or one consultation)."""
    with db.database().session_scope() as session:
        count = search_index.reindex(session, consultation_id=consultation_id)
    click.echo(f"indexed {count} documents")


def init_app(app: Flask) -> None:
    from consult.privacy_cli import privacy_cli  # issue 14: personal data

    app.cli.add_command(privacy_cli)
    from consult.notifications_cli import notifications_cli  # issue 14: notifications

    app.cli.add_command(notifications_cli)
    app.cli.add_command(audit_cli)
    groups = (db_cli, user_cli, token_cli, demo_cli, mail_cli, rounds_cli, exports_cli, search_cli)
    for group in groups:
        app.cli.add_command(group)
