"""What became of a round's feedback, as the pages show it: what the editors published
when (decisions, the response table), each author's own items with their decisions, the
response tables a reader may open, and where each row of a table leads (the item in the
reading view, the change a merge made of it).

Reading only; publishing is :func:`consult.services.decisions.publish_decisions` and
:func:`consult.services.responses.publish_responses`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.models import (
    ChangeProvenance,
    Consultation,
    Feedback,
    FeedbackReview,
    PublicationKind,
    Revision,
    Round,
    RoundPublication,
    User,
)
from consult.services import access, permissions
from consult.services.responses import ResponseTable, can_read


@dataclass(frozen=True)
class Publication:
    """When and by whom something of a round was made public."""

    at: datetime
    #: The editor's name ("" when the account is gone).
    by: str


@dataclass(frozen=True)
class Publications:
    decisions: Publication | None
    responses: Publication | None


def publications(session: Session, round_id: int) -> Publications:
    """What of the round is published: its decisions, its response table (one query).
    Raises nothing."""
    found: dict[str, Publication] = {}
    for kind, at, name in session.execute(
        select(RoundPublication.kind, RoundPublication.published_at, User.name)
        .outerjoin(User, User.id == RoundPublication.published_by_id)
        .where(RoundPublication.round_id == round_id)
    ):
        found[kind] = Publication(at, name or "")
    return Publications(
        decisions=found.get(PublicationKind.DECISIONS.value),
        responses=found.get(PublicationKind.RESPONSES.value),
    )


def authors_to_notify(session: Session, round_id: int) -> int:
    """How many people publishing the round's decisions e-mails: the active authors of
    decided, not withdrawn items. Raises nothing."""
    count = session.scalar(
        select(func.count(func.distinct(Feedback.author_id)))
        .join(FeedbackReview, FeedbackReview.feedback_id == Feedback.id)
        .join(User, User.id == Feedback.author_id)
        .where(
            Feedback.round_id == round_id,
            Feedback.withdrawn_at.is_(None),
            FeedbackReview.decision.is_not(None),
            User.is_active.is_(True),
        )
    )
    return int(count or 0)


@dataclass(frozen=True)
class OwnItem:
    """One of the reader's comments or suggestions in a round."""

    feedback: Feedback
    #: Its decision, once the round's decisions are published (None before, or undecided).
    review: FeedbackReview | None


def own_items(session: Session, round_id: int, *, actor: object) -> list[OwnItem]:
    """The actor's comments and suggestions in the round (not withdrawn), in the order
    given, each with its decision and response once the editors published the round's
    decisions. Raises NotFound (a round the actor may not see)."""
    round_ = access.get_round(session, round_id, actor=actor)
    if not isinstance(actor, User):
        return []
    published = session.scalar(
        select(RoundPublication.id).where(
            RoundPublication.round_id == round_.id,
            RoundPublication.kind == PublicationKind.DECISIONS.value,
        )
    )
    items = []
    for feedback, review in session.execute(
        select(Feedback, FeedbackReview)
        .outerjoin(FeedbackReview, FeedbackReview.feedback_id == Feedback.id)
        .where(
            Feedback.round_id == round_.id,
            Feedback.author_id == actor.id,
            Feedback.withdrawn_at.is_(None),
        )
        .order_by(Feedback.id)
    ):
        decided = published is not None and review is not None and review.decision is not None
        items.append(OwnItem(feedback, review if decided else None))
    return items


def readable_tables(session: Session, consultation_id: int, *, actor: object) -> list[Round]:
    """The rounds of the consultation whose response table is published and the actor may
    read (the invited of the round, the observers, the editors), the latest to open
    first. Raises NotFound (a consultation the actor may not see)."""
    consultation = access.get_consultation(session, consultation_id, actor=actor)
    rounds = session.scalars(
        select(Round)
        .join(RoundPublication, RoundPublication.round_id == Round.id)
        .where(
            Round.consultation_id == consultation.id,
            RoundPublication.kind == PublicationKind.RESPONSES.value,
        )
        .order_by(Round.opens_at.desc())
    )
    return [r for r in rounds if can_read(session, actor, r)]


@dataclass(frozen=True)
class AppliedChange:
    """The revision a merge applied a suggestion in, to compare with the revision it was
    merged from."""

    revision_id: int
    number: int
    base_revision_id: int
    #: Whether the merge recorded where the suggestion's text stands in that revision
    #: (so that its diff marks the change; an editor's later edit may have replaced it).
    traced: bool


def applied_changes(
    session: Session, table: ResponseTable, *, actor: object
) -> dict[int, AppliedChange]:
    """The changes the table's suggestions became, by feedback id: only those whose merged
    revision and its base the actor may read (two queries). Raises nothing."""
    found: dict[int, AppliedChange] = {}
    traced = set(
        session.scalars(
            select(ChangeProvenance.feedback_id)
            .join(Feedback, Feedback.id == ChangeProvenance.feedback_id)
            .where(Feedback.round_id == table.round.id)
        )
    )
    readable: dict[int, bool] = {}
    for feedback_id, revision in session.execute(
        select(FeedbackReview.feedback_id, Revision)
        .join(Feedback, Feedback.id == FeedbackReview.feedback_id)
        .join(Revision, Revision.id == FeedbackReview.applied_revision_id)
        .where(Feedback.round_id == table.round.id)
    ):
        base_id = revision.base_revision_id
        if base_id is None:
            continue
        if revision.id not in readable:
            base = session.get(Revision, base_id)
            readable[revision.id] = (
                base is not None
                and permissions.can_read_revision(session, actor, revision)
                and permissions.can_read_revision(session, actor, base)
            )
        if readable[revision.id]:
            found[feedback_id] = AppliedChange(
                revision.id, revision.number, base_id, feedback_id in traced
            )
    return found


def items_in_view(session: Session, table: ResponseTable, *, actor: object) -> set[int]:
    """The table's items the actor sees in the reading view (editors all; the others as
    the round's visibility allows), so that a row leads to the item, not only to its
    section. Raises nothing."""
    consultation = session.get(Consultation, table.round.consultation_id)
    if consultation is None or not table.rows:
        return set()
    viewer = permissions.feedback_viewer(session, actor, consultation)
    if viewer.is_editor:
        return {row.feedback_id for row in table.rows}
    round_groups = set(table.round.working_group_ids)
    return {
        feedback_id
        for feedback_id, author_id in session.execute(
            select(Feedback.id, Feedback.author_id).where(
                Feedback.round_id == table.round.id, Feedback.withdrawn_at.is_(None)
            )
        )
        if permissions.can_see_feedback(
            viewer,
            author_id=author_id,
            round_id=table.round.id,
            visibility=table.round.visibility,
            round_group_ids=round_groups,
        )
    }
