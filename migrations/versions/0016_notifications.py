"""Notification settings per person and kind, and the daily digest

Revision ID: 0016_notifications
Revises: 0015_privacy
Create Date: 2026-12-06 12:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from consult.db import UTCDateTime

revision: str = "0016_notifications"
down_revision: str | None = "0015_privacy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE ADD COLUMN on both databases (see 0005 and 0015).


def upgrade() -> None:
    op.create_table(
        "notification_settings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("user_id", "kind", name="uq_notification_settings_user"),
    )
    op.create_index("ix_notification_settings_user_id", "notification_settings", ["user_id"])
    op.create_table(
        "notification_digest_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column(
            "consultation_id",
            sa.Integer(),
            sa.ForeignKey("consultations.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("digested_at", UTCDateTime(), nullable=True),
    )
    op.create_index(
        "ix_notification_digest_items_user_id", "notification_digest_items", ["user_id"]
    )
    op.create_index(
        "ix_notification_digest_items_digested_at", "notification_digest_items", ["digested_at"]
    )
    op.add_column("outbox_messages", sa.Column("unsubscribe_url", sa.String(1000), nullable=True))
    op.add_column("outbox_messages", sa.Column("body_html", sa.Text(), nullable=True))
    op.add_column(
        "round_reminders",
        sa.Column("stage", sa.Integer(), server_default="1", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("round_reminders", "stage")
    op.drop_column("outbox_messages", "body_html")
    op.drop_column("outbox_messages", "unsubscribe_url")
    op.drop_index("ix_notification_digest_items_digested_at", "notification_digest_items")
    op.drop_index("ix_notification_digest_items_user_id", "notification_digest_items")
    op.drop_table("notification_digest_items")
    op.drop_index("ix_notification_settings_user_id", "notification_settings")
    op.drop_table("notification_settings")
