"""users.notify_replies: e-mail when someone answers in one's thread

Revision ID: 0005_notify_replies
Revises: 0004_round_reminders
Create Date: 2026-11-23 20:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_notify_replies"
down_revision: str | None = "0004_round_reminders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column(
                "notify_replies", sa.Boolean(), server_default=sa.true(), nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("notify_replies")
