"""Deciding on feedback (Abwägung): decisions with responses and their history, assignees,
and publishing a round's decisions to the authors (response snippets:
services.snippets).

A comment is considered, partly considered, not considered or noted; a suggestion is
accepted, rejected or accepted modified (with the editor's own text). A response is
required for everything but "accept". Decisions can change until a merge applied the
suggestion; every change is kept (FeedbackDecision). They stay the editors' working
state until published for the round; then each author gets one e-mail listing the
decisions on their items.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.db import is_id, utcnow
from consult.domain import textrules
from consult.errors import Conflict, Invalid, NotFound
from consult.models import (
    Consultation,
    DecisionKind,
    Feedback,
    FeedbackDecision,
    FeedbackKind,
    FeedbackReview,
    Membership,
    PublicationKind,
    Role,
    Round,
    RoundPublication,
    User,
)
from consult.models.decisions import COMMENT_DECISIONS, SUGGESTION_DECISIONS
from consult.services import access, audit, feedback_versions, mail, permissions, snippets
from consult.services.locks import lock
from consult.services.text_fields import checked

#: A response: whether it may be empty depends on the decision.
RESPONSE_RULE = textrules.RESPONSE


@dataclass(frozen=True)
class Decided:
    """A decision as the services give it out: the feedback and its review."""

    feedback: Feedback
    review: FeedbackReview


def _consultation_of(session: Session, feedback: Feedback) -> Consultation:
    consultation = session.get(Consultation, feedback.consultation_id)
    assert consultation is not None
    return consultation


def review_of(session: Session, feedback: Feedback) -> FeedbackReview:
    """The feedback's review row (made when first needed). Raises nothing."""
    review = session.get(FeedbackReview, feedback.id)
    if review is None:
        review = FeedbackReview(
            feedback_id=feedback.id, consultation_id=feedback.consultation_id, response=""
        )
        session.add(review)
        session.flush()
    return review


def parse_decision(feedback: Feedback, decision: str) -> DecisionKind:
    """The DecisionKind named by ``decision`` for this kind of feedback. Raises Invalid."""
    allowed = (
        SUGGESTION_DECISIONS
        if feedback.kind == FeedbackKind.SUGGESTION.value
        else COMMENT_DECISIONS
    )
    try:
        kind = DecisionKind(decision)
    except ValueError:
        kind = None
    if kind is None or kind not in allowed:
        names = ", ".join(sorted(k.value for k in allowed))
        raise Invalid(
            _("Diese Entscheidung passt nicht zu diesem Beitrag. Möglich: %(names)s.", names=names),
            code="invalid_decision",
            fields={"decision": _("Bitte eine der möglichen Entscheidungen wählen.")},
        )
    return kind


def decide(
    session: Session,
    feedback_id: int,
    *,
    actor: object,
    decision: str,
    response: str = "",
    replacement: str | None = None,
    snippet_id: int | None = None,
    outdated: bool = False,
    now: datetime | None = None,
) -> Decided:
    """Decide on a comment or suggestion (editors). ``outdated``: the suggestion's quote no
    longer stands unchanged at its range in the revision a merge would use (the caller
    knows where it is located), so it cannot be accepted as is.

    Raises NotFound, NotPermitted (not an editor), Invalid (a decision that does not fit
    the kind, a response missing where required, accept_modified without a text, a
    refused character), Conflict (applied already: ``already_applied``; an outdated
    suggestion accepted as is: ``outdated_suggestion``; withdrawn: ``withdrawn``).
    """
    feedback = access.get_feedback(session, feedback_id, actor=actor)
    consultation = _consultation_of(session, feedback)
    user = permissions.require_decider(session, actor, consultation)
    lock(session, feedback)  # two editors deciding at once: one after the other
    kind = parse_decision(feedback, decision)
    text = checked(response, RESPONSE_RULE, "response", _("Die Begründung"))
    if kind is not DecisionKind.ACCEPT and not text.strip():
        raise Invalid(
            _("Bitte begründen Sie die Entscheidung (die Stellungnahme der Verwaltung)."),
            code="response_required",
            fields={"response": _("Bitte begründen.")},
        )
    own_text: str | None = None
    if kind is DecisionKind.ACCEPT_MODIFIED:
        if replacement is None:
            raise Invalid(
                _("Bitte geben Sie den Text an, mit dem der Vorschlag übernommen wird."),
                code="replacement_required",
                fields={"replacement": _("Bitte angeben.")},
            )
        own_text = checked(replacement, textrules.REPLACEMENT, "replacement", _("Der neue Text"))
    if feedback.withdrawn_at is not None:
        raise Conflict(_("Der Beitrag wurde zurückgezogen."), code="withdrawn")
    if feedback.status == "applied":
        raise Conflict(
            _("Der Vorschlag ist schon in eine neue Fassung eingearbeitet."),
            code="already_applied",
        )
    if kind is DecisionKind.ACCEPT and outdated:
        raise Conflict(
            _(
                "Der Text an dieser Stelle hat sich geändert: der Vorschlag kann nicht "
                "unverändert übernommen werden. Übernehmen Sie ihn geändert (mit eigenem "
                "Text) oder bearbeiten Sie den Abschnitt von Hand."
            ),
            code="outdated_suggestion",
        )
    when = now or utcnow()
    review = review_of(session, feedback)
    audit.record(
        session,
        actor=actor,
        action="decision.changed" if review.decision else "decision.made",
        object_type="feedback",
        object_id=feedback.id,
        consultation_id=feedback.consultation_id,
        details={"decision": kind.value},
    )
    review.decision = kind.value
    review.response = text
    review.replacement = own_text
    review.decided_by_id = user.id
    review.decided_at = when
    session.add(
        FeedbackDecision(
            feedback_id=feedback.id,
            decision=kind.value,
            response=text,
            replacement=own_text,
            decided_by_id=user.id,
            decided_at=when,
        )
    )
    if feedback.kind == FeedbackKind.SUGGESTION.value:
        feedback.status = "rejected" if kind is DecisionKind.REJECT else "accepted"
    if snippet_id is not None:
        snippets.count_use(session, consultation.id, snippet_id)
    session.flush()
    feedback_versions.bump(session, feedback.consultation_id)
    return Decided(feedback, review)


def undecide(session: Session, feedback_id: int, *, actor: object) -> Decided:
    """Withdraw the decision (back to undecided; kept in the history). Raises NotFound,
    NotPermitted, Conflict (applied already)."""
    feedback = access.get_feedback(session, feedback_id, actor=actor)
    user = permissions.require_decider(session, actor, _consultation_of(session, feedback))
    lock(session, feedback)
    if feedback.status == "applied":
        raise Conflict(
            _("Der Vorschlag ist schon in eine neue Fassung eingearbeitet."),
            code="already_applied",
        )
    review = review_of(session, feedback)
    audit.record(
        session,
        actor=actor,
        action="decision.withdrawn",
        object_type="feedback",
        object_id=feedback.id,
        consultation_id=feedback.consultation_id,
        details={"decision": review.decision},
    )
    review.decision = None
    review.response = ""
    review.replacement = None
    review.decided_by_id = user.id
    review.decided_at = utcnow()
    session.add(
        FeedbackDecision(feedback_id=feedback.id, decision=None, response="", decided_by_id=user.id)
    )
    if feedback.kind == FeedbackKind.SUGGESTION.value and feedback.status in (
        "accepted",
        "rejected",
    ):
        feedback.status = "open"
    session.flush()
    feedback_versions.bump(session, feedback.consultation_id)
    return Decided(feedback, review)


def history(session: Session, feedback_id: int, *, actor: object) -> list[FeedbackDecision]:
    """Every decision on the feedback, the first first (editors). Raises NotFound,
    NotPermitted."""
    feedback = access.get_feedback(session, feedback_id, actor=actor)
    permissions.require_decider(session, actor, _consultation_of(session, feedback))
    return list(
        session.scalars(
            select(FeedbackDecision)
            .where(FeedbackDecision.feedback_id == feedback.id)
            .order_by(FeedbackDecision.id)
        )
    )


# --- assignees -----------------------------------------------------------------------


def assign(
    session: Session, feedback_ids: Sequence[int], *, actor: object, assignee_id: int | None
) -> int:
    """Make ``assignee_id`` (an editor of the consultation, or None: nobody) the one to
    decide on these items. Returns how many. Raises NotFound, NotPermitted, Invalid (the
    assignee is no editor of the consultation)."""
    items = [access.get_feedback(session, i, actor=actor) for i in feedback_ids if is_id(i)]
    if len(items) != len(feedback_ids):
        raise NotFound(_("Diesen Beitrag gibt es nicht."))
    for consultation_id in {f.consultation_id for f in items}:
        consultation = session.get(Consultation, consultation_id)
        assert consultation is not None
        permissions.require_decider(session, actor, consultation)
        if assignee_id is not None and not _is_editor(session, assignee_id, consultation_id):
            raise Invalid(
                _("Zuständig kann nur jemand aus der Redaktion sein."),
                code="invalid_assignee",
                fields={"assignee_id": _("Bitte jemanden aus der Redaktion wählen.")},
            )
    for feedback in items:
        review_of(session, feedback).assignee_id = assignee_id
    session.flush()
    return len(items)


def _is_editor(session: Session, user_id: int, consultation_id: int) -> bool:
    if not is_id(user_id):
        return False
    role = session.scalar(
        select(Membership.role).where(
            Membership.consultation_id == consultation_id, Membership.user_id == user_id
        )
    )
    return role == Role.EDITOR.value


# --- publication ---------------------------------------------------------------------


def publication(session: Session, round_id: int, kind: PublicationKind) -> RoundPublication | None:
    """When the round's decisions or response table were published, if they were."""
    return session.scalar(
        select(RoundPublication).where(
            RoundPublication.round_id == round_id, RoundPublication.kind == kind.value
        )
    )


def published_round_ids(session: Session, consultation_id: int, kind: PublicationKind) -> set[int]:
    """The rounds of the consultation whose decisions (or response table) are public."""
    return set(
        session.scalars(
            select(RoundPublication.round_id)
            .join(Round, Round.id == RoundPublication.round_id)
            .where(Round.consultation_id == consultation_id, RoundPublication.kind == kind.value)
        )
    )


def publish_decisions(
    session: Session,
    round_id: int,
    *,
    actor: object,
    now: datetime | None = None,
    notify: bool = True,
) -> Round:
    """Make the round's decisions and responses visible to the authors and e-mail each
    author once, listing the decisions on their items (in their language; ``notify``
    False: no e-mails, for the demo). Publishing again changes nothing (Conflict
    ``already_published``). Raises NotFound, NotPermitted, Conflict."""
    round_ = access.get_round(session, round_id, actor=actor)
    consultation = session.get(Consultation, round_.consultation_id)
    assert consultation is not None
    user = permissions.require_decider(session, actor, consultation)
    lock(session, round_)
    if publication(session, round_.id, PublicationKind.DECISIONS) is not None:
        raise Conflict(
            _("Die Abwägung dieser Runde ist schon veröffentlicht."), code="already_published"
        )
    session.add(
        RoundPublication(
            round_id=round_.id,
            kind=PublicationKind.DECISIONS.value,
            published_by_id=user.id,
            published_at=now or utcnow(),
        )
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="decisions.published",
        object_type="round",
        object_id=round_.id,
        consultation_id=round_.consultation_id,
    )
    by_author: dict[int, list[tuple[Feedback, FeedbackReview]]] = defaultdict(list)
    for feedback, review in session.execute(
        select(Feedback, FeedbackReview)
        .join(FeedbackReview, FeedbackReview.feedback_id == Feedback.id)
        .where(
            Feedback.round_id == round_.id,
            Feedback.withdrawn_at.is_(None),
            FeedbackReview.decision.is_not(None),
        )
        .order_by(Feedback.id)
    ):
        by_author[feedback.author_id].append((feedback, review))
    authors = {u.id: u for u in session.scalars(select(User).where(User.id.in_(list(by_author))))}
    for author_id, items in by_author.items():
        author = authors[author_id]
        if notify and author.is_active:
            mail.queue_template(session, author, "decisions_published", round=round_, items=items)
    feedback_versions.bump(session, consultation.id)
    return round_


def visible_reviews(
    session: Session, consultation_id: int, *, actor: object
) -> dict[int, FeedbackReview]:
    """The decisions the actor may see, by feedback id: an editor every one, everyone else
    those of rounds whose decisions are published (one or two queries). Whether the actor
    may see the feedback itself is the caller's business. Raises nothing."""
    consultation = session.get(Consultation, consultation_id)
    if consultation is None:
        return {}
    query = select(FeedbackReview).where(
        FeedbackReview.consultation_id == consultation_id, FeedbackReview.decision.is_not(None)
    )
    if not permissions.can_decide_feedback(session, actor, consultation):
        published = published_round_ids(session, consultation_id, PublicationKind.DECISIONS)
        if not published:
            return {}
        query = query.join(Feedback, Feedback.id == FeedbackReview.feedback_id).where(
            Feedback.round_id.in_(published)
        )
    return {review.feedback_id: review for review in session.scalars(query)}


def counts(session: Session, round_id: int) -> tuple[int, int]:
    """(decided, total) items of the round (withdrawn ones not counted)."""
    total, decided = session.execute(
        select(func.count(Feedback.id), func.count(FeedbackReview.decision))
        .outerjoin(FeedbackReview, FeedbackReview.feedback_id == Feedback.id)
        .where(Feedback.round_id == round_id, Feedback.withdrawn_at.is_(None))
    ).one()
    return int(decided), int(total)
