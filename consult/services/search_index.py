"""Keeps the full-text search index current, in the same transaction as the texts.

Every flush that writes a text that can be found also writes its search document
(consult.models.search): a new section version, a new or edited comment or suggestion,
a submitted statement version and its section remarks. Listening to the ORM's flushes
(one listener, here) rather than calling from each service means no write path can
forget it; a rolled-back write rolls its document back too. The few rows written with
bulk statements (a merge marking suggestions applied, a statement's older remarks
superseded) change no searched text: what is current, and who may see it, is decided
when searching (services.search).

:func:`reindex` builds the index anew from the tables (``flask --app consult search
reindex``, and after the demo is loaded).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby, islice
from typing import Any, TypeVar

from sqlalchemy import Connection, Table, delete, event, insert, select, text, tuple_
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.orm.attributes import get_history

from consult.domain import search_text
from consult.models import (
    Feedback,
    FeedbackKind,
    SearchDocument,
    SearchKind,
    Section,
    SectionVersion,
    Statement,
    StatementVersion,
    StatementVersionRemark,
)

#: The kinds of feedback that are documents of their own (a statement's remarks are
#: part of the statement's document).
_FEEDBACK_KINDS = frozenset({FeedbackKind.COMMENT.value, FeedbackKind.SUGGESTION.value})
_CHUNK = 500
T = TypeVar("T")
#: The documents' table (a Table, for Core statements).
SEARCH_TABLE: Table = SearchDocument.__table__  # type: ignore[assignment]
_FTS_INSERT = text("INSERT INTO search_fts (rowid, title, body) VALUES (:id, :title, :body)")
_FTS_CLEAR = text("DELETE FROM search_fts")


def batched(items: Iterable[T], size: int) -> Iterator[tuple[T, ...]]:
    """``items`` in tuples of ``size`` (itertools.batched, which Python 3.11 lacks)."""
    iterator = iter(items)
    while chunk := tuple(islice(iterator, size)):
        yield chunk


@dataclass(frozen=True, slots=True)
class Document:
    kind: str
    ref_id: int
    consultation_id: int
    title: str
    body: str


def write(connection: Connection, documents: Sequence[Document]) -> None:
    """Store the documents, replacing those of the same kind and row. Raises nothing."""
    if not documents:
        return
    table = SEARCH_TABLE
    for chunk in batched(documents, _CHUNK):
        connection.execute(
            delete(table).where(
                tuple_(table.c.kind, table.c.ref_id).in_([(d.kind, d.ref_id) for d in chunk])
            )
        )
        inserted = connection.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True),
            [
                {
                    "kind": d.kind,
                    "ref_id": d.ref_id,
                    "consultation_id": d.consultation_id,
                    "title": d.title,
                    "body": d.body,
                }
                for d in chunk
            ],
        ).scalars()
        if connection.dialect.name == "sqlite":
            connection.execute(
                _FTS_INSERT,
                [
                    {
                        "id": id_,
                        "title": search_text.stemmed(d.title),
                        "body": search_text.stemmed(d.body),
                    }
                    for id_, d in zip(inserted, chunk, strict=True)
                ],
            )


def remove(connection: Connection, keys: Iterable[tuple[str, int]]) -> None:
    """Remove the documents of these (kind, row id) (SQLite's trigger removes their FTS
    rows). Raises nothing."""
    table = SEARCH_TABLE
    for chunk in batched(list(keys), _CHUNK):
        connection.execute(delete(table).where(tuple_(table.c.kind, table.c.ref_id).in_(chunk)))


def feedback_document(item: Feedback) -> Document:
    return Document(
        item.kind,
        item.id,
        item.consultation_id,
        "",
        search_text.feedback_text(item.body or "", item.replacement),
    )


def section_documents(connection: Connection, version_ids: Iterable[int]) -> list[Document]:
    """The documents of these section versions (read from the tables)."""
    found: list[Document] = []
    for chunk in batched(sorted(set(version_ids)), _CHUNK):
        rows = connection.execute(
            select(
                SectionVersion.id,
                Section.consultation_id,
                SectionVersion.title,
                SectionVersion.body,
            )
            .join(Section, Section.id == SectionVersion.section_id)
            .where(SectionVersion.id.in_(chunk))
        )
        found += [Document(SearchKind.SECTION.value, *row) for row in rows]
    return found


def statement_documents(connection: Connection, version_ids: Iterable[int]) -> list[Document]:
    """The documents of these statement versions: text and section remarks."""
    found: list[Document] = []
    for chunk in batched(sorted(set(version_ids)), _CHUNK):
        remarks = {
            version_id: [body for _, body in group]
            for version_id, group in groupby(
                connection.execute(
                    select(StatementVersionRemark.version_id, Feedback.body)
                    .join(Feedback, Feedback.id == StatementVersionRemark.feedback_id)
                    .where(StatementVersionRemark.version_id.in_(chunk))
                    .order_by(StatementVersionRemark.version_id, StatementVersionRemark.position)
                ).all(),
                key=lambda row: row[0],
            )
        }
        rows = connection.execute(
            select(StatementVersion.id, Statement.consultation_id, StatementVersion.body)
            .join(Statement, Statement.id == StatementVersion.statement_id)
            .where(StatementVersion.id.in_(chunk))
        )
        found += [
            Document(
                SearchKind.STATEMENT.value,
                version_id,
                consultation_id,
                "",
                search_text.statement_text(body, remarks.get(version_id, [])),
            )
            for version_id, consultation_id, body in rows
        ]
    return found


def _text_changed(item: Any) -> bool:
    return get_history(item, "body").has_changes() or get_history(item, "replacement").has_changes()


@event.listens_for(Session, "after_flush")
def _index_flushed(session: Session, _flush: UOWTransaction) -> None:
    """Write the documents of the texts this flush wrote (same transaction)."""
    documents: list[Document] = []
    section_versions: set[int] = set()
    statement_versions: set[int] = set()
    removed: list[tuple[str, int]] = []
    for item in session.new:
        if isinstance(item, Feedback) and item.kind in _FEEDBACK_KINDS:
            documents.append(feedback_document(item))
        elif isinstance(item, SectionVersion):
            section_versions.add(item.id)
        elif isinstance(item, StatementVersion):
            statement_versions.add(item.id)
        elif isinstance(item, StatementVersionRemark):
            statement_versions.add(item.version_id)
    for item in session.dirty:
        if isinstance(item, Feedback) and item.kind in _FEEDBACK_KINDS and _text_changed(item):
            documents.append(feedback_document(item))
    for item in session.deleted:
        if isinstance(item, Feedback):
            removed.append((item.kind, item.id))
        elif isinstance(item, SectionVersion):
            removed.append((SearchKind.SECTION.value, item.id))
        elif isinstance(item, StatementVersion):
            removed.append((SearchKind.STATEMENT.value, item.id))
    if not (documents or section_versions or statement_versions or removed):
        return
    connection = session.connection()
    documents += section_documents(connection, section_versions)
    documents += statement_documents(connection, statement_versions)
    remove(connection, removed)
    write(connection, documents)


def reindex(session: Session, *, consultation_id: int | None = None) -> int:
    """Build the search index anew from the stored texts (of one consultation, or all),
    in the session's transaction. Returns the number of documents. Raises nothing."""
    connection = session.connection()
    table = SEARCH_TABLE
    clear = delete(table)
    if consultation_id is not None:
        clear = clear.where(table.c.consultation_id == consultation_id)
    connection.execute(clear)
    if consultation_id is None and connection.dialect.name == "sqlite":
        connection.execute(_FTS_CLEAR)  # (rows of no document too)

    def of_consultation(query: Any, column: Any) -> Any:
        return query if consultation_id is None else query.where(column == consultation_id)

    version_ids = connection.execute(
        of_consultation(
            select(SectionVersion.id).join(Section, Section.id == SectionVersion.section_id),
            Section.consultation_id,
        )
    ).scalars()
    documents = section_documents(connection, list(version_ids))
    feedback = connection.execute(
        of_consultation(
            select(
                Feedback.kind,
                Feedback.id,
                Feedback.consultation_id,
                Feedback.body,
                Feedback.replacement,
            ).where(Feedback.kind.in_(_FEEDBACK_KINDS)),
            Feedback.consultation_id,
        )
    )
    documents += [
        Document(kind, id_, cid, "", search_text.feedback_text(body or "", replacement))
        for kind, id_, cid, body, replacement in feedback
    ]
    statement_ids = connection.execute(
        of_consultation(
            select(StatementVersion.id).join(
                Statement, Statement.id == StatementVersion.statement_id
            ),
            Statement.consultation_id,
        )
    ).scalars()
    documents += statement_documents(connection, list(statement_ids))
    write(connection, documents)
    return len(documents)
