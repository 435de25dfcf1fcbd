"""The facts of a round's procedure report, gathered from the records (the text itself is
written by consult.domain.procedure_text).

The report tells the round and the rounds of the same consultation that opened before it
(by ``opens_at``, then by id), each with its revision, period, audience (working groups
with the organisations of their members; all municipalities), deadline changes with
their reasons, what came in (comments, suggestions, statements and their remarks;
withdrawn feedback not counted), the decisions by outcome, and the revisions made from
the round's revision; then the annexes of the committee paper.

Nothing here depends on the moment it runs: the same records give the same facts. No
permission check: for services.procedure_report, which checks.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult import dates
from consult.domain.procedure_facts import (
    AnnexFacts,
    DeadlineChange,
    GroupFacts,
    MunicipalExtension,
    ProducedRevision,
    ReportFacts,
    RevisionFacts,
    RoundFacts,
    StatementFacts,
)
from consult.domain.procedure_text import sort_key, sorted_names
from consult.models import (
    Consultation,
    ExtensionKind,
    Feedback,
    FeedbackKind,
    FeedbackReview,
    Organisation,
    PublicationKind,
    Revision,
    RevisionStatus,
    Round,
    RoundGroup,
    RoundPublication,
    Statement,
    StatementExtension,
    StatementVersion,
    User,
    WorkingGroup,
    WorkingGroupMember,
)
from consult.services import revisions
from consult.services import statement_access as reach


def on(value: datetime) -> date:
    """The day of a stored time in Europe/Berlin (what a German paper calls its date)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(dates.BERLIN).date()


def revision_facts(revision: Revision) -> RevisionFacts:
    published = revision.published_at if revision.status != RevisionStatus.DRAFT.value else None
    return RevisionFacts(revision.number, on(published) if published is not None else None)


def rounds_up_to(session: Session, round_: Round) -> list[Round]:
    """The consultation's rounds that opened before this one (same moment: created
    before it), and this one last."""
    earlier = [
        r
        for r in session.scalars(
            select(Round)
            .where(Round.consultation_id == round_.consultation_id)
            .order_by(Round.opens_at, Round.id)
        )
        if (r.opens_at, r.id) < (round_.opens_at, round_.id)
    ]
    return [*earlier, round_]


def _groups(session: Session, round_id: int) -> tuple[GroupFacts, ...]:
    members: dict[str, set[str]] = {}
    for group, organisation in session.execute(
        select(WorkingGroup.name, Organisation.name)
        .select_from(RoundGroup)
        .join(WorkingGroup, WorkingGroup.id == RoundGroup.working_group_id)
        .outerjoin(WorkingGroupMember, WorkingGroupMember.working_group_id == WorkingGroup.id)
        .outerjoin(User, User.id == WorkingGroupMember.user_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .where(RoundGroup.round_id == round_id)
    ):
        names = members.setdefault(group, set())
        if organisation is not None:
            names.add(organisation)
    return tuple(
        GroupFacts(name, sorted_names(list(members[name])))
        for name in sorted(members, key=sort_key)
    )


def _changes(round_: Round) -> tuple[DeadlineChange, ...]:
    return tuple(
        DeadlineChange(
            made_on=on(e.created_at),
            previous=on(e.previous_closes_at),
            until=on(e.closes_at),
            reason=e.reason,
            reopening=e.kind == ExtensionKind.REOPENING.value,
        )
        for e in sorted(round_.extensions, key=lambda e: (e.created_at, e.id))
    )


def _feedback(session: Session, round_id: int) -> tuple[Counter[str], tuple[str, ...], int]:
    """(items by kind, organisations that commented or suggested, authors without one)."""
    kinds: Counter[str] = Counter()
    organisations: set[str] = set()
    persons: set[int] = set()
    for kind, author_id, organisation in session.execute(
        select(Feedback.kind, Feedback.author_id, Organisation.name)
        .outerjoin(Organisation, Organisation.id == Feedback.organisation_id)
        .where(Feedback.round_id == round_id, Feedback.withdrawn_at.is_(None))
    ):
        kinds[kind] += 1
        if kind == FeedbackKind.REMARK.value:
            continue
        if organisation is None:
            persons.add(author_id)
        else:
            organisations.add(organisation)
    return kinds, sorted_names(list(organisations)), len(persons)


def _decisions(session: Session, round_id: int) -> tuple[tuple[tuple[str, int], ...], int]:
    """(decisions by code, sorted; undecided items)."""
    found: dict[str, int] = {}
    undecided = 0
    for decision, n in session.execute(
        select(FeedbackReview.decision, func.count(Feedback.id))
        .select_from(Feedback)
        .outerjoin(FeedbackReview, FeedbackReview.feedback_id == Feedback.id)
        .where(Feedback.round_id == round_id, Feedback.withdrawn_at.is_(None))
        .group_by(FeedbackReview.decision)
    ):
        if decision is None:
            undecided += int(n)
        else:
            found[decision] = found.get(decision, 0) + int(n)
    return tuple(sorted(found.items())), undecided


def _published(session: Session, round_id: int) -> dict[str, date]:
    found = session.scalars(select(RoundPublication).where(RoundPublication.round_id == round_id))
    return {p.kind: on(p.published_at) for p in found}


def _statements(session: Session, round_: Round, remarks: int) -> StatementFacts:
    invited = reach.invited_municipalities(session, round_)
    names = {o.id: o.name for o in invited}
    latest_extension = reach.extensions_by_municipality(session, round_.id)
    current: dict[int, str] = {}
    first: dict[int, datetime] = {}
    revised = 0
    for version, count in session.execute(
        select(StatementVersion, Statement.version_count)
        .join(Statement, Statement.id == StatementVersion.statement_id)
        .where(Statement.round_id == round_.id, Statement.version_count > 0)
        .order_by(StatementVersion.id)
    ):
        if version.number == count:
            current[version.organisation_id] = version.position
            revised += count > 1
        if version.number == 1:
            first[version.organisation_id] = version.received_at
    late = [
        (names.get(org, ""), on(received))
        for org, received in first.items()
        if received > reach.deadline(round_, latest_extension.get(org))
    ]
    extensions = [
        MunicipalExtension(
            municipality=name,
            made_on=on(e.created_at),
            until=on(e.closes_at),
            reason=e.reason,
        )
        for e, name in session.execute(
            select(StatementExtension, Organisation.name)
            .join(Organisation, Organisation.id == StatementExtension.organisation_id)
            .where(StatementExtension.round_id == round_.id)
            .order_by(StatementExtension.created_at, StatementExtension.id)
        )
    ]
    return StatementFacts(
        invited=len(invited),
        positions=tuple(sorted(Counter(current.values()).items())),
        missing=sorted_names([o.name for o in invited if o.id not in current]),
        late=tuple(sorted(late, key=lambda pair: (pair[1], sort_key(pair[0])))),
        revised=revised,
        remarks=remarks,
        extensions=tuple(extensions),
    )


def _produced(session: Session, round_: Round) -> tuple[ProducedRevision, ...]:
    """The revisions made from the round's revision, and those a merge applied the
    round's suggestions in, by number."""
    applied = {
        revision_id: int(n)
        for revision_id, n in session.execute(
            select(FeedbackReview.applied_revision_id, func.count(Feedback.id))
            .join(Feedback, Feedback.id == FeedbackReview.feedback_id)
            .where(Feedback.round_id == round_.id, FeedbackReview.applied_revision_id.is_not(None))
            .group_by(FeedbackReview.applied_revision_id)
        )
    }
    made = session.scalars(
        select(Revision)
        .where(
            Revision.consultation_id == round_.consultation_id,
            (Revision.base_revision_id == round_.revision_id) | Revision.id.in_(list(applied)),
        )
        .order_by(Revision.number)
    ).all()
    numbers = {
        r.id: r.number
        for r in session.scalars(
            select(Revision).where(Revision.id.in_([m.base_revision_id for m in made]))
        )
    }
    return tuple(
        ProducedRevision(
            revision=revision_facts(r),
            based_on=numbers.get(r.base_revision_id or 0, round_.revision.number),
            applied=applied.get(r.id, 0),
        )
        for r in made
        if r.id != round_.revision_id
    )


def round_facts(session: Session, round_: Round) -> RoundFacts:
    """Everything the report says of one round. Raises nothing."""
    changes = _changes(round_)
    kinds, organisations, persons = _feedback(session, round_.id)
    decisions, undecided = _decisions(session, round_.id)
    published = _published(session, round_.id)
    closed_early = round_.closed_early_at
    return RoundFacts(
        title=round_.title,
        revision=revision_facts(round_.revision),
        opens_on=on(round_.opens_at),
        first_deadline=changes[0].previous if changes else on(round_.closes_at),
        closed_early_on=on(closed_early)
        if closed_early is not None and closed_early < round_.closes_at
        else None,
        groups=_groups(session, round_.id),
        municipalities=round_.includes_municipalities,
        changes=changes,
        comments=kinds[FeedbackKind.COMMENT.value],
        suggestions=kinds[FeedbackKind.SUGGESTION.value],
        organisations=organisations,
        persons=persons,
        statements=_statements(session, round_, kinds[FeedbackKind.REMARK.value])
        if round_.includes_municipalities
        else None,
        decisions=decisions,
        undecided=undecided,
        decisions_published_on=published.get(PublicationKind.DECISIONS.value),
        responses_published_on=published.get(PublicationKind.RESPONSES.value),
        produced=_produced(session, round_),
    )


def annex_facts(session: Session, round_: Round) -> AnnexFacts:
    """The annexes of the committee paper, as the committee package (services.package)
    carries them: the consultation's newest revision (a draft too: the committee sees
    where the text stands), the synopsis of the round's revision against it (when it is
    another), the response table, the municipalities' statements (when they were asked)."""
    latest = revisions.latest_revision(session, round_.consultation_id) or round_.revision
    return AnnexFacts(
        revision=revision_facts(latest),
        synopsis_from=round_.revision.number if latest.id != round_.revision_id else None,
        round_title=round_.title,
        response_table=True,
        statements=round_.includes_municipalities,
    )


def report_facts(session: Session, round_: Round) -> ReportFacts:
    """The facts of the round's report. Raises nothing."""
    consultation = session.get(Consultation, round_.consultation_id)
    assert consultation is not None
    rounds = tuple(round_facts(session, r) for r in rounds_up_to(session, round_))
    return ReportFacts(
        consultation=consultation.title,
        rounds=rounds,
        annexes=annex_facts(session, round_),
    )
