"""The full-text search index: one row per text that can be found.

A :class:`SearchDocument` holds the text of a section version, a comment or suggestion,
or a submitted statement version (with its section remarks), written in the same
transaction as that text (services.search_index). What is *current* (the newest
revision, a statement's latest version, withdrawn feedback) and who may see it is
decided when searching, from the rows themselves, so the index never needs to follow
those changes.

Each database adds what it searches with, beside the model (migration 0013_search):

- PostgreSQL: the generated column ``vector`` (``to_tsvector('german', ...)``, the title
  weighted A, the text B) and a GIN index on it.
- SQLite: the FTS5 table ``search_fts`` (rowid = the document's id) with the stemmed
  title and text (FTS5 has no German stemmer), and a trigger that removes its row with
  the document's.
"""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consult.db import Base


class SearchKind(enum.StrEnum):
    """What a document is (the API's result ``type``)."""

    #: ``ref_id`` is a section version.
    SECTION = "section"
    #: ``ref_id`` is a feedback item of kind comment.
    COMMENT = "comment"
    #: ``ref_id`` is a feedback item of kind suggestion.
    SUGGESTION = "suggestion"
    #: ``ref_id`` is a statement version.
    STATEMENT = "statement"


class SearchDocument(Base):
    __tablename__ = "search_documents"
    __table_args__ = (UniqueConstraint("kind", "ref_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: One of SearchKind.
    kind: Mapped[str] = mapped_column(String(16))
    #: The row the text comes from (see SearchKind); no foreign key, as it names one of
    #: several tables.
    ref_id: Mapped[int] = mapped_column(Integer)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    #: Ranks above the text (a section's title; empty for the others).
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")


#: PostgreSQL: the weighted vector of a document, as the generated column computes it.
#: (PostgreSQL's parser takes "<...>" for a markup tag and "&...;" for an entity and skips
#: them; in these plain texts they are words: "<Schulsozialarbeit>" must be found.)
PG_VECTOR_SQL = (
    "setweight(to_tsvector('german'::regconfig, translate(title, '<>&', '   ')), 'A') || "
    "setweight(to_tsvector('german'::regconfig, translate(body, '<>&', '   ')), 'B')"
)
PG_VECTOR_COLUMN = "vector"
PG_VECTOR_INDEX = "ix_search_documents_vector"
#: SQLite: the FTS5 table, its shadow tables and its trigger.
FTS_TABLE = "search_fts"
FTS_SHADOW_TABLES = frozenset(
    f"{FTS_TABLE}_{part}" for part in ("data", "idx", "content", "docsize", "config")
)
FTS_TRIGGER = "search_documents_fts_delete"


def is_model_object(name: str | None, type_: str, parent_names: dict[str, str | None]) -> bool:
    """Alembic's ``include_name``: False for what the search index keeps beside the
    models (so that comparing the schema with the models leaves it out)."""
    if type_ == "table":
        return name != FTS_TABLE and name not in FTS_SHADOW_TABLES
    if type_ == "column":
        return not (
            parent_names.get("table_name") == SearchDocument.__tablename__
            and name == PG_VECTOR_COLUMN
        )
    if type_ == "index":
        return name != PG_VECTOR_INDEX
    return True
