"""The editors' overview of a round's feedback (Eingangsliste): every comment and suggestion
with its section, author, status, decision and assignee, filtered and sorted; how many are
decided; the next undecided item; and the accepted suggestions whose ranges overlap, found
as the merge would find them (TEXT.md §5) but listed instead of refused.

Items are numbered as the response table numbers them (services.responses): the round's
items that are not withdrawn, by id, from 1. Where an item stands is read in the
consultation's latest revision, the one a merge applies to: a suggestion whose text there
is not what it quoted is *outdated* (it cannot be accepted as is).

A constant number of queries, whatever the number of items or sections.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from consult.models import (
    Consultation,
    Feedback,
    FeedbackKind,
    FeedbackReview,
    Organisation,
    Round,
    User,
    WorkingGroup,
    WorkingGroupMember,
)
from consult.services import access, permissions
from consult.services.decision_checks import (
    OUTDATED_STATES,
    AnchorRow,
    Choice,
    editors_of,
    latest_targets,
    overlapping_pairs,
    overlaps_by_item,
    pairs_among,
    section_labels,
    where_now,
)
from consult.services.feedback_locations import locate

#: The orders the overview offers.
SORTS: Final = ("number", "section", "organisation", "kind", "status")
#: The order of the statuses when sorting by status: what needs work first.
_STATUS_ORDER: Final = {
    status: n
    for n, status in enumerate(
        ("open", "accepted", "rejected", "resolved", "applied", "withdrawn", "superseded")
    )
}
#: The status of a statement's remark that a later version of the statement replaced.
SUPERSEDED: Final = "superseded"


@dataclass(frozen=True)
class InboxFilters:
    """What the overview shows (all by default) and in which order."""

    undecided: bool = False
    #: "", or one of FeedbackKind ("comment", "suggestion", "remark").
    kind: str = ""
    organisation_id: int | None = None
    #: Items whose author is a member of this working group.
    group_id: int | None = None
    section_id: int | None = None
    #: Items assigned to this editor.
    assignee_id: int | None = None
    #: Items assigned to nobody.
    unassigned: bool = False
    #: Items whose text changed or is gone in the latest revision.
    outdated: bool = False
    #: One of SORTS.
    sort: str = "number"

    @property
    def active(self) -> bool:
        """Whether anything is filtered out."""
        return any(
            (
                self.undecided,
                self.kind,
                self.organisation_id,
                self.group_id,
                self.section_id,
                self.assignee_id,
                self.unassigned,
                self.outdated,
            )
        )


@dataclass(frozen=True)
class InboxItem:
    """One comment or suggestion as the overview shows it."""

    feedback_id: int
    #: As in the response table; None for a withdrawn item (the table leaves it out).
    number: int | None
    kind: str
    #: The revision it was given on (the round's): where the reading view shows it.
    revision_id: int
    section_id: int
    section_key: str
    section_title: str
    #: The section's place in the round's revision (for sorting).
    section_position: int
    anchor_start: int | None
    organisation_id: int | None
    organisation: str | None
    author_id: int
    author: str
    quote: str | None
    #: The comment, or the suggestion's reason.
    body: str
    replacement: str | None
    #: open, resolved, accepted, rejected, applied, withdrawn, or superseded (a remark of
    #: a statement replaced by a later version).
    status: str
    #: Where it stands in the latest revision: exact, moved, fuzzy, orphaned,
    #: SECTION_GONE, or None (a remark on a whole section that is still there).
    location: str | None
    decision: str | None
    response: str
    assignee_id: int | None
    assignee: str | None
    #: Accepted suggestions whose ranges overlap this one's (feedback ids).
    overlaps: tuple[int, ...] = ()

    @property
    def is_suggestion(self) -> bool:
        return self.kind == FeedbackKind.SUGGESTION.value

    @property
    def is_outdated(self) -> bool:
        return self.location in OUTDATED_STATES

    @property
    def is_withdrawn(self) -> bool:
        """Withdrawn by its author (or a statement's remark replaced by a later version)."""
        return self.status in ("withdrawn", SUPERSEDED)

    @property
    def is_decidable(self) -> bool:
        """Whether a decision can still be made or changed (not withdrawn, not applied)."""
        return not self.is_withdrawn and self.status != "applied"

    @property
    def is_undecided(self) -> bool:
        return self.decision is None and self.is_decidable


@dataclass
class Inbox:
    """A round's overview."""

    round: Round
    consultation: Consultation
    #: The items the filters let through, in the chosen order.
    items: list[InboxItem]
    #: The same without the "undecided" filter (where "next undecided" looks).
    ordered: list[InboxItem]
    #: Every item of the round by feedback id.
    by_id: dict[int, InboxItem]
    #: Items that are not withdrawn, and how many of them are decided.
    total: int
    decided: int
    organisations: list[Choice] = field(default_factory=list)
    groups: list[Choice] = field(default_factory=list)
    sections: list[Choice] = field(default_factory=list)
    editors: list[Choice] = field(default_factory=list)
    #: Pairs of overlapping accepted suggestions of which at least one is in this round.
    overlaps: list[tuple[int, int]] = field(default_factory=list)

    @property
    def undecided(self) -> int:
        return sum(1 for item in self.by_id.values() if item.is_undecided)


def _require_editor(session: Session, actor: object, consultation: Consultation) -> None:
    permissions.require(
        permissions.can_decide_feedback(session, actor, consultation),
        _("Nur die Redaktion sieht die Eingangsliste."),
    )


def _items(session: Session, round_: Round) -> list[InboxItem]:
    """Every item of the round, numbered and located (four queries at most)."""
    author, assignee = aliased(User), aliased(User)
    query = (
        select(
            Feedback.id,
            Feedback.section_id,
            Feedback.version_id,
            Feedback.anchor_start,
            Feedback.anchor_end,
            Feedback.quote,
            Feedback.kind,
            Feedback.revision_id,
            Feedback.organisation_id,
            Feedback.author_id,
            Feedback.body,
            Feedback.replacement,
            Feedback.status,
            Feedback.withdrawn_at,
            author.name,
            Organisation.name,
            FeedbackReview.decision,
            FeedbackReview.response,
            FeedbackReview.assignee_id,
            assignee.name,
        )
        .join(author, author.id == Feedback.author_id)
        .outerjoin(Organisation, Organisation.id == Feedback.organisation_id)
        .outerjoin(FeedbackReview, FeedbackReview.feedback_id == Feedback.id)
        .outerjoin(assignee, assignee.id == FeedbackReview.assignee_id)
        .where(Feedback.round_id == round_.id)
        .order_by(Feedback.id)
    )
    rows = session.execute(query).all()
    anchors = [AnchorRow(*row[:6]) for row in rows]
    sections = section_labels(session, round_.revision_id)
    targets = latest_targets(session, round_.consultation_id)
    located = locate(session, anchors, {s: p.version_id for s, p in targets.items()})
    gone = _("(Abschnitt entfallen)")
    items = []
    number = 0
    for anchor, row in zip(anchors, rows, strict=True):
        values: tuple[Any, ...] = tuple(row)
        (kind, revision_id, organisation_id, author_id, body, replacement, status) = values[6:13]
        withdrawn_at, author_name, organisation, decision, response = values[13:18]
        assignee_id, assignee_name = values[18:]
        if withdrawn_at is None:
            number += 1
        key, title, position = sections.get(anchor.section_id, ("", gone, len(sections)))
        items.append(
            InboxItem(
                feedback_id=anchor.id,
                number=number if withdrawn_at is None else None,
                kind=kind,
                revision_id=revision_id,
                section_id=anchor.section_id,
                section_key=key,
                section_title=title,
                section_position=position,
                anchor_start=anchor.anchor_start,
                organisation_id=organisation_id,
                organisation=organisation,
                author_id=author_id,
                author=author_name,
                quote=anchor.quote,
                body=body,
                replacement=replacement,
                status=status if withdrawn_at is None or status == SUPERSEDED else "withdrawn",
                location=where_now(anchor, located, targets),
                decision=decision,
                response=response or "",
                assignee_id=assignee_id,
                assignee=assignee_name,
            )
        )
    overlaps = overlaps_by_item(overlapping_pairs(session, round_.consultation_id, targets))
    return [
        replace(item, overlaps=overlaps[item.feedback_id]) if item.feedback_id in overlaps else item
        for item in items
    ]


def _groups(session: Session, consultation_id: int) -> tuple[list[Choice], dict[int, set[int]]]:
    """The consultation's working groups, and the groups of each member (one query)."""
    names: dict[int, str] = {}
    of_user: dict[int, set[int]] = defaultdict(set)
    for group_id, name, user_id in session.execute(
        select(WorkingGroup.id, WorkingGroup.name, WorkingGroupMember.user_id)
        .outerjoin(WorkingGroupMember, WorkingGroupMember.working_group_id == WorkingGroup.id)
        .where(WorkingGroup.consultation_id == consultation_id)
    ):
        names[group_id] = name
        if user_id is not None:
            of_user[user_id].add(group_id)
    choices = sorted((Choice(i, n) for i, n in names.items()), key=lambda c: c.name.lower())
    return choices, of_user


def _sort_key(sort: str) -> Callable[[InboxItem], tuple[Any, ...]]:
    def number(item: InboxItem) -> tuple[int]:
        return (item.feedback_id,)  # (the numbers follow the ids; withdrawn ones have none)

    keys = {
        "number": number,
        "section": lambda i: (i.section_position, i.anchor_start or 0, *number(i)),
        "organisation": lambda i: ((i.organisation or "").lower(), *number(i)),
        "kind": lambda i: (i.kind, *number(i)),
        "status": lambda i: (
            _STATUS_ORDER.get(i.status, 9),
            i.decision is not None,
            not i.is_outdated,
            *number(i),
        ),
    }
    return keys.get(sort, number)


def _accepts(filters: InboxFilters, item: InboxItem, groups_of: Mapping[int, set[int]]) -> bool:
    """Whether the filters (but "undecided") let the item through."""
    return (
        (not filters.kind or item.kind == filters.kind)
        and (filters.organisation_id is None or item.organisation_id == filters.organisation_id)
        and (filters.group_id is None or filters.group_id in groups_of.get(item.author_id, ()))
        and (filters.section_id is None or item.section_id == filters.section_id)
        and (filters.assignee_id is None or item.assignee_id == filters.assignee_id)
        and (not filters.unassigned or item.assignee_id is None)
        and (not filters.outdated or item.is_outdated)
    )


def inbox(
    session: Session, round_id: int, *, actor: object, filters: InboxFilters | None = None
) -> Inbox:
    """The round's overview for an editor, filtered and sorted. Raises NotFound (an unknown
    round, or one the actor may not see), NotPermitted (not an editor)."""
    filters = filters or InboxFilters()
    round_ = access.get_round(session, round_id, actor=actor)
    consultation = session.get(Consultation, round_.consultation_id)
    assert consultation is not None
    _require_editor(session, actor, consultation)
    every = _items(session, round_)
    groups, groups_of = _groups(session, consultation.id)
    ordered = sorted(
        (item for item in every if _accepts(filters, item, groups_of)),
        key=_sort_key(filters.sort),
    )
    items = [item for item in ordered if item.is_undecided] if filters.undecided else ordered
    counted = [item for item in every if not item.is_withdrawn]
    organisations = {
        item.organisation_id: item.organisation
        for item in every
        if item.organisation_id is not None and item.organisation
    }
    sections = {
        item.section_id: (item.section_position, f"{item.section_key} {item.section_title}")
        for item in every
    }
    by_id = {item.feedback_id: item for item in every}
    return Inbox(
        round=round_,
        consultation=consultation,
        items=items,
        ordered=ordered,
        by_id=by_id,
        total=len(counted),
        decided=sum(1 for item in counted if item.decision is not None),
        organisations=sorted(
            (Choice(i, n) for i, n in organisations.items()), key=lambda c: c.name.lower()
        ),
        groups=groups,
        sections=[
            Choice(section_id, label.strip())
            for section_id, (_position, label) in sorted(
                sections.items(), key=lambda pair: pair[1][0]
            )
        ],
        editors=editors_of(session, consultation.id),
        overlaps=pairs_among({item.feedback_id: item.overlaps for item in every}),
    )


def next_undecided(found: Inbox, after: int | None = None) -> InboxItem | None:
    """The first undecided item after ``after`` (a feedback id) in the overview's order
    under its filters, starting again at the top when there is none below; None when every
    item is decided. ``after`` itself is never the answer. Raises nothing."""
    ordered = found.ordered
    start = next((n + 1 for n, item in enumerate(ordered) if item.feedback_id == after), 0)
    for item in [*ordered[start:], *ordered[:start]]:
        if item.is_undecided and item.feedback_id != after:
            return item
    return None
