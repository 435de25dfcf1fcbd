"""A feedback version per consultation: what cached reading views are keyed by

Revision ID: 0008_feedback_versions
Revises: 0007_revision_changes
Create Date: 2026-12-06 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_feedback_versions"
down_revision: str | None = "0007_revision_changes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE on both databases (see 0005): no batch copy of a table that others
# point at. Existing consultations start at 0; every process starts with empty caches.


def upgrade() -> None:
    op.add_column(
        "consultations",
        sa.Column("feedback_version", sa.Integer(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("consultations", "feedback_version")
