"""What a published revision changed, stored when it is published

Revision ID: 0007_revision_changes
Revises: 0006_concurrency
Create Date: 2026-12-06 08:00:00
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from consult.domain.outline_diff import Placed, compare_outlines, count_statuses

revision: str = "0007_revision_changes"
down_revision: str | None = "0006_concurrency"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE and CREATE TABLE on both databases (see 0005): no batch copy of
# "revisions", which other tables point at.


def upgrade() -> None:
    op.add_column("revisions", sa.Column("section_count", sa.Integer(), nullable=True))
    op.create_table(
        "revision_changes",
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("compared_to_id", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("moved", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compared_to_id"],
            ["revisions.id"],
            name=op.f("fk_revision_changes_compared_to_id_revisions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["revisions.id"],
            name=op.f("fk_revision_changes_revision_id_revisions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("revision_id", "compared_to_id", name=op.f("pk_revision_changes")),
    )
    op.create_index(
        op.f("ix_revision_changes_compared_to_id"),
        "revision_changes",
        ["compared_to_id"],
        unique=False,
    )
    _backfill()


def downgrade() -> None:
    op.drop_index(op.f("ix_revision_changes_compared_to_id"), table_name="revision_changes")
    op.drop_table("revision_changes")
    op.drop_column("revisions", "section_count")


revisions = sa.table(
    "revisions",
    sa.column("id", sa.Integer),
    sa.column("consultation_id", sa.Integer),
    sa.column("number", sa.Integer),
    sa.column("status", sa.String),
    sa.column("base_revision_id", sa.Integer),
    sa.column("section_count", sa.Integer),
)
placements = sa.table(
    "placements",
    sa.column("revision_id", sa.Integer),
    sa.column("section_id", sa.Integer),
    sa.column("version_id", sa.Integer),
    sa.column("key", sa.String),
    sa.column("parent_section_id", sa.Integer),
    sa.column("position", sa.Integer),
    sa.column("depth", sa.Integer),
)
revision_changes = sa.table(
    "revision_changes",
    sa.column("revision_id", sa.Integer),
    sa.column("compared_to_id", sa.Integer),
    sa.column("unchanged", sa.Integer),
    sa.column("changed", sa.Integer),
    sa.column("added", sa.Integer),
    sa.column("removed", sa.Integer),
    sa.column("moved", sa.Integer),
)


def _backfill() -> None:
    """Count what every published revision changed, as publishing does from now on
    (consult.services.diffs.store_changes): its sections, and the changes against its
    base and against the revision numbered one less. One consultation at a time."""
    conn = op.get_bind()
    by_consultation: dict[int, list[Any]] = defaultdict(list)
    for row in conn.execute(
        sa.select(
            revisions.c.id,
            revisions.c.consultation_id,
            revisions.c.number,
            revisions.c.status,
            revisions.c.base_revision_id,
        )
    ):
        by_consultation[row.consultation_id].append(row)
    for rows in by_consultation.values():
        published = [r for r in rows if r.status != "draft"]
        if not published:
            continue
        id_of = {r.number: r.id for r in rows}
        placed: dict[int, list[Placed]] = {r.id: [] for r in rows}
        for p in conn.execute(
            sa.select(
                placements.c.revision_id,
                placements.c.section_id,
                placements.c.version_id,
                placements.c.key,
                placements.c.parent_section_id,
                placements.c.depth,
            )
            .where(placements.c.revision_id.in_(list(placed)))
            .order_by(placements.c.revision_id, placements.c.position)
        ):
            placed[p.revision_id].append(
                Placed(p.section_id, p.version_id, p.key, p.parent_section_id, p.depth)
            )
        counts, changes = [], []
        for r in published:
            counts.append({"rid": r.id, "n": len(placed[r.id])})
            for other in {r.base_revision_id, id_of.get(r.number - 1)} - {None, r.id}:
                if other in placed:
                    statuses = count_statuses(compare_outlines(placed[other], placed[r.id]))
                    changes.append({"revision_id": r.id, "compared_to_id": other, **statuses})
        conn.execute(
            revisions.update()
            .where(revisions.c.id == sa.bindparam("rid"))
            .values(section_count=sa.bindparam("n")),
            counts,
        )
        if changes:
            conn.execute(revision_changes.insert(), changes)
