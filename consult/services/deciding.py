"""Deciding in the editors' workspace: what the decision page of one item shows (the item,
where it stands now, its history, the snippets, who can be assigned it, what it overlaps),
and the same decision or assignee for several items in one step.

The decisions themselves are services.decisions.decide (one item) and assign; the steps
here put them together. A step over several items is all or nothing: when one item is
refused, none is changed, and the refusal names the item's number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.errors import Invalid, NotFound, ServiceError
from consult.models import (
    Consultation,
    DecisionKind,
    Feedback,
    FeedbackDecision,
    FeedbackKind,
    FeedbackReview,
    Placement,
    PublicationKind,
    ResponseSnippet,
    Round,
    SectionVersion,
)
from consult.services import access, decisions, permissions, snippets
from consult.services.decision_checks import (
    OUTDATED_STATES,
    Choice,
    editors_of,
    latest_targets,
    numbers,
    overlapping_pairs,
    overlaps_by_item,
    where_now,
)
from consult.services.feedback_locations import locate


@dataclass
class DecisionPage:
    """One item as its decision page shows it."""

    feedback: Feedback
    #: The editors' current state (None: nobody decided or assigned anything yet).
    review: FeedbackReview | None
    round: Round
    consultation: Consultation
    #: As in the response table (None: withdrawn).
    number: int | None
    section_key: str
    section_title: str
    #: Where it stands in the latest revision (decision_checks.where_now).
    location: str | None
    #: The text at its place in the latest revision (None: the place is gone).
    current_text: str | None
    history: list[FeedbackDecision]
    snippets: list[ResponseSnippet]
    editors: list[Choice]
    #: Accepted suggestions whose ranges overlap this one's: (feedback id, number).
    overlaps: list[tuple[int, int | None]] = field(default_factory=list)
    #: Whether the round's decisions are published (the author sees this one).
    published: bool = False

    @property
    def is_suggestion(self) -> bool:
        return self.feedback.kind == FeedbackKind.SUGGESTION.value

    @property
    def is_outdated(self) -> bool:
        """A suggestion whose quote no longer stands unchanged at its place: it cannot be
        accepted as is (TEXT.md §5)."""
        return self.is_suggestion and self.location in OUTDATED_STATES

    @property
    def can_decide(self) -> bool:
        """Not withdrawn, not applied by a merge yet."""
        return self.feedback.withdrawn_at is None and self.feedback.status != "applied"


def _editor_round(session: Session, round_id: int, *, actor: object) -> Round:
    round_ = access.get_round(session, round_id, actor=actor)
    consultation = session.get(Consultation, round_.consultation_id)
    assert consultation is not None
    permissions.require(
        permissions.can_decide_feedback(session, actor, consultation),
        _("Nur die Redaktion entscheidet über Beiträge."),
    )
    return round_


def decision_page(session: Session, feedback_id: int, *, actor: object) -> DecisionPage:
    """What the decision page of a comment or suggestion shows (editors). A constant
    number of queries. Raises NotFound, NotPermitted (not an editor)."""
    feedback = access.get_feedback(session, feedback_id, actor=actor)
    steps = decisions.history(session, feedback.id, actor=actor)  # checks the editor
    round_ = session.get(Round, feedback.round_id)
    consultation = session.get(Consultation, feedback.consultation_id)
    assert round_ is not None and consultation is not None
    section = session.execute(
        select(Placement.key, SectionVersion.title)
        .join(SectionVersion, SectionVersion.id == Placement.version_id)
        .where(
            Placement.revision_id == round_.revision_id, Placement.section_id == feedback.section_id
        )
    ).first()
    targets = latest_targets(session, consultation.id)
    located = locate(session, [feedback], {s: p.version_id for s, p in targets.items()})
    location = where_now(feedback, located, targets)
    where = located.get(feedback.id)
    current_text = None
    placement = targets.get(feedback.section_id)
    if placement is not None and where is not None and where.start is not None:
        current_text = placement.version.body[where.start : where.end]
    overlapping = overlaps_by_item(overlapping_pairs(session, consultation.id, targets)).get(
        feedback.id, ()
    )
    others = (
        session.execute(
            select(Feedback.id, Feedback.round_id).where(Feedback.id.in_(overlapping))
        ).all()
        if overlapping
        else []
    )
    numbered = numbers(session, {feedback.round_id, *(r for _i, r in others)})
    published = decisions.publication(session, round_.id, PublicationKind.DECISIONS)
    return DecisionPage(
        feedback=feedback,
        review=session.get(FeedbackReview, feedback.id),
        round=round_,
        consultation=consultation,
        number=numbered.get(feedback.id),
        section_key=section[0] if section else "",
        section_title=section[1] if section else _("(Abschnitt entfallen)"),
        location=location,
        current_text=current_text,
        history=steps,
        snippets=snippets.list_snippets(session, consultation.id, actor=actor),
        editors=editors_of(session, consultation.id),
        overlaps=[(other, numbered.get(other)) for other in overlapping],
        published=published is not None,
    )


def _selected(session: Session, round_: Round, feedback_ids: Sequence[int]) -> list[Feedback]:
    """The round's items of these ids, by id. Raises Invalid (none), NotFound (an id that
    is no item of the round)."""
    wanted = sorted(set(feedback_ids))
    if not wanted:
        raise Invalid(
            _("Bitte wählen Sie mindestens einen Beitrag aus."),
            code="nothing_selected",
            fields={"ids": _("Bitte mindestens einen Beitrag auswählen.")},
        )
    items = list(
        session.scalars(
            select(Feedback)
            .where(Feedback.id.in_(wanted), Feedback.round_id == round_.id)
            .order_by(Feedback.id)
        )
    )
    if len(items) != len(wanted):
        raise NotFound(_("Diesen Beitrag gibt es in dieser Runde nicht."))
    return items


def _outdated(session: Session, consultation_id: int, items: Sequence[Feedback]) -> set[int]:
    """The suggestions among the items that cannot be accepted as they are."""
    suggestions = [f for f in items if f.kind == FeedbackKind.SUGGESTION.value]
    if not suggestions:
        return set()
    targets = latest_targets(session, consultation_id)
    located = locate(session, suggestions, {s: p.version_id for s, p in targets.items()})
    return {f.id for f in suggestions if where_now(f, located, targets) not in ("exact", "moved")}


def _named(exc: ServiceError, number: int | None) -> ServiceError:
    """The refusal with the item's number in front of its message and field messages."""
    label = str(number) if number is not None else "–"
    return type(exc)(
        _("Nr. %(n)s: %(message)s", n=label, message=exc.message),
        code=exc.code,
        fields={
            name: _("Nr. %(n)s: %(message)s", n=label, message=text)
            for name, text in exc.fields.items()
        },
        details={**exc.details, "number": number},
    )


def decide_many(
    session: Session,
    round_id: int,
    feedback_ids: Sequence[int],
    *,
    actor: object,
    decision: str,
    response: str,
    snippet_id: int | None = None,
) -> int:
    """The same decision and response for each of these items of the round (each keeps
    its own decision and history; a snippet counts once per item). All or nothing. Returns
    how many.

    Raises NotFound (an id that is no item of the round), NotPermitted (not an editor),
    and what services.decisions.decide raises for an item (Invalid: e.g. a decision that
    does not fit it, no response; Conflict: withdrawn, applied, outdated), its message
    beginning with the item's number; nothing is changed then.
    """
    round_ = _editor_round(session, round_id, actor=actor)
    items = _selected(session, round_, feedback_ids)
    numbered = numbers(session, [round_.id])
    outdated = (
        _outdated(session, round_.consultation_id, items)
        if decision == DecisionKind.ACCEPT.value
        else set()
    )
    with session.begin_nested():  # one refused: none changed
        for item in items:
            try:
                decisions.decide(
                    session,
                    item.id,
                    actor=actor,
                    decision=decision,
                    response=response,
                    snippet_id=snippet_id,
                    outdated=item.id in outdated,
                )
            except ServiceError as exc:
                raise _named(exc, numbered.get(item.id)) from exc
    return len(items)


def assign_many(
    session: Session,
    round_id: int,
    feedback_ids: Sequence[int],
    *,
    actor: object,
    assignee_id: int | None,
) -> int:
    """Make ``assignee_id`` (an editor of the consultation, or None: nobody) the one to
    decide on these items of the round. Returns how many. Raises NotFound (an id that is
    no item of the round), NotPermitted (not an editor), Invalid (nothing selected, the
    assignee is no editor)."""
    round_ = _editor_round(session, round_id, actor=actor)
    items = _selected(session, round_, feedback_ids)
    return decisions.assign(
        session, [item.id for item in items], actor=actor, assignee_id=assignee_id
    )
