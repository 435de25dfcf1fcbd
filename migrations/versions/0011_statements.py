"""Formal statements of the municipalities: statements with drafts and versions, section
remarks (feedback of kind "remark"), PDF attachments, per-municipality extensions and
reminders; signatories among the municipality members; attachments of outbox e-mails

Revision ID: 0011_statements
Revises: 0010_decisions
Create Date: 2026-12-08 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from consult.db import UTCDateTime

revision: str = "0011_statements"
down_revision: str | None = "0010_decisions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# New tables, and two columns added to "memberships" by plain ALTER TABLE (a batch
# operation would copy and drop the table). A remark's link to its statement version is
# a table beside "feedback" (which other tables point at, so it is never copied).


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def _index(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column])


def upgrade() -> None:
    op.add_column(
        "memberships",
        sa.Column("is_signatory", sa.Boolean(), server_default=sa.true(), nullable=False),
    )
    op.add_column(
        "memberships",
        sa.Column("signatory_function", sa.String(200), nullable=True),
    )

    op.create_table(
        "statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("draft_position", sa.String(32), nullable=True),
        sa.Column("draft_body", sa.Text(), nullable=False),
        sa.Column("draft_signatory_name", sa.String(200), nullable=False),
        sa.Column("draft_signatory_function", sa.String(200), nullable=False),
        sa.Column("drafted_by_id", sa.Integer(), nullable=True),
        sa.Column("drafted_at", UTCDateTime(), nullable=True),
        sa.Column("draft_revision", sa.Integer(), nullable=False),
        sa.Column("returned_reason", sa.Text(), nullable=True),
        sa.Column("returned_by_id", sa.Integer(), nullable=True),
        sa.Column("returned_at", UTCDateTime(), nullable=True),
        sa.Column("version_count", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
        _fk("statements", "consultation_id", "consultations", "CASCADE"),
        _fk("statements", "round_id", "rounds", "CASCADE"),
        _fk("statements", "organisation_id", "organisations", "RESTRICT"),
        _fk("statements", "drafted_by_id", "users", "SET NULL"),
        _fk("statements", "returned_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statements")),
        sa.UniqueConstraint(
            "round_id", "organisation_id", name=op.f("uq_statements_round_id_organisation_id")
        ),
    )
    _index("statements", "consultation_id", "round_id", "organisation_id")

    op.create_table(
        "statement_draft_remarks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("anchor_start", sa.Integer(), nullable=True),
        sa.Column("anchor_end", sa.Integer(), nullable=True),
        sa.Column("quote", sa.Text(), nullable=True),
        _fk("statement_draft_remarks", "statement_id", "statements", "CASCADE"),
        _fk("statement_draft_remarks", "section_id", "sections", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_draft_remarks")),
    )
    _index("statement_draft_remarks", "statement_id")

    op.create_table(
        "statement_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.String(32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("signatory_name", sa.String(200), nullable=False),
        sa.Column("signatory_function", sa.String(200), nullable=False),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("drafted_by_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("receipt_number", sa.String(64), nullable=True),
        sa.Column("submitted_at", UTCDateTime(), nullable=False),
        _fk("statement_versions", "statement_id", "statements", "CASCADE"),
        _fk("statement_versions", "round_id", "rounds", "CASCADE"),
        _fk("statement_versions", "organisation_id", "organisations", "RESTRICT"),
        _fk("statement_versions", "submitted_by_id", "users", "RESTRICT"),
        _fk("statement_versions", "recorded_by_id", "users", "RESTRICT"),
        _fk("statement_versions", "drafted_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_versions")),
        sa.UniqueConstraint(
            "statement_id", "number", name=op.f("uq_statement_versions_statement_id_number")
        ),
    )
    _index("statement_versions", "statement_id", "round_id", "organisation_id")

    op.create_table(
        "statement_version_remarks",
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        _fk("statement_version_remarks", "feedback_id", "feedback", "CASCADE"),
        _fk("statement_version_remarks", "version_id", "statement_versions", "CASCADE"),
        sa.PrimaryKeyConstraint("feedback_id", name=op.f("pk_statement_version_remarks")),
    )
    _index("statement_version_remarks", "version_id")

    op.create_table(
        "statement_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("in_draft", sa.Boolean(), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("storage_name", sa.String(64), nullable=False),
        sa.Column("mime_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha512", sa.String(128), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
        _fk("statement_attachments", "statement_id", "statements", "CASCADE"),
        _fk("statement_attachments", "uploaded_by_id", "users", "RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_attachments")),
        sa.UniqueConstraint("storage_name", name=op.f("uq_statement_attachments_storage_name")),
    )
    _index("statement_attachments", "statement_id")

    op.create_table(
        "statement_version_files",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        _fk("statement_version_files", "version_id", "statement_versions", "CASCADE"),
        _fk("statement_version_files", "attachment_id", "statement_attachments", "CASCADE"),
        sa.PrimaryKeyConstraint(
            "version_id", "attachment_id", name=op.f("pk_statement_version_files")
        ),
    )
    _index("statement_version_files", "attachment_id")

    op.create_table(
        "statement_extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("previous_closes_at", UTCDateTime(), nullable=False),
        sa.Column("closes_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        _fk("statement_extensions", "round_id", "rounds", "CASCADE"),
        _fk("statement_extensions", "organisation_id", "organisations", "RESTRICT"),
        _fk("statement_extensions", "created_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_extensions")),
    )
    _index("statement_extensions", "round_id", "organisation_id")

    op.create_table(
        "statement_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("closes_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        _fk("statement_reminders", "round_id", "rounds", "CASCADE"),
        _fk("statement_reminders", "organisation_id", "organisations", "RESTRICT"),
        _fk("statement_reminders", "sent_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_reminders")),
        sa.UniqueConstraint(
            "round_id",
            "organisation_id",
            "closes_at",
            name=op.f("uq_statement_reminders_round_id_organisation_id_closes_at"),
        ),
    )
    _index("statement_reminders", "round_id", "organisation_id")

    op.create_table(
        "outbox_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("mime_type", sa.String(100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        _fk("outbox_attachments", "message_id", "outbox_messages", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_attachments")),
    )
    _index("outbox_attachments", "message_id")


def downgrade() -> None:
    for table, columns in (
        ("outbox_attachments", ("message_id",)),
        ("statement_reminders", ("round_id", "organisation_id")),
        ("statement_extensions", ("round_id", "organisation_id")),
        ("statement_version_files", ("attachment_id",)),
        ("statement_attachments", ("statement_id",)),
        ("statement_version_remarks", ("version_id",)),
        ("statement_versions", ("statement_id", "round_id", "organisation_id")),
        ("statement_draft_remarks", ("statement_id",)),
        ("statements", ("consultation_id", "round_id", "organisation_id")),
    ):
        for column in columns:
            op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
        op.drop_table(table)
    op.drop_column("memberships", "signatory_function")
    op.drop_column("memberships", "is_signatory")
