"""Full-text search over what a user may read (issue 14): the sections of the newest
revision they may read in each of their consultations, the comments and suggestions they
may see, and the statements they may read (their latest versions, with their section
remarks).

The database ranks the matching documents of the user's consultations
(services.search_query); each is then checked with the predicates every page uses:
sections through :func:`permissions.can_read_revision` (the revision searched is the
newest one the user may read: for editors the draft), feedback through
:func:`feedback_views.visible_rows` (the round's visibility, withdrawn items only for
their authors and the editors), statements through
:func:`permissions.can_read_statement` (another municipality's only once published).
German stemming and snippets: consult.domain.search_text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.db import parse_number
from consult.domain import search_text
from consult.errors import Invalid
from consult.models import (
    Consultation,
    Feedback,
    Membership,
    Organisation,
    Revision,
    Round,
    SearchKind,
    SectionVersion,
    StatementVersion,
    User,
)
from consult.services import access, feedback_views, permissions, search_query
from consult.services.search_query import Candidate

#: Results on one page (the API's ``limit`` default), and the most one page may ask for.
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
TYPES = tuple(kind.value for kind in SearchKind)


@dataclass(frozen=True)
class Filters:
    """What the results are narrowed to (None: everything the user may see)."""

    consultation_id: int | None = None
    type: str | None = None
    organisation_id: int | None = None
    round_id: int | None = None


@dataclass
class Hit:
    """One result: what it is, where it is, and its text around the hits."""

    type: str
    #: The section, the comment or suggestion, or the statement.
    id: int
    consultation_id: int
    #: Sections: the revision searched; feedback: the revision it was given on.
    revision_id: int | None
    section_id: int | None
    round_id: int | None
    organisation_id: int | None
    rank: float
    title: str | None = None
    #: Escaped HTML, the hits in <mark>.
    title_html: str | None = None
    snippet: str = ""
    #: Feedback: its author (and organisation); statements: the municipality.
    author: str | None = None
    organisation: str | None = None
    #: Feedback withdrawn by its author (shown to them and to the editors only).
    withdrawn: bool = False
    #: Statements: the number of the version found.
    version: int | None = None


@dataclass
class Facet:
    id: int
    name: str
    count: int


@dataclass
class SearchResult:
    query: search_text.Query
    filters: Filters
    hits: list[Hit] = field(default_factory=list)
    #: All results (every page) with the filters.
    total: int = 0
    #: Results by type, with the filters other than the type.
    counts: dict[str, int] = field(default_factory=dict)
    consultations: list[Facet] = field(default_factory=list)
    organisations: list[Facet] = field(default_factory=list)
    rounds: list[Facet] = field(default_factory=list)
    offset: int = 0
    limit: int = PAGE_SIZE
    #: More documents matched than were ranked (search_query.MAX_CANDIDATES).
    truncated: bool = False


def parse(text: str) -> search_text.Query:
    """The query of a search text. Raises Invalid ``query_too_long`` (422)."""
    try:
        return search_text.parse_query(text)
    except search_text.QueryError:
        raise Invalid(
            _(
                "Der Suchbegriff ist zu lang (höchstens %(n)s Zeichen).",
                n=search_text.MAX_QUERY_CHARS,
            ),
            code="query_too_long",
            fields={"q": _("Bitte kürzer fassen.")},
        ) from None


def _consultations(session: Session, user: User, wanted: int | None) -> list[Consultation]:
    if wanted is not None:
        return [access.get_consultation(session, wanted, actor=user)]
    query = select(Consultation).order_by(Consultation.title, Consultation.id)
    if not permissions.is_admin(user):
        mine = select(Membership.consultation_id).where(Membership.user_id == user.id)
        query = query.where(Consultation.id.in_(mine))
    return list(session.scalars(query))


def _newest_readable(session: Session, user: User, consultation_ids: list[int]) -> list[int]:
    """Per consultation, the newest revision the user may read (editors: the draft)."""
    chosen: dict[int, int] = {}
    for revision in session.scalars(
        select(Revision)
        .where(Revision.consultation_id.in_(consultation_ids))
        .order_by(Revision.consultation_id, Revision.number.desc())
    ):
        if revision.consultation_id not in chosen and permissions.can_read_revision(
            session, user, revision
        ):
            chosen[revision.consultation_id] = revision.id
    return list(chosen.values())


def _visible(
    session: Session, user: User, found: Sequence[Candidate], consultations: dict[int, Consultation]
) -> list[Candidate]:
    """The candidates the user may see (sections were chosen readable already)."""
    with_feedback = {c.consultation_id for c in found if c.kind in search_query.FEEDBACK_KINDS}
    feedback_rows: dict[int, feedback_views.FeedbackRow] = {}
    for consultation_id in with_feedback:
        consultation = consultations[consultation_id]
        viewer = permissions.feedback_viewer(session, user, consultation)
        rows = feedback_views.visible_rows(session, consultation, viewer).rows
        feedback_rows.update((row.id, row) for row in rows)
    statement_rounds = {c.round_id for c in found if c.statement_id is not None}
    rounds = {r.id: r for r in session.scalars(select(Round).where(Round.id.in_(statement_rounds)))}
    published: dict[int, set[int]] = {}
    readable: dict[tuple[int, int], bool] = {}
    kept = []
    for candidate in found:
        if candidate.kind == SearchKind.SECTION.value:
            kept.append(candidate)
        elif candidate.statement_id is not None:
            assert candidate.round_id is not None and candidate.organisation_id is not None
            key = (candidate.round_id, candidate.organisation_id)
            if key not in readable:
                round_ = rounds[candidate.round_id]
                if round_.consultation_id not in published:
                    published[round_.consultation_id] = access.statement_rounds_published(
                        session, round_.consultation_id
                    )
                readable[key] = permissions.can_read_statement(
                    session,
                    user,
                    round_,
                    candidate.organisation_id,
                    published=round_.id in published[round_.consultation_id],
                )
            if readable[key]:
                kept.append(candidate)
        elif candidate.ref_id in feedback_rows:
            row = feedback_rows[candidate.ref_id]
            candidate.round_id, candidate.organisation_id = row.round_id, row.organisation_id
            kept.append(candidate)
    return kept


def _narrowed(found: list[Candidate], filters: Filters, *, with_type: bool) -> list[Candidate]:
    kept = found
    if filters.organisation_id is not None:
        kept = [c for c in kept if c.organisation_id == filters.organisation_id]
    if filters.round_id is not None:
        kept = [c for c in kept if c.round_id == filters.round_id]
    if with_type and filters.type is not None:
        kept = [c for c in kept if c.kind == filters.type]
    return kept


def search(
    session: Session,
    text: str,
    *,
    actor: object,
    filters: Filters | None = None,
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> SearchResult:
    """Search what the actor may read. An empty or too short query finds nothing (the
    result's ``query.is_empty``). Raises NotAuthenticated, Invalid (``query_too_long``,
    ``invalid_type``), NotFound (a consultation filter the actor may not see)."""
    user = permissions.require_user(actor)
    filters = filters or Filters()
    if filters.type is not None and filters.type not in TYPES:
        raise Invalid(
            _("Unbekannte Art „%(t)s“.", t=filters.type[:30]),
            code="invalid_type",
            fields={"type": ", ".join(TYPES)},
        )
    query = parse(text)
    result = SearchResult(query, filters, offset=max(0, offset), limit=limit)
    wanted = filters.consultation_id
    consultations = {c.id: c for c in _consultations(session, user, wanted)}
    if query.is_empty or not consultations:
        return result
    ids = list(consultations)
    permissions.decide_many(session, user, ids)
    found = search_query.candidates(
        session, query, consultation_ids=ids, revision_ids=_newest_readable(session, user, ids)
    )
    result.truncated = len(found) >= search_query.MAX_CANDIDATES
    visible = _narrowed(_visible(session, user, found, consultations), filters, with_type=False)
    result.counts = dict(Counter(c.kind for c in visible))
    chosen = _narrowed(visible, filters, with_type=True)
    result.total = len(chosen)
    result.consultations = _facets(
        Counter(c.consultation_id for c in visible), {i: c.title for i, c in consultations.items()}
    )
    result.organisations = _facets(
        Counter(c.organisation_id for c in visible if c.organisation_id is not None),
        _names(session, Organisation, {c.organisation_id for c in visible}),
    )
    result.rounds = _facets(
        Counter(c.round_id for c in visible if c.round_id is not None),
        _names(session, Round, {c.round_id for c in visible}),
    )
    page = chosen[result.offset : result.offset + limit]
    result.hits = _hits(session, query, page)
    return result


def _names(
    session: Session, model: type[Organisation] | type[Round], ids: set[int | None]
) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    label = model.name if model is Organisation else model.title  # type: ignore[union-attr]
    return dict(session.execute(select(model.id, label).where(model.id.in_(wanted))).all())


def _facets(counts: Counter[int], names: dict[int, str]) -> list[Facet]:
    return sorted(
        (Facet(i, names.get(i, str(i)), n) for i, n in counts.items()),
        key=lambda f: (f.name.casefold(), f.id),
    )


def _hits(session: Session, query: search_text.Query, page: Sequence[Candidate]) -> list[Hit]:
    """The page's results with titles, authors and snippets (a few queries)."""
    stored = search_query.texts(session, [c.document_id for c in page])
    feedback_ids = [c.ref_id for c in page if c.kind in search_query.FEEDBACK_KINDS]
    feedback = (
        {f.id: f for f in session.scalars(select(Feedback).where(Feedback.id.in_(feedback_ids)))}
        if feedback_ids
        else {}
    )
    version_ids = {f.version_id for f in feedback.values()}
    section_titles = (
        dict(
            session.execute(
                select(SectionVersion.id, SectionVersion.title).where(
                    SectionVersion.id.in_(version_ids)
                )
            ).all()
        )
        if version_ids
        else {}
    )
    organisations = _names(session, Organisation, {c.organisation_id for c in page})
    hits = []
    for candidate in page:
        title, body = stored.get(candidate.document_id, ("", ""))
        hit = Hit(
            type=candidate.kind,
            id=candidate.ref_id,
            consultation_id=candidate.consultation_id,
            revision_id=candidate.revision_id,
            section_id=candidate.section_id,
            round_id=candidate.round_id,
            organisation_id=candidate.organisation_id,
            rank=candidate.rank,
            snippet=search_text.snippet(body, query),
        )
        if candidate.kind == SearchKind.SECTION.value:
            hit.title = f"{candidate.key} {title}".strip() if candidate.key else title
        elif candidate.statement_id is not None:
            hit.id = candidate.statement_id
            hit.version = _version_number(session, candidate.ref_id)
            hit.organisation = organisations.get(candidate.organisation_id or 0)
            hit.title = _("Stellungnahme %(name)s", name=hit.organisation or "")
        else:
            item = feedback[candidate.ref_id]
            hit.revision_id = item.revision_id
            hit.section_id = item.section_id
            hit.title = section_titles.get(item.version_id)
            hit.author = item.author.name
            hit.organisation = organisations.get(candidate.organisation_id or 0)
            hit.withdrawn = item.withdrawn_at is not None
        hit.title_html = search_text.highlight(hit.title or "", query)
        hits.append(hit)
    return hits


def _version_number(session: Session, version_id: int) -> int | None:
    number: int | None = session.scalar(
        select(StatementVersion.number).where(StatementVersion.id == version_id)
    )
    return number


def parse_filter_id(value: object) -> int | None:
    """An id filter from a query string (None when absent or not an id)."""
    return parse_number(value)
