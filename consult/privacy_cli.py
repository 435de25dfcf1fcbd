"""``flask --app consult privacy purge``: retention of personal data (services.privacy)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from consult import db
from consult.services import privacy

privacy_cli = AppGroup("privacy", help="Personal data (DSGVO): retention.")


@privacy_cli.command("purge")
@click.option(
    "--months",
    type=click.IntRange(min=1),
    default=None,
    help="Retention in months (default: CONSULT_RETENTION_MONTHS).",
)
def privacy_purge(months: int | None) -> None:
    """Anonymise accounts with no sign-in for N months after their consultations ended."""
    months = months or current_app.extensions["consult_settings"].retention_months
    if not months:
        click.echo("retention is off (set CONSULT_RETENTION_MONTHS or pass --months)")
        return
    with db.database().session_scope() as session:
        result = privacy.purge(session, months=months)
    click.echo(f"erased {len(result.erased)} accounts inactive since {result.cutoff:%Y-%m-%d}")
