"""Merging (Einarbeitung): a new draft revision from a revision plus the accepted
suggestions and the editor's own edits, with the provenance of every change (TEXT.md §5).

:func:`plan` works out the would-be revision without writing anything (the preview);
:func:`merge` writes it in the request's one transaction. Only the consultation's latest
revision can be merged: the consultation row is locked first, so of two editors merging
at once the second waits, then finds a newer revision and gets 409 ``stale_base``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consult.domain import textrules
from consult.domain.merging import Change, Placed, carry, conflicts, edited_ranges
from consult.domain.merging import apply as apply_changes
from consult.errors import Conflict, Invalid
from consult.models import (
    ChangeProvenance,
    Consultation,
    DecisionKind,
    Feedback,
    FeedbackKind,
    FeedbackReview,
    Placement,
    Revision,
)
from consult.services import (
    access,
    audit,
    drafts,
    feedback_locations,
    feedback_versions,
    permissions,
    revisions,
)
from consult.services.locks import lock
from consult.services.text_fields import checked

#: Decisions that a merge applies.
APPLIED = (DecisionKind.ACCEPT.value, DecisionKind.ACCEPT_MODIFIED.value)


@dataclass
class SectionPlan:
    """What the merge does to one section: its new body and who wrote which range."""

    section_id: int
    old_body: str
    new_body: str
    provenance: list[Placed] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.new_body != self.old_body


@dataclass
class Plan:
    """The would-be revision: the sections that change, the suggestions applied, and the
    accepted suggestions that cannot apply (with why)."""

    base: Revision
    sections: dict[int, SectionPlan]
    applied: list[Feedback]
    #: Accepted suggestions located nowhere in the base (orphaned): feedback id -> reason.
    unplaceable: dict[int, str]


def _accepted(session: Session, consultation_id: int) -> list[tuple[Feedback, FeedbackReview]]:
    return [
        (feedback, review)
        for feedback, review in session.execute(
            select(Feedback, FeedbackReview)
            .join(FeedbackReview, FeedbackReview.feedback_id == Feedback.id)
            .where(
                Feedback.consultation_id == consultation_id,
                Feedback.kind == FeedbackKind.SUGGESTION.value,
                Feedback.withdrawn_at.is_(None),
                Feedback.status == "accepted",
                FeedbackReview.decision.in_(APPLIED),
            )
            .order_by(Feedback.id)
        )
    ]


def applies_as_is(session: Session, feedback_id: int, *, actor: object) -> bool:
    """Whether the suggestion's quote still stands unchanged at its place in the
    consultation's latest revision (so that a merge can apply it as it is). Raises
    NotFound."""
    feedback = access.get_feedback(session, feedback_id, actor=actor)
    latest = revisions.latest_revision(session, feedback.consultation_id)
    if latest is None:
        return False
    placements = revisions.outline(session, latest).placements
    placement = next((p for p in placements if p.section_id == feedback.section_id), None)
    if placement is None:
        return False
    where = feedback_locations.locate(
        session, [feedback], {placement.section_id: placement.version_id}
    ).get(feedback.id)
    return (
        where is not None
        and where.state in ("exact", "moved")
        and where.start is not None
        and placement.version.body[where.start : where.end] == (feedback.quote or "")
    )


def _require(session: Session, revision: Revision, actor: object) -> None:
    consultation = revision.consultation
    permissions.require(
        permissions.can_decide_feedback(session, actor, consultation),
        _("Nur die Redaktion arbeitet Vorschläge ein."),
    )


def plan(
    session: Session,
    revision_id: int,
    *,
    actor: object,
    edits: Mapping[int, str] | None = None,
) -> Plan:
    """The merge of the accepted suggestions on this revision and the editor's ``edits``
    (section id -> new body), without writing anything.

    Raises NotFound, NotPermitted, Invalid (an edit of a section the revision does not
    have, a refused character), Conflict (``overlapping_suggestions`` with their ids in
    ``details["suggestion_ids"]``; ``outdated_suggestions`` for accepted suggestions whose
    text is gone from the revision, ids likewise).
    """
    revision = access.get_revision(session, revision_id, actor=actor)
    _require(session, revision, actor)
    placements = revisions.outline(session, revision).placements
    by_section = {p.section_id: p for p in placements}
    targets = {p.section_id: p.version_id for p in placements}
    accepted = _accepted(session, revision.consultation_id)
    located = feedback_locations.locate(session, [f for f, _r in accepted], targets)
    changes: dict[int, list[Change]] = defaultdict(list)
    applied: list[Feedback] = []
    unplaceable: dict[int, str] = {}
    for feedback, review in accepted:
        where = located.get(feedback.id)
        placement = by_section.get(feedback.section_id)
        if placement is None or where is None or where.start is None or where.end is None:
            unplaceable[feedback.id] = "orphaned"
            continue
        body = placement.version.body
        modified = review.decision == DecisionKind.ACCEPT_MODIFIED.value
        if not modified and (
            where.state not in ("exact", "moved") or body[where.start : where.end] != feedback.quote
        ):
            unplaceable[feedback.id] = where.state
            continue
        text = review.replacement if modified else feedback.replacement
        changes[feedback.section_id].append(Change(where.start, where.end, text or "", feedback.id))
        applied.append(feedback)
    clashes = [pair for section in changes.values() for pair in conflicts(section)]
    if clashes:
        ids = sorted({i for pair in clashes for i in pair})
        raise Conflict(
            _(
                "Diese angenommenen Vorschläge überschneiden sich: %(ids)s. Entscheiden Sie "
                "über einen davon neu (ablehnen oder geändert übernehmen).",
                ids=", ".join(f"Nr. {i}" for i in ids),
            ),
            code="overlapping_suggestions",
            details={"suggestion_ids": ids, "pairs": [list(p) for p in clashes]},
        )
    if unplaceable:
        ids = sorted(unplaceable)
        raise Conflict(
            _(
                "Diese angenommenen Vorschläge passen nicht mehr zum Text dieser Fassung: "
                "%(ids)s. Übernehmen Sie sie geändert (mit eigenem Text) oder lehnen Sie "
                "sie ab.",
                ids=", ".join(f"Nr. {i}" for i in ids),
            ),
            code="outdated_suggestions",
            details={"suggestion_ids": ids},
        )
    sections: dict[int, SectionPlan] = {}
    for section_id, section_changes in changes.items():
        old = by_section[section_id].version.body
        new, placed = apply_changes(old, section_changes)
        sections[section_id] = SectionPlan(section_id, old, new, placed)
    for section_id, body in (edits or {}).items():
        placement = by_section.get(section_id)
        if placement is None:
            raise Invalid(
                _("Den Abschnitt %(id)s gibt es in dieser Fassung nicht.", id=section_id),
                code="unknown_section",
                fields={"edits": _("Unbekannter Abschnitt.")},
            )
        text = checked(body, textrules.SECTION_BODY, "body", _("Der Text"))
        current = sections.get(section_id) or SectionPlan(
            section_id, placement.version.body, placement.version.body
        )
        if text == current.new_body:
            continue
        current.provenance = [
            *carry(current.provenance, current.new_body, text),
            *edited_ranges(current.new_body, text),
        ]
        current.new_body = text
        sections[section_id] = current
    return Plan(revision, sections, applied, unplaceable)


def merge(
    session: Session,
    revision_id: int,
    *,
    actor: object,
    note: str,
    edits: Mapping[int, str] | None = None,
) -> Revision:
    """Create the new draft revision: the base's sections with the accepted suggestions
    applied and the edits made, in one transaction. The applied suggestions become
    ``applied`` and name the new revision; untouched sections keep their versions;
    undecided feedback is located in the new revision; the provenance of every changed
    range is stored.

    Raises what :func:`plan` raises, Invalid (no note), Conflict (``stale_base`` when the
    revision is not the consultation's latest; ``draft_exists``). Nothing is written on a
    refusal.
    """
    user = permissions.require_user(actor)
    revision = access.get_revision(session, revision_id, actor=actor)
    _require(session, revision, actor)
    consultation = session.get(Consultation, revision.consultation_id)
    assert consultation is not None
    lock(session, consultation)  # two merges at once: the second sees the first's draft
    latest = revisions.latest_revision(session, consultation.id)
    if latest is None or latest.id != revision.id:
        raise Conflict(
            _(
                "Es gibt inzwischen eine neuere Fassung (Fassung %(n)s). Einarbeiten lässt "
                "sich nur in die neueste Fassung.",
                n=latest.number if latest else "?",
            ),
            code="stale_base",
            details={"latest_revision_id": latest.id if latest else None},
        )
    clean_note = checked(note, textrules.NOTE, "note", _("Die Notiz"))
    if not clean_note.strip():
        raise Invalid(
            _("Bitte beschreiben Sie in der Notiz, was diese Fassung ändert."),
            code="note_required",
            fields={"note": _("Bitte angeben.")},
        )
    planned = plan(session, revision.id, actor=actor, edits=edits)
    placements = revisions.outline(session, revision).placements
    items = drafts.items_of(placements)
    for item in items:
        section_plan = planned.sections.get(item.section_id or 0)
        if section_plan is not None and section_plan.changed:
            item.body = section_plan.new_body
            item.version_id = None
    new = drafts.build_revision(
        session, consultation, actor=user, items=items, base=revision, note=clean_note
    )
    version_of = {
        p.section_id: p.version_id
        for p in session.scalars(select(Placement).where(Placement.revision_id == new.id))
    }
    for section_plan in planned.sections.values():
        if not section_plan.changed:
            continue
        for placed in section_plan.provenance:
            session.add(
                ChangeProvenance(
                    revision_id=new.id,
                    section_id=section_plan.section_id,
                    version_id=version_of[section_plan.section_id],
                    feedback_id=placed.source,
                    editor_id=user.id,
                    start=placed.start,
                    end=placed.end,
                )
            )
    applied_ids = [feedback.id for feedback in planned.applied]
    if applied_ids:
        # Two statements for all of them (one UPDATE per row, each after an autoflush,
        # took most of a merge of hundreds); the objects in the session follow.
        session.execute(
            update(Feedback).where(Feedback.id.in_(applied_ids)).values(status="applied")
        )
        session.execute(
            update(FeedbackReview)
            .where(FeedbackReview.feedback_id.in_(applied_ids))
            .values(applied_revision_id=new.id)
        )
    session.flush()
    feedback_locations.locate_for_revision(session, new)
    feedback_versions.bump(session, consultation.id)
    audit.record(
        session,
        actor=actor,
        action="revision.merged",
        object_type="revision",
        object_id=new.id,
        consultation_id=consultation.id,
        details={"base": revision.number, "number": new.number, "applied": applied_ids},
    )
    return new


def provenance(
    session: Session, revision_id: int, *, actor: object
) -> dict[int, list[ChangeProvenance]]:
    """Who wrote which ranges of the sections a merge changed in this revision: section id
    -> ranges in order (empty for a revision no merge made). Raises NotFound."""
    revision = access.get_revision(session, revision_id, actor=actor)
    found: dict[int, list[ChangeProvenance]] = defaultdict(list)
    for row in session.scalars(
        select(ChangeProvenance)
        .where(ChangeProvenance.revision_id == revision.id)
        .order_by(ChangeProvenance.section_id, ChangeProvenance.start)
    ):
        found[row.section_id].append(row)
    return dict(found)


def edits_from(items: Sequence[Mapping[str, object]]) -> dict[int, str]:
    """``[{section_id, body}]`` (API.md) as section id -> body. Raises Invalid (a section
    twice)."""
    edits: dict[int, str] = {}
    for item in items:
        section_id = item["section_id"]
        body = item["body"]
        assert isinstance(section_id, int) and isinstance(body, str)
        if section_id in edits:
            raise Invalid(
                _("Der Abschnitt %(id)s ist zweimal aufgeführt.", id=section_id),
                code="duplicate_section",
                fields={"edits": _("Jeder Abschnitt einmal.")},
            )
        edits[section_id] = body
    return edits
