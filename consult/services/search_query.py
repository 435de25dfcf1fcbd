"""The database side of full-text search: the ranked candidates of a query.

One statement per search, on either database, over the documents of the consultations
the caller is a member of (services.search decides which, and filters the candidates by
everyone's rights after): PostgreSQL matches ``to_tsquery('german', ...)`` against the
generated, weighted ``vector`` column (GIN index) and ranks with ``ts_rank`` (title A
above text B); SQLite matches the stemmed query against the FTS5 table and ranks with
``bm25`` (the title weighted ten times the text). The same statement keeps only what is
current: sections as placed in the revisions searched, comments and suggestions, and the
latest version of each statement.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, literal_column, select, table
from sqlalchemy.orm import Session

from consult.domain import search_text
from consult.models import Placement, SearchDocument, SearchKind, Statement
from consult.models import StatementVersion as Version
from consult.models.search import FTS_TABLE, PG_VECTOR_COLUMN

#: At most this many candidates are ranked and checked (more are counted as "more").
MAX_CANDIDATES = 5_000
#: bm25 weights of the FTS5 columns (title, body): a title hit ranks above a text hit.
FTS_WEIGHTS = (10.0, 1.0)
#: ts_rank weights of D, C, B (the text) and A (the title).
PG_WEIGHTS = "{0.02, 0.05, 0.1, 1.0}"

#: The kinds of feedback documents.
FEEDBACK_KINDS = (SearchKind.COMMENT.value, SearchKind.SUGGESTION.value)


@dataclass(slots=True)
class Candidate:
    """A document that matched, with what deciding its visibility and its link needs."""

    document_id: int
    kind: str
    ref_id: int
    consultation_id: int
    rank: float
    #: Sections: where the version stands in the revision searched.
    section_id: int | None
    revision_id: int | None
    key: str | None
    #: Feedback and statements.
    round_id: int | None
    organisation_id: int | None
    #: Statements: the statement (whose latest version this is).
    statement_id: int | None


def _match(session: Session, query: search_text.Query) -> tuple[Any, ColumnElement[bool], Any]:
    """(FROM clause, match condition, rank: higher is better) for the session's database."""
    documents = SearchDocument.__table__
    if session.get_bind().dialect.name == "postgresql":
        vector: ColumnElement[Any] = literal_column(f"search_documents.{PG_VECTOR_COLUMN}")
        tsquery = func.to_tsquery(
            literal_column("'german'::regconfig"), bindparam("tsquery", search_text.tsquery(query))
        )
        condition = vector.op("@@")(tsquery)
        rank = func.ts_rank(literal_column(f"'{PG_WEIGHTS}'::float4[]"), vector, tsquery)
        return documents, condition, rank
    fts = table(FTS_TABLE, literal_column("rowid"))
    match: ColumnElement[str] = bindparam("match", search_text.fts5_match(query))
    condition = literal_column(FTS_TABLE).op("MATCH")(match)
    weights: list[ColumnElement[Any]] = [literal_column(repr(w)) for w in FTS_WEIGHTS]
    bm25: ColumnElement[Any] = -func.bm25(literal_column(FTS_TABLE), *weights)
    source = fts.join(documents, documents.c.id == literal_column(f"{FTS_TABLE}.rowid"))
    return source, condition, bm25


def candidates(
    session: Session,
    query: search_text.Query,
    *,
    consultation_ids: Collection[int],
    revision_ids: Collection[int],
) -> list[Candidate]:
    """The current documents of these consultations that match the query, best first
    (at most MAX_CANDIDATES); sections only as placed in ``revision_ids``, statements only
    in their latest version. Feedback comes without its round and organisation (the
    caller takes them from the rows it checks visibility on). Raises nothing.

    The match is one statement; where each document stands is looked up by primary key or
    index afterwards (a statement joining all of it lets the planner misjudge, by far, how
    many rows match)."""
    if query.is_empty or not consultation_ids:
        return []
    source, condition, rank = _match(session, query)
    document = SearchDocument
    rows = session.execute(
        select(document.id, document.kind, document.ref_id, document.consultation_id, rank)
        .select_from(source)
        .where(condition, document.consultation_id.in_(list(consultation_ids)))
        .order_by(rank.desc(), document.id)
        .limit(MAX_CANDIDATES)
    ).all()
    section_versions = [r[2] for r in rows if r[1] == SearchKind.SECTION.value]
    placed = {
        version_id: (section_id, revision_id, key)
        for version_id, section_id, revision_id, key in _in_chunks(
            session,
            section_versions,
            lambda chunk: select(
                Placement.version_id, Placement.section_id, Placement.revision_id, Placement.key
            ).where(Placement.version_id.in_(chunk), Placement.revision_id.in_(list(revision_ids))),
        )
    }
    statement_versions = [r[2] for r in rows if r[1] == SearchKind.STATEMENT.value]
    latest = {
        version_id: (statement_id, round_id, organisation_id)
        for version_id, statement_id, round_id, organisation_id in _in_chunks(
            session,
            statement_versions,
            lambda chunk: (
                select(Version.id, Statement.id, Statement.round_id, Statement.organisation_id)
                .join(
                    Statement,
                    and_(
                        Statement.id == Version.statement_id,
                        Statement.version_count == Version.number,
                    ),
                )
                .where(Version.id.in_(chunk))
            ),
        )
    }
    found = []
    for doc_id, kind, ref_id, consultation_id, score in rows:
        base = (doc_id, kind, ref_id, consultation_id, float(score or 0))
        if kind == SearchKind.SECTION.value:
            if ref_id in placed:
                section_id, revision_id, key = placed[ref_id]
                found.append(Candidate(*base, section_id, revision_id, key, None, None, None))
        elif kind == SearchKind.STATEMENT.value:
            if ref_id in latest:
                statement_id, round_id, organisation_id = latest[ref_id]
                found.append(
                    Candidate(*base, None, None, None, round_id, organisation_id, statement_id)
                )
        else:
            found.append(Candidate(*base, None, None, None, None, None, None))
    return found


def _in_chunks(session: Session, ids: list[int], query: Callable[[list[int]], Any]) -> list[Any]:
    """The rows of ``query(chunk)`` for the ids, 500 at a time."""
    rows: list[Any] = []
    for start in range(0, len(ids), 500):
        rows += session.execute(query(ids[start : start + 500])).all()
    return rows


def texts(session: Session, document_ids: Collection[int]) -> dict[int, tuple[str, str]]:
    """The stored (title, text) of these documents, for snippets. Raises nothing."""
    if not document_ids:
        return {}
    rows = session.execute(
        select(SearchDocument.id, SearchDocument.title, SearchDocument.body).where(
            SearchDocument.id.in_(list(document_ids))
        )
    )
    return {id_: (title, body) for id_, title, body in rows}
