"""Mail claims, repeated writes answered once, algorithm versions of stored results

Revision ID: 0006_concurrency
Revises: 0005_notify_replies
Create Date: 2026-12-06 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from consult.db import UTCDateTime

revision: str = "0006_concurrency"
down_revision: str | None = "0005_notify_replies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE on both databases (see 0005): no batch copy of tables that others
# point at. Rows stored before name no algorithm and are computed again when next read.


def upgrade() -> None:
    op.create_table(
        "submissions",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("body_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("flashes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_submissions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_submissions")),
    )
    op.create_index(op.f("ix_submissions_created_at"), "submissions", ["created_at"])
    op.add_column("outbox_messages", sa.Column("claimed_until", UTCDateTime(), nullable=True))
    op.add_column("outbox_messages", sa.Column("claim_token", sa.String(32), nullable=True))
    op.add_column("section_diffs", sa.Column("algorithm", sa.String(40), nullable=True))
    op.add_column("feedback_locations", sa.Column("algorithm", sa.String(40), nullable=True))


def downgrade() -> None:
    op.drop_index(op.f("ix_submissions_created_at"), table_name="submissions")
    op.drop_table("submissions")
    op.drop_column("feedback_locations", "algorithm")
    op.drop_column("section_diffs", "algorithm")
    op.drop_column("outbox_messages", "claim_token")
    op.drop_column("outbox_messages", "claimed_until")
