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


# Plain ALTER TABLE on both databases (SQLite 3.35+ drops columns itself): a batch
# operation would copy and drop "users", which SQLite's enforced foreign keys refuse
# once other tables point at it.


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("notify_replies", sa.Boolean(), server_default=sa.true(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("users", "notify_replies")
