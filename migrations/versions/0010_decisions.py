"""Decisions on feedback (Abwägung) with their history, response snippets, publications of a
round's decisions and response table, provenance of merged changes

Revision ID: 0010_decisions
Revises: 0009_round_reopenings
Create Date: 2026-12-06 10:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from consult.db import UTCDateTime

revision: str = "0010_decisions"
down_revision: str | None = "0009_round_reopenings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# New tables only: the editors' state of a piece of feedback is a table beside "feedback"
# (which other tables point at, so it is never copied by a batch operation).


def upgrade() -> None:
    op.create_table(
        "feedback_reviews",
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(32), nullable=True),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("replacement", sa.Text(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("applied_revision_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_feedback_reviews_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_feedback_reviews_consultation_id_consultations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_feedback_reviews_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["users.id"],
            name=op.f("fk_feedback_reviews_assignee_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["applied_revision_id"],
            ["revisions.id"],
            name=op.f("fk_feedback_reviews_applied_revision_id_revisions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("feedback_id", name=op.f("pk_feedback_reviews")),
    )
    op.create_index(
        op.f("ix_feedback_reviews_consultation_id"), "feedback_reviews", ["consultation_id"]
    )
    op.create_index(op.f("ix_feedback_reviews_assignee_id"), "feedback_reviews", ["assignee_id"])

    op.create_table(
        "feedback_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(32), nullable=True),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("replacement", sa.Text(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_feedback_decisions_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_feedback_decisions_decided_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_decisions")),
    )
    op.create_index(
        op.f("ix_feedback_decisions_feedback_id"), "feedback_decisions", ["feedback_id"]
    )

    op.create_table(
        "response_snippets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_response_snippets_consultation_id_consultations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_response_snippets_created_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response_snippets")),
    )
    op.create_index(
        op.f("ix_response_snippets_consultation_id"), "response_snippets", ["consultation_id"]
    )

    op.create_table(
        "round_publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_round_publications_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["users.id"],
            name=op.f("fk_round_publications_published_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_publications")),
        sa.UniqueConstraint("round_id", "kind", name=op.f("uq_round_publications_round_id_kind")),
    )
    op.create_index(op.f("ix_round_publications_round_id"), "round_publications", ["round_id"])

    op.create_table(
        "change_provenance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=True),
        sa.Column("editor_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["revisions.id"],
            name=op.f("fk_change_provenance_revision_id_revisions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["section_id"],
            ["sections.id"],
            name=op.f("fk_change_provenance_section_id_sections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["section_versions.id"],
            name=op.f("fk_change_provenance_version_id_section_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_change_provenance_feedback_id_feedback"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["editor_id"],
            ["users.id"],
            name=op.f("fk_change_provenance_editor_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_provenance")),
    )
    for column in ("revision_id", "version_id", "feedback_id"):
        op.create_index(op.f(f"ix_change_provenance_{column}"), "change_provenance", [column])


def downgrade() -> None:
    for column in ("revision_id", "version_id", "feedback_id"):
        op.drop_index(op.f(f"ix_change_provenance_{column}"), table_name="change_provenance")
    op.drop_table("change_provenance")
    op.drop_index(op.f("ix_round_publications_round_id"), table_name="round_publications")
    op.drop_table("round_publications")
    op.drop_index(op.f("ix_response_snippets_consultation_id"), table_name="response_snippets")
    op.drop_table("response_snippets")
    op.drop_index(op.f("ix_feedback_decisions_feedback_id"), table_name="feedback_decisions")
    op.drop_table("feedback_decisions")
    op.drop_index(op.f("ix_feedback_reviews_assignee_id"), table_name="feedback_reviews")
    op.drop_index(op.f("ix_feedback_reviews_consultation_id"), table_name="feedback_reviews")
    op.drop_table("feedback_reviews")
