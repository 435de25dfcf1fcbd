"""Why did this change? The cause of each change between two revisions, and in a merge
preview (issue 11, item 7).

A merge stores which suggestion (or the editor) wrote which range of each section version
it made (:class:`consult.models.ChangeProvenance`). A section version records the version
it was edited from and who wrote it; so the text of a section can be followed from the
older revision's version to the newer one's, one edit at a time, carrying the ranges of
each merge through later edits (consult.domain.provenance). Each change of the diff then
gets the causes whose ranges it touches.

Only pairs of revisions with a merge on the way get causes: the newer one descends from
the older one (through ``base_revision_id``) and some revision on that way was made by a
merge. Any other pair (an arbitrary comparison, a revision edited only by hand) gets none:
nothing is guessed. Versions and provenance never change, so neither do the causes.

What a reader learns about a suggestion follows what they may see of it: an editor
everything; anyone else its author and text only if the round's visibility lets them see
the feedback, and its decision and response only once the round's decisions are
published.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.domain.merging import Placed
from consult.domain.provenance import Hunk, Span, attribute, step
from consult.domain.textdiff import Op
from consult.models import (
    ChangeProvenance,
    Consultation,
    Feedback,
    FeedbackReview,
    Organisation,
    PublicationKind,
    Revision,
    Round,
    RoundGroup,
    SectionVersion,
    User,
)
from consult.services import decisions, permissions
from consult.services.diffs import RevisionComparison

#: Kinds of cause.
SUGGESTION = "suggestion"
EDITOR = "editor"
#: A suggestion the reader may not see.
HIDDEN = "hidden"

#: Edits followed from the older version to the newer one at most (then: no causes).
MAX_STEPS = 60


@dataclass(frozen=True)
class Cause:
    """What wrote a change: a suggestion (with what the reader may see of it), a suggestion
    the reader may not see (``HIDDEN``), or an editor's own edit (``EDITOR``)."""

    kind: str
    feedback_id: int | None = None
    #: The revision the suggestion was made on (its place in the reading view).
    revision_id: int | None = None
    author: str | None = None
    organisation: str | None = None
    #: accept or accept_modified; None when the reader may not see the decision (yet).
    decision: str | None = None
    response: str = ""
    quote: str | None = None
    #: The text that went in: the suggestion's, or the editor's own when accepted modified.
    replacement: str | None = None
    #: The editor's name (``EDITOR``); None when unknown (an erased account).
    editor: str | None = None


@dataclass
class SectionCauses:
    """The causes of the changes in one section's body, numbered from 1 in the order the
    changes come, and which of them wrote each change."""

    section_id: int
    causes: list[Cause] = field(default_factory=list)
    #: Each hunk of the body's diff with the numbers (1-based) of its causes.
    hunks: list[tuple[Hunk, tuple[int, ...]]] = field(default_factory=list)

    def numbered(self) -> list[tuple[int, Cause]]:
        return list(enumerate(self.causes, start=1))

    @property
    def is_explained(self) -> bool:
        """Whether every change has a cause."""
        return all(numbers for _hunk, numbers in self.hunks)


def _numbered(
    section_id: int, ops: Sequence[Op], spans: Sequence[Span], causes: Sequence[Cause]
) -> SectionCauses:
    """The hunks of ``ops`` with their causes renumbered in the order they first come."""
    result = SectionCauses(section_id)
    number: dict[int, int] = {}
    for hunk, found in attribute(ops, spans):
        for index in found:
            if index not in number:
                number[index] = len(result.causes) + 1
                result.causes.append(causes[index])
        result.hunks.append((hunk, tuple(number[i] for i in found)))
    return result


class _Causes:
    """The causes of one page for one reader, each made once (what the reader may see of
    the suggestions is decided here)."""

    def __init__(self, session: Session, consultation: Consultation, actor: object) -> None:
        self.session = session
        self.consultation = consultation
        self.actor = actor
        self.is_editor = permissions.can_decide_feedback(session, actor, consultation)
        self.table: list[Cause] = []
        self._index: dict[tuple[str, int], int] = {}

    def index(self, key: tuple[str, int]) -> int:
        return self._index[key]

    def load(self, feedback_ids: Collection[int], editor_ids: Collection[int]) -> None:
        """Make the causes of these suggestions and editors (a few queries)."""
        names = {
            uid: name
            for uid, name in self.session.execute(
                select(User.id, User.name).where(User.id.in_(list(editor_ids)))
            )
        }
        for uid in editor_ids:
            self._add(("ed", uid), Cause(EDITOR, editor=names.get(uid)))
        if not feedback_ids:
            return
        rows = self.session.execute(
            select(Feedback, FeedbackReview, User.name, Organisation.name, Round)
            .join(User, User.id == Feedback.author_id)
            .join(Round, Round.id == Feedback.round_id)
            .outerjoin(Organisation, Organisation.id == Feedback.organisation_id)
            .outerjoin(FeedbackReview, FeedbackReview.feedback_id == Feedback.id)
            .where(
                Feedback.id.in_(list(feedback_ids)),
                Feedback.consultation_id == self.consultation.id,
            )
        ).all()
        seen, decided = self._visibility([r[4] for r in rows])
        for feedback, review, author, organisation, round_ in rows:
            if not seen(feedback, round_):
                self._add(("fb", feedback.id), Cause(HIDDEN))
                continue
            shows_decision = review is not None and round_.id in decided
            modified = shows_decision and review.decision == "accept_modified"
            self._add(
                ("fb", feedback.id),
                Cause(
                    SUGGESTION,
                    feedback_id=feedback.id,
                    revision_id=feedback.revision_id,
                    author=author,
                    organisation=organisation,
                    decision=review.decision if shows_decision else None,
                    response=review.response if shows_decision else "",
                    quote=feedback.quote,
                    replacement=review.replacement if modified else feedback.replacement,
                ),
            )
        for fid in feedback_ids:
            if ("fb", fid) not in self._index:  # not of this consultation: say nothing
                self._add(("fb", fid), Cause(HIDDEN))

    def _visibility(
        self, rounds: Sequence[Round]
    ) -> tuple[Callable[[Feedback, Round], bool], set[int]]:
        """Whether the reader sees a piece of feedback, and the rounds whose decisions the
        reader sees."""
        round_ids = {r.id for r in rounds}
        if self.is_editor:
            return (lambda _feedback, _round: True), round_ids
        viewer = permissions.feedback_viewer(self.session, self.actor, self.consultation)
        groups: dict[int, set[int]] = defaultdict(set)
        for round_id, group_id in self.session.execute(
            select(RoundGroup.round_id, RoundGroup.working_group_id).where(
                RoundGroup.round_id.in_(list(round_ids))
            )
        ):
            groups[round_id].add(group_id)

        def seen(feedback: Feedback, round_: Round) -> bool:
            return feedback.withdrawn_at is None and permissions.can_see_feedback(
                viewer,
                author_id=feedback.author_id,
                round_id=round_.id,
                visibility=round_.visibility,
                round_group_ids=groups[round_.id],
            )

        published = decisions.published_round_ids(
            self.session, self.consultation.id, PublicationKind.DECISIONS
        )
        return seen, published & round_ids

    def _add(self, key: tuple[str, int], cause: Cause) -> None:
        if key not in self._index:
            self._index[key] = len(self.table)
            self.table.append(cause)


def _chain(session: Session, revision: Revision, other: Revision) -> list[int]:
    """The revisions from ``revision`` back to ``other`` (without it) along their bases;
    empty when ``other`` is not among its ancestors."""
    base_of = dict(
        session.execute(
            select(Revision.id, Revision.base_revision_id).where(
                Revision.consultation_id == revision.consultation_id
            )
        ).all()
    )
    chain: list[int] = []
    current: int | None = revision.id
    while current is not None and current != other.id and current not in chain:
        chain.append(current)
        current = base_of.get(current)
    return chain if current == other.id else []


def _lineages(
    session: Session, ends: Mapping[int, tuple[SectionVersion, SectionVersion]]
) -> dict[int, list[SectionVersion]]:
    """Per section, its versions from the older one to the newer one along the versions
    they were edited from (``previous_id``); sections whose newer version does not
    descend from the older one within MAX_STEPS are left out."""
    known = {v.id: v for pair in ends.values() for v in pair}
    walks = {sid: [new] for sid, (_old, new) in ends.items()}
    done: dict[int, list[SectionVersion]] = {}
    for _ in range(MAX_STEPS):
        if not walks:
            break
        wanted = {
            walk[-1].previous_id
            for walk in walks.values()
            if walk[-1].previous_id is not None and walk[-1].previous_id not in known
        }
        if wanted:
            for version in session.scalars(
                select(SectionVersion).where(SectionVersion.id.in_(list(wanted)))
            ):
                known[version.id] = version
        for sid in list(walks):
            walk = walks[sid]
            previous = walk[-1].previous_id
            if previous is None or previous not in known:
                del walks[sid]
                continue
            walk.append(known[previous])
            if previous == ends[sid][0].id:
                done[sid] = walk[::-1]
                del walks[sid]
    return done


def for_comparison(
    session: Session, comparison: RevisionComparison, *, actor: object
) -> dict[int, SectionCauses]:
    """The causes of the body changes of each changed section of a comparison, by section
    id; empty for a pair with no merge on the way (see the module's docstring). The
    comparison was made for this actor (diffs.compare_revisions). Raises nothing."""
    revision, other = comparison.revision, comparison.other
    chain = _chain(session, revision, other)
    if not chain:
        return {}
    merged = session.scalar(
        select(ChangeProvenance.id).where(ChangeProvenance.revision_id.in_(chain)).limit(1)
    )
    if merged is None:
        return {}
    ends = {
        s.section_id: (s.old_version, s.new_version)
        for s in comparison.sections
        if s.old_version is not None
        and s.new_version is not None
        and s.old_version.body != s.new_version.body
    }
    lineages = _lineages(session, ends)
    if not lineages:
        return {}
    version_ids = [v.id for walk in lineages.values() for v in walk[1:]]
    rows: dict[int, list[ChangeProvenance]] = defaultdict(list)
    for row in session.scalars(
        select(ChangeProvenance)
        .where(ChangeProvenance.version_id.in_(version_ids))
        .order_by(ChangeProvenance.start, ChangeProvenance.id)
    ):
        rows[row.version_id].append(row)

    def editor_of(version: SectionVersion) -> int | None:
        own = rows.get(version.id)
        return own[0].editor_id if own else version.created_by_id

    causes = _Causes(session, revision.consultation, actor)
    causes.load(
        {r.feedback_id for found in rows.values() for r in found if r.feedback_id is not None},
        {e for walk in lineages.values() for v in walk[1:] if (e := editor_of(v)) is not None},
    )
    ops_of = {s.section_id: s.body_ops for s in comparison.sections}
    result: dict[int, SectionCauses] = {}
    for section_id, walk in lineages.items():
        spans: list[Span] = []
        for number, (before, after) in enumerate(itertools.pairwise(walk)):
            editor = editor_of(after)
            own = [
                Span(
                    r.start,
                    r.end,
                    causes.index(("fb", r.feedback_id) if r.feedback_id else ("ed", r.editor_id)),
                )
                for r in rows.get(after.id, [])
            ]
            spans = step(
                spans,
                before.body,
                after.body,
                own,
                editor=causes.index(("ed", editor)) if editor is not None else None,
                # One edit from the older version to the newer one: the diff shown.
                ops=ops_of[section_id] if len(walk) == 2 and number == 0 else None,
            )
        result[section_id] = _numbered(section_id, ops_of[section_id], spans, causes.table)
    return result


def for_plan(
    session: Session,
    consultation: Consultation,
    sections: Sequence[tuple[int, Sequence[Op], Sequence[Placed], bool]],
    *,
    actor: object,
) -> dict[int, SectionCauses]:
    """The causes of the changes a merge would make (its preview): per section (id, the
    diff of its body, the planned provenance, whether the actor edited it). A change no
    suggestion explains is the actor's edit when they edited the section. Raises
    NotPermitted when the actor is no user."""
    user = permissions.require_user(actor)
    causes = _Causes(session, consultation, actor)
    causes.load(
        {p.source for _sid, _ops, placed, _e in sections for p in placed if p.source is not None},
        [user.id],
    )
    mine = causes.index(("ed", user.id))
    result: dict[int, SectionCauses] = {}
    for section_id, ops, placed, edited in sections:
        spans = [
            Span(p.start, p.end, causes.index(("fb", p.source)) if p.source is not None else mine)
            for p in placed
        ]
        if edited:
            spans += [Span(h.b0, h.b1, mine) for h, found in attribute(ops, spans) if not found]
        result[section_id] = _numbered(section_id, ops, spans, causes.table)
    return result


__all__ = [
    "EDITOR",
    "HIDDEN",
    "SUGGESTION",
    "Cause",
    "SectionCauses",
    "for_comparison",
    "for_plan",
]
