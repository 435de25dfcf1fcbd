"""What the editors must know before deciding and merging: where an item stands in the
consultation's latest revision (the one a merge applies to), which accepted suggestions
overlap there, the items' numbers and who can be assigned them.

A suggestion whose quote no longer stands unchanged at its place in the latest revision is
*outdated*: it cannot be accepted as is (TEXT.md §5). Accepted suggestions overlap as
services.merge.plan finds them, but are listed here instead of refused, so that the
overview can flag them before any merge. Each function takes a constant number of queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.domain.merging import Change, conflicts
from consult.models import (
    DecisionKind,
    Feedback,
    FeedbackKind,
    FeedbackReview,
    Membership,
    Placement,
    Role,
    SectionVersion,
    User,
)
from consult.services import revisions
from consult.services.feedback_locations import Anchored, Location, locate

#: Where an item stands in the latest revision when its section is gone from it.
SECTION_GONE: Final = "section_gone"
#: Locations whose text is not what the item quoted.
OUTDATED_STATES: Final = frozenset({"fuzzy", "orphaned", SECTION_GONE})
#: Decisions a merge applies (as services.merge).
APPLIED_DECISIONS: Final = (DecisionKind.ACCEPT.value, DecisionKind.ACCEPT_MODIFIED.value)


@dataclass(frozen=True)
class Choice:
    """An option of a filter: an id and what it is called."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class AnchorRow:
    """The columns locating reads (services.feedback_locations.Anchored)."""

    id: int
    section_id: int
    version_id: int
    anchor_start: int | None
    anchor_end: int | None
    quote: str | None

    @property
    def has_anchor(self) -> bool:
        return self.anchor_start is not None


def latest_targets(session: Session, consultation_id: int) -> dict[int, Placement]:
    """The placements (with their versions) of the consultation's latest revision, by
    section id: where a merge would apply. Raises nothing."""
    latest = revisions.latest_revision(session, consultation_id)
    if latest is None:
        return {}
    return {p.section_id: p for p in revisions.outline(session, latest).placements}


def where_now(
    row: Anchored, located: Mapping[int, Location], targets: Mapping[int, Placement]
) -> str | None:
    """Where the item stands in the latest revision (``targets``, see
    :func:`latest_targets`): exact, moved, fuzzy, orphaned, SECTION_GONE, or None for a
    remark on a whole section that is still there. An exact or moved place whose text is
    not the quote any more counts as fuzzy (as for services.merge). Raises nothing."""
    placement = targets.get(row.section_id)
    if placement is None:
        return SECTION_GONE
    if row.anchor_start is None:
        return None
    where = located.get(row.id)
    if where is None or where.start is None:
        return "orphaned"
    if where.state in ("exact", "moved") and (
        placement.version.body[where.start : where.end] != (row.quote or "")
    ):
        return "fuzzy"  # (as services.merge: the quote must stand there unchanged)
    return where.state


def overlapping_pairs(
    session: Session, consultation_id: int, targets: Mapping[int, Placement]
) -> list[tuple[int, int]]:
    """The pairs of accepted suggestions (feedback ids, the lower first) whose changes to
    the latest revision overlap, as services.merge.plan finds them: suggestions accepted as
    they are count where their quote still stands unchanged, those accepted modified where
    they are located at all. Two queries at most. Raises nothing."""
    accepted = session.execute(
        select(
            Feedback.id,
            Feedback.section_id,
            Feedback.version_id,
            Feedback.anchor_start,
            Feedback.anchor_end,
            Feedback.quote,
            Feedback.replacement,
            FeedbackReview.decision,
            FeedbackReview.replacement,
        )
        .join(FeedbackReview, FeedbackReview.feedback_id == Feedback.id)
        .where(
            Feedback.consultation_id == consultation_id,
            Feedback.kind == FeedbackKind.SUGGESTION.value,
            Feedback.withdrawn_at.is_(None),
            Feedback.status == "accepted",
            FeedbackReview.decision.in_(APPLIED_DECISIONS),
        )
        .order_by(Feedback.id)
    ).all()
    rows = [AnchorRow(*columns[:6]) for columns in accepted]
    versions = {section_id: p.version_id for section_id, p in targets.items()}
    located = locate(session, rows, versions)
    changes: dict[int, list[Change]] = defaultdict(list)
    for row, columns in zip(rows, accepted, strict=True):
        suggested, decision, own_text = columns[6:]
        modified = decision == DecisionKind.ACCEPT_MODIFIED.value
        where = located.get(row.id)
        state = where_now(row, located, targets)
        if where is None or where.start is None or where.end is None or state is None:
            continue
        if not modified and state not in ("exact", "moved"):
            continue  # cannot apply at all (the merge names it outdated)
        text = own_text if modified else suggested
        changes[row.section_id].append(Change(where.start, where.end, text or "", row.id))
    return sorted({pair for section in changes.values() for pair in conflicts(section)})


def overlaps_by_item(pairs: Iterable[tuple[int, int]]) -> dict[int, tuple[int, ...]]:
    """Each suggestion of the pairs with those it overlaps. Raises nothing."""
    found: dict[int, set[int]] = defaultdict(set)
    for a, b in pairs:
        found[a].add(b)
        found[b].add(a)
    return {item: tuple(sorted(others)) for item, others in found.items()}


def pairs_among(flags: Mapping[int, Iterable[int]]) -> list[tuple[int, int]]:
    """The pairs of :func:`overlaps_by_item`'s flags again (each once, the lower id
    first). Raises nothing."""
    return sorted({(min(a, b), max(a, b)) for a, others in flags.items() for b in others})


def section_labels(session: Session, revision_id: int) -> dict[int, tuple[str, str, int]]:
    """Section id -> (key, title, position) in the revision (one query, no bodies).
    Raises nothing."""
    return {
        section_id: (key, title, position)
        for section_id, key, title, position in session.execute(
            select(Placement.section_id, Placement.key, SectionVersion.title, Placement.position)
            .join(SectionVersion, SectionVersion.id == Placement.version_id)
            .where(Placement.revision_id == revision_id)
        )
    }


def numbers(session: Session, round_ids: Iterable[int]) -> dict[int, int]:
    """The number of every item of these rounds as the response table gives it (withdrawn
    items have none). One query. Raises nothing."""
    found: dict[int, int] = {}
    counters: dict[int, int] = defaultdict(int)
    for feedback_id, round_id in session.execute(
        select(Feedback.id, Feedback.round_id)
        .where(Feedback.round_id.in_(sorted(set(round_ids))), Feedback.withdrawn_at.is_(None))
        .order_by(Feedback.id)
    ):
        counters[round_id] += 1
        found[feedback_id] = counters[round_id]
    return found


def editors_of(session: Session, consultation_id: int) -> list[Choice]:
    """The consultation's editors (who can be assigned items), by name. Raises nothing."""
    return [
        Choice(user_id, name)
        for user_id, name in session.execute(
            select(User.id, User.name)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.consultation_id == consultation_id,
                Membership.role == Role.EDITOR.value,
                User.is_active.is_(True),
            )
            .order_by(User.name, User.id)
        )
    ]
