"""The merge page's read model: "Neue Fassung aus den angenommenen Vorschlägen" (issue 11,
item 6).

:func:`preview` shows what :func:`consult.services.merge.merge` would make of a revision:
each section's diff against the revision with the cause of every change, the accepted
suggestions that stop the merge (overlapping or outdated), and whether the revision can be
merged at all (only the consultation's latest, and not while a draft exists).
:func:`confirm` merges, but only what the editor saw: the preview carries a fingerprint
of the decisions it applied and the editor's edits, and a merge whose fingerprint no
longer matches (a decision changed meanwhile, an edit not previewed) is refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.domain.textdiff import Op, word_diff
from consult.errors import Conflict
from consult.models import (
    Consultation,
    Feedback,
    FeedbackKind,
    FeedbackReview,
    Organisation,
    Revision,
    User,
)
from consult.services import access, change_causes, merge, permissions, revisions
from consult.services.change_causes import SectionCauses

#: The refusals of a plan that the page shows as a warning (not as an error page).
BLOCKING = ("overlapping_suggestions", "outdated_suggestions")


@dataclass
class SectionPreview:
    """One section of the would-be revision."""

    section_id: int
    key: str
    title: str
    depth: int
    old_body: str
    new_body: str
    #: The body's diff (empty for an unchanged section).
    ops: list[Op] = field(default_factory=list)
    causes: SectionCauses | None = None
    #: The editor's own text is part of it.
    is_edited: bool = False

    @property
    def changed(self) -> bool:
        return self.new_body != self.old_body


@dataclass(frozen=True)
class Blocked:
    """An accepted suggestion that stops the merge, and why."""

    feedback_id: int
    #: The revision it was made on (its place in the reading view).
    revision_id: int
    section_key: str
    section_title: str
    author: str
    organisation: str | None
    quote: str | None
    replacement: str | None
    decision: str | None
    #: The suggestions it overlaps (for ``overlapping_suggestions``).
    overlaps: tuple[int, ...] = ()


@dataclass
class Preview:
    revision: Revision
    #: The consultation's newest revision (only that one can be merged).
    latest: Revision | None
    #: The consultation's draft, if there is one (a merge makes a new draft).
    draft: Revision | None
    sections: list[SectionPreview]
    #: How many accepted suggestions the merge applies.
    applied_count: int
    #: Why the accepted suggestions cannot be merged (overlapping, outdated), if so.
    problem: Conflict | None = None
    blocked: list[Blocked] = field(default_factory=list)
    #: What the editor sees: the decisions applied and the edits (see :func:`confirm`).
    fingerprint: str = ""

    @property
    def changed(self) -> list[SectionPreview]:
        return [s for s in self.sections if s.changed]

    @property
    def unchanged(self) -> list[SectionPreview]:
        return [s for s in self.sections if not s.changed]

    @property
    def is_stale(self) -> bool:
        """Not the consultation's newest revision: it cannot be merged."""
        return self.latest is None or self.latest.id != self.revision.id

    @property
    def can_merge(self) -> bool:
        return (
            not self.is_stale and self.draft is None and self.problem is None and bool(self.changed)
        )


def _editable(session: Session, revision_id: int, actor: object) -> Revision:
    revision = access.get_revision(session, revision_id, actor=actor)
    permissions.require(
        permissions.can_decide_feedback(session, actor, revision.consultation),
        _("Nur die Redaktion arbeitet Vorschläge ein."),
    )
    return revision


def _fingerprint(
    session: Session, revision: Revision, plan: merge.Plan | None, edits: Mapping[int, str]
) -> str:
    """A digest of what a merge would apply: the revision, each applied suggestion's
    decision and text, the edits."""
    applied: list[list[object]] = []
    if plan is not None and plan.applied:
        reviews = {
            r.feedback_id: r
            for r in session.scalars(
                select(FeedbackReview).where(
                    FeedbackReview.feedback_id.in_([f.id for f in plan.applied])
                )
            )
        }
        for feedback in plan.applied:
            review = reviews.get(feedback.id)
            applied.append(
                [
                    feedback.id,
                    review.decision if review else None,
                    review.replacement if review else None,
                    feedback.replacement,
                ]
            )
    data = [revision.id, applied, sorted([sid, body] for sid, body in edits.items())]
    encoded = json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


def _blocked(session: Session, problem: Conflict, revision: Revision) -> list[Blocked]:
    ids = list(problem.details.get("suggestion_ids", []))
    pairs = [tuple(p) for p in problem.details.get("pairs", [])]
    placements = {p.section_id: p for p in revisions.outline(session, revision).placements}
    found = []
    for feedback, review, author, organisation in session.execute(
        select(Feedback, FeedbackReview, User.name, Organisation.name)
        .join(User, User.id == Feedback.author_id)
        .outerjoin(Organisation, Organisation.id == Feedback.organisation_id)
        .outerjoin(FeedbackReview, FeedbackReview.feedback_id == Feedback.id)
        .where(Feedback.id.in_(ids), Feedback.consultation_id == revision.consultation_id)
        .order_by(Feedback.id)
    ):
        placement = placements.get(feedback.section_id)
        found.append(
            Blocked(
                feedback_id=feedback.id,
                revision_id=feedback.revision_id,
                section_key=placement.key if placement else "",
                section_title=placement.version.title if placement else "",
                author=author,
                organisation=organisation,
                quote=feedback.quote,
                replacement=(
                    review.replacement
                    if review is not None and review.decision == "accept_modified"
                    else feedback.replacement
                ),
                decision=review.decision if review else None,
                overlaps=tuple(
                    sorted({b if a == feedback.id else a for a, b in pairs} - {feedback.id})
                ),
            )
        )
    return found


def preview(
    session: Session, revision_id: int, *, actor: object, edits: Mapping[int, str] | None = None
) -> Preview:
    """What merging the accepted suggestions and the ``edits`` (section id -> new body)
    into this revision would make, section by section, with the cause of each change;
    writes nothing. Overlapping or outdated accepted suggestions are no error here: the
    preview names them (``problem``, ``blocked``) and cannot be merged.

    Raises NotFound, NotPermitted (not an editor), Invalid (an edit of a section the
    revision does not have, a refused character).
    """
    revision = _editable(session, revision_id, actor)
    edits = dict(edits or {})
    problem: Conflict | None = None
    try:
        plan: merge.Plan | None = merge.plan(session, revision.id, actor=actor, edits=edits)
    except Conflict as exc:
        if exc.code not in BLOCKING:
            raise
        plan, problem = None, exc
    placements = revisions.outline(session, revision).placements
    sections = []
    for placement in placements:
        body = placement.version.body
        planned = plan.sections.get(placement.section_id) if plan is not None else None
        section = SectionPreview(
            placement.section_id,
            placement.key,
            placement.version.title,
            placement.depth,
            body,
            planned.new_body if planned is not None else body,
        )
        if section.changed:
            section.ops = word_diff(section.old_body, section.new_body)
            section.is_edited = placement.section_id in edits
        sections.append(section)
    result = Preview(
        revision=revision,
        latest=revisions.latest_revision(session, revision.consultation_id),
        draft=revisions.current_draft(session, revision.consultation_id),
        sections=sections,
        applied_count=len(plan.applied) if plan is not None else 0,
        problem=problem,
        fingerprint=_fingerprint(session, revision, plan, edits),
    )
    if problem is not None:
        result.blocked = _blocked(session, problem, revision)
    elif plan is not None:
        planned_sections = [
            (s.section_id, s.ops, plan.sections[s.section_id].provenance, s.is_edited)
            for s in result.changed
        ]
        causes = change_causes.for_plan(
            session, revision.consultation, planned_sections, actor=actor
        )
        for section in result.changed:
            section.causes = causes.get(section.section_id)
    return result


@dataclass(frozen=True)
class Merged:
    """The new draft revision, and how many suggestions it applied."""

    revision: Revision
    applied: int


def confirm(
    session: Session,
    revision_id: int,
    *,
    actor: object,
    note: str,
    edits: Mapping[int, str] | None = None,
    fingerprint: str,
) -> Merged:
    """Merge as previewed: the new draft revision (merge.merge) if the decisions and edits
    are still those of the preview with this ``fingerprint``.

    Raises what merge.merge raises, and Conflict ``preview_outdated`` when a decision
    changed since the preview or the edits were not previewed (nothing is written then).
    """
    revision = _editable(session, revision_id, actor)
    edits = dict(edits or {})
    plan = merge.plan(session, revision.id, actor=actor, edits=edits)
    if _fingerprint(session, revision, plan, edits) != fingerprint:
        raise Conflict(
            _(
                "Die Vorschau ist nicht mehr aktuell: Seit Sie sie aufgerufen haben, hat sich "
                "eine Entscheidung geändert oder Sie haben einen Abschnitt bearbeitet. Prüfen "
                "Sie die aktualisierte Vorschau und legen Sie die Fassung dann an."
            ),
            code="preview_outdated",
        )
    new = merge.merge(session, revision.id, actor=actor, note=note, edits=edits)
    return Merged(new, len(plan.applied))


def pending(session: Session, consultation: Consultation, *, actor: object) -> int:
    """How many accepted suggestions of the consultation wait to be merged (for its
    editors; 0 for anyone else). Raises nothing."""
    if not permissions.can_decide_feedback(session, actor, consultation):
        return 0
    return (
        session.scalar(
            select(func.count(Feedback.id))
            .join(FeedbackReview, FeedbackReview.feedback_id == Feedback.id)
            .where(
                Feedback.consultation_id == consultation.id,
                Feedback.kind == FeedbackKind.SUGGESTION.value,
                Feedback.withdrawn_at.is_(None),
                Feedback.status == "accepted",
                FeedbackReview.decision.in_(merge.APPLIED),
            )
        )
        or 0
    )


__all__ = ["Blocked", "Merged", "Preview", "SectionPreview", "confirm", "pending", "preview"]
