"""Locating feedback: where each anchored comment or suggestion stands in a later version
of its section (TEXT.md 3). Results are stored per feedback and version, computed once
(when a revision is published, or on first reading) and read from then on."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.db import store_cached
from consult.domain.anchoring import LOCATE_ALGORITHM, Anchor, relocate_many
from consult.models import Feedback, FeedbackLocation, Revision, SectionVersion
from consult.services import revisions


@dataclass(frozen=True)
class Location:
    """Where a piece of feedback stands in the revision being read."""

    state: str  # exact, moved, fuzzy, orphaned
    start: int | None
    end: int | None
    quote: str | None


class Anchored(Protocol):
    """What locating reads of a piece of feedback: a :class:`consult.models.Feedback` or a
    row of the read model (:class:`consult.services.feedback_views.FeedbackRow`)."""

    @property
    def id(self) -> int: ...
    @property
    def section_id(self) -> int: ...
    @property
    def version_id(self) -> int: ...
    @property
    def anchor_start(self) -> int | None: ...
    @property
    def anchor_end(self) -> int | None: ...
    @property
    def quote(self) -> str | None: ...
    @property
    def has_anchor(self) -> bool: ...


def _anchors_of(session: Session, items: Sequence[Anchored]) -> list[Anchor]:
    """The stored anchors of the items, with their context (which rows do not carry)."""
    context: dict[int, tuple[str | None, str | None]] = {}
    rows = [i.id for i in items if not isinstance(i, Feedback)]
    for chunk in range(0, len(rows), 5000):
        context.update(
            (id_, (prefix, suffix))
            for id_, prefix, suffix in session.execute(
                select(Feedback.id, Feedback.prefix, Feedback.suffix).where(
                    Feedback.id.in_(rows[chunk : chunk + 5000])
                )
            )
        )
    anchors = []
    for item in items:
        assert item.anchor_start is not None and item.anchor_end is not None
        prefix, suffix = (
            (item.prefix, item.suffix) if isinstance(item, Feedback) else context[item.id]
        )
        anchors.append(
            Anchor(item.anchor_start, item.anchor_end, item.quote or "", prefix or "", suffix or "")
        )
    return anchors


def locate(
    session: Session, items: Sequence[Anchored], target_versions: dict[int, int]
) -> dict[int, Location]:
    """Locations of anchored feedback in the given versions (section id -> version id).

    Stored results are read; missing ones, and those placed by an earlier version of
    the rules, are computed (one diff per pair of versions) and stored. Feedback on
    the whole section is not in the result.
    Raises nothing (stored anchors fit the versions they were made on)."""
    result: dict[int, Location] = {}
    pending: list[Anchored] = []
    for item in items:
        if not item.has_anchor or item.section_id not in target_versions:
            continue
        if target_versions[item.section_id] == item.version_id:
            result[item.id] = Location("exact", item.anchor_start, item.anchor_end, item.quote)
        else:
            pending.append(item)
    if not pending:
        return result
    wanted_versions = {target_versions[i.section_id] for i in pending}
    stored = session.execute(
        select(FeedbackLocation).where(
            FeedbackLocation.feedback_id.in_([i.id for i in pending]),
            FeedbackLocation.version_id.in_(wanted_versions),
            FeedbackLocation.algorithm == LOCATE_ALGORITHM,
        )
    ).scalars()
    by_key = {(loc.feedback_id, loc.version_id): loc for loc in stored}
    missing: dict[tuple[int, int], list[Anchored]] = defaultdict(list)
    for item in pending:
        target = target_versions[item.section_id]
        loc = by_key.get((item.id, target))
        if loc is None:
            missing[(item.version_id, target)].append(item)
        else:
            result[item.id] = Location(loc.state, loc.start, loc.end, item.quote)
    if missing:
        version_ids = {v for pair in missing for v in pair}
        bodies: dict[int, str] = {
            version_id: body
            for version_id, body in session.execute(
                select(SectionVersion.id, SectionVersion.body).where(
                    SectionVersion.id.in_(version_ids)
                )
            )
        }
        rows: list[dict[str, object]] = []
        for (origin, target), group in missing.items():
            located = relocate_many(_anchors_of(session, group), bodies[origin], bodies[target])
            for item, where in zip(group, located, strict=True):
                result[item.id] = Location(where.state, where.start, where.end, item.quote)
                rows.append(
                    {
                        "feedback_id": item.id,
                        "version_id": target,
                        "state": where.state,
                        "start": where.start,
                        "end": where.end,
                        "algorithm": LOCATE_ALGORITHM,
                    }
                )
        store_cached(session, FeedbackLocation, rows, keys=["feedback_id", "version_id"])
    return result


def locate_for_revision(session: Session, revision: Revision) -> int:
    """Compute and store where every earlier anchored feedback stands in this revision.

    Called when a revision is published, so reading it never computes. Returns the
    number of pieces of feedback considered.
    Raises nothing."""
    placements = revisions.outline(session, revision).placements
    targets = {p.section_id: p.version_id for p in placements}
    items = session.scalars(
        select(Feedback).where(
            Feedback.consultation_id == revision.consultation_id,
            Feedback.anchor_start.is_not(None),
            Feedback.section_id.in_(list(targets)),
        )
    ).all()
    locate(session, items, targets)
    return len(items)
