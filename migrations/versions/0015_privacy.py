"""Data protection: when an account was erased (anonymised)

Revision ID: 0015_privacy
Revises: 0014_audit
Create Date: 2026-12-06 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import consult.db

revision: str = "0015_privacy"
down_revision: str | None = "0014_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE on both databases (see 0005): a batch operation would copy and drop
# "users", which SQLite's enforced foreign keys refuse once other tables point at it.
# users.last_login_at (what retention measures inactivity by) exists since 0001.


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("erased_at", consult.db.UTCDateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("users", "erased_at")
