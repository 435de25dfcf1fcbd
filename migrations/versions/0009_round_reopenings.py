"""round_extensions.kind: a closed round reopened is recorded as such, not as an extension

Revision ID: 0009_round_reopenings
Revises: 0008_feedback_versions
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_round_reopenings"
down_revision: str | None = "0008_feedback_versions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE on both databases (see 0005). Earlier rows are what they were
# recorded as: extensions (an extension of a closed round reopened it, but said nothing
# of that; its previous_closes_at still tells when the round had closed).


def upgrade() -> None:
    op.add_column(
        "round_extensions",
        sa.Column("kind", sa.String(length=16), server_default="extension", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("round_extensions", "kind")
