"""``flask --app consult notifications digest``: the daily digest
(services.notification_digest), then delivery of the outbox."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from consult import db
from consult.services import mail, notification_digest

notifications_cli = AppGroup("notifications", help="Notifications: the daily digest.")


@notifications_cli.command("digest")
def notifications_digest() -> None:
    """Queue one digest per person with held notifications (grouped by consultation)
    and send the outbox. Run once a day from cron."""
    with db.database().session_scope() as session:
        queued = notification_digest.send_digests(session)
    mail.deliver_due(db.database(), mail.settings())
    click.echo(f"queued {queued} digests")
