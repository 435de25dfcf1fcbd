"""Full-text search over sections, feedback and statements

Revision ID: 0013_search
Revises: 0012_exports
Create Date: 2026-12-06 12:00:00

``search_documents`` (consult.models.search) with, on PostgreSQL, a generated
``to_tsvector('german', ...)`` column and its GIN index, on SQLite an FTS5 table of the
stemmed text. The texts already stored are indexed here (``flask --app consult search
reindex`` does the same at any time).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

import sqlalchemy as sa
from alembic import op

from consult.domain import search_text

revision: str = "0013_search"
down_revision: str | None = "0012_exports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_VECTOR_SQL = (
    "setweight(to_tsvector('german'::regconfig, translate(title, '<>&', '   ')), 'A') || "
    "setweight(to_tsvector('german'::regconfig, translate(body, '<>&', '   ')), 'B')"
)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "search_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "ref_id"),
    )
    op.create_index(
        "ix_search_documents_consultation_id", "search_documents", ["consultation_id"]
    )
    if dialect == "postgresql":
        op.execute(
            f"ALTER TABLE search_documents ADD COLUMN vector tsvector "
            f"GENERATED ALWAYS AS ({PG_VECTOR_SQL}) STORED"
        )
        op.execute(
            "CREATE INDEX ix_search_documents_vector ON search_documents USING gin (vector)"
        )
    elif dialect == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5("
            "title, body, tokenize = 'unicode61 remove_diacritics 2')"
        )
        op.execute(
            "CREATE TRIGGER search_documents_fts_delete AFTER DELETE ON search_documents "
            "BEGIN DELETE FROM search_fts WHERE rowid = old.id; END"
        )
    _index_stored_texts(dialect)


def _index_stored_texts(dialect: str) -> None:
    bind = op.get_bind()
    rows: list[dict[str, object]] = []
    for version_id, consultation_id, title, body in bind.execute(
        sa.text(
            "SELECT v.id, s.consultation_id, v.title, v.body FROM section_versions v "
            "JOIN sections s ON s.id = v.section_id"
        )
    ):
        rows.append(_row("section", version_id, consultation_id, title, body))
    for feedback_id, kind, consultation_id, body, replacement in bind.execute(
        sa.text(
            "SELECT id, kind, consultation_id, body, replacement FROM feedback "
            "WHERE kind IN ('comment', 'suggestion')"
        )
    ):
        text = search_text.feedback_text(body, replacement)
        rows.append(_row(kind, feedback_id, consultation_id, "", text))
    remarks = {
        version_id: [body for _, body in group]
        for version_id, group in groupby(
            bind.execute(
                sa.text(
                    "SELECT r.version_id, f.body FROM statement_version_remarks r "
                    "JOIN feedback f ON f.id = r.feedback_id ORDER BY r.version_id, r.position"
                )
            ).all(),
            key=lambda row: row[0],
        )
    }
    for version_id, consultation_id, body in bind.execute(
        sa.text(
            "SELECT v.id, s.consultation_id, v.body FROM statement_versions v "
            "JOIN statements s ON s.id = v.statement_id"
        )
    ):
        text = search_text.statement_text(body, remarks.get(version_id, []))
        rows.append(_row("statement", version_id, consultation_id, "", text))
    if not rows:
        return
    bind.execute(
        sa.text(
            "INSERT INTO search_documents (kind, ref_id, consultation_id, title, body) "
            "VALUES (:kind, :ref_id, :consultation_id, :title, :body)"
        ),
        rows,
    )
    if dialect == "sqlite":
        stemmed = [
            {"id": id_, "title": search_text.stemmed(title), "body": search_text.stemmed(body)}
            for id_, title, body in bind.execute(
                sa.text("SELECT id, title, body FROM search_documents")
            )
        ]
        bind.execute(
            sa.text("INSERT INTO search_fts (rowid, title, body) VALUES (:id, :title, :body)"),
            stemmed,
        )


def _row(kind: str, ref_id: int, consultation_id: int, title: str, body: str) -> dict[str, object]:
    return {
        "kind": kind,
        "ref_id": ref_id,
        "consultation_id": consultation_id,
        "title": title,
        "body": body,
    }


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS search_documents_fts_delete")
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_index("ix_search_documents_consultation_id", table_name="search_documents")
    op.drop_table("search_documents")
