"""Comparing two revisions: which sections changed, and word-level ops per section.

Ops are cached per pair of section versions in ``section_diffs``. Versions never
change; the diff algorithm may, so each row names the algorithm that made it, and a
row made by another is computed again when read.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace

from flask_babel import gettext as _
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from consult.db import store_cached
from consult.domain.outline_diff import (
    ADDED,
    CHANGED,
    MOVED,
    REMOVED,
    UNCHANGED,
    Change,
    Placed,
    compare_outlines,
    count_statuses,
)
from consult.domain.textdiff import DELETE, DIFF_ALGORITHM, EQUAL, INSERT, Op, word_diff
from consult.errors import Invalid
from consult.models import Placement, Revision, SectionDiff, SectionVersion
from consult.models.revisions import RevisionChange
from consult.services import access
from consult.services import revisions as revision_service


@dataclass
class SectionComparison:
    """One section of a revision diff, ready for the views and the API."""

    change: Change
    old_version: SectionVersion | None
    new_version: SectionVersion | None
    title_ops: list[Op]
    body_ops: list[Op]

    @property
    def section_id(self) -> int:
        return self.change.section_id

    @property
    def status(self) -> str:
        return self.change.status

    @property
    def key(self) -> str:
        placed = self.change.new or self.change.old
        return placed.key if placed else ""

    @property
    def old_key(self) -> str:
        return self.change.old.key if self.change.old else ""

    @property
    def title(self) -> str:
        version = self.new_version or self.old_version
        return version.title if version else ""

    @property
    def depth(self) -> int:
        placed = self.change.new or self.change.old
        return placed.depth if placed else 0

    @property
    def is_change(self) -> bool:
        return self.status != "unchanged"


@dataclass
class RevisionComparison:
    revision: Revision
    other: Revision
    sections: list[SectionComparison] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return count_statuses([s.change for s in self.sections])


def _outlines(
    session: Session, revision_ids: Sequence[int]
) -> tuple[dict[int, list[Placed]], dict[int, SectionVersion]]:
    """The placed sections of each revision (in reading order) and their versions.

    Two queries; placements come as plain rows and each shared version is loaded once,
    which keeps large revisions cheap (most of a comparison's time is loading them).
    """
    placed = _placed(session, revision_ids)
    used = select(Placement.version_id).where(Placement.revision_id.in_(list(placed)))
    versions = {
        v.id: v for v in session.scalars(select(SectionVersion).where(SectionVersion.id.in_(used)))
    }
    return placed, versions


def _ops_for_pairs(
    session: Session, pairs: set[tuple[int, int]], versions: dict[int, SectionVersion]
) -> dict[tuple[int, int], dict[str, list[Op]]]:
    """Title and body ops per (old version, new version), from the cache or computed."""
    found: dict[tuple[int, int], dict[str, list[Op]]] = {}
    if not pairs:
        return found
    rows = session.execute(
        select(SectionDiff.old_version_id, SectionDiff.new_version_id, SectionDiff.ops_json).where(
            tuple_(SectionDiff.old_version_id, SectionDiff.new_version_id).in_(list(pairs)),
            SectionDiff.algorithm == DIFF_ALGORITHM,
        )
    )
    for old_id, new_id, ops_json in rows:
        data = json.loads(ops_json)
        found[(old_id, new_id)] = {
            "title": [(k, t) for k, t in data["title"]],
            "body": [(k, t) for k, t in data["body"]],
        }
    missing = [pair for pair in pairs if pair not in found]
    if missing:
        new_rows = []
        for old_id, new_id in missing:
            old, new = versions[old_id], versions[new_id]
            ops = {"title": word_diff(old.title, new.title), "body": word_diff(old.body, new.body)}
            found[(old_id, new_id)] = ops
            new_rows.append(
                {
                    "old_version_id": old_id,
                    "new_version_id": new_id,
                    "ops_json": json.dumps(ops, ensure_ascii=False),
                    "algorithm": DIFF_ALGORITHM,
                }
            )
        store_cached(session, SectionDiff, new_rows, keys=["old_version_id", "new_version_id"])
    return found


def compare(session: Session, revision: Revision, other: Revision) -> RevisionComparison:
    """Diff ``other`` -> ``revision`` (both already permission-checked, same consultation).
    Raises nothing."""
    placed, versions = _outlines(session, [revision.id, other.id])
    changes = compare_outlines(placed[other.id], placed[revision.id])
    pairs = {
        (c.old.version_id, c.new.version_id)
        for c in changes
        if c.old is not None and c.new is not None and c.old.version_id != c.new.version_id
    }
    cached = _ops_for_pairs(session, pairs, versions)
    result = RevisionComparison(revision=revision, other=other)
    for change in changes:
        old_v = versions[change.old.version_id] if change.old else None
        new_v = versions[change.new.version_id] if change.new else None
        if change.status == ADDED and new_v is not None:
            title_ops, body_ops = _whole(INSERT, new_v.title), _whole(INSERT, new_v.body)
        elif change.status == REMOVED and old_v is not None:
            title_ops, body_ops = _whole(DELETE, old_v.title), _whole(DELETE, old_v.body)
        elif old_v is not None and new_v is not None and old_v.id != new_v.id:
            ops = cached[(old_v.id, new_v.id)]
            title_ops, body_ops = ops["title"], ops["body"]
            if all(kind == EQUAL for kind, _ in title_ops + body_ops):
                # Two versions with the same text: not a change of the text.
                status = MOVED if change.moved else UNCHANGED
                change = replace(change, status=status, changed=False)
        else:
            assert new_v is not None
            title_ops, body_ops = _whole(EQUAL, new_v.title), _whole(EQUAL, new_v.body)
        result.sections.append(SectionComparison(change, old_v, new_v, title_ops, body_ops))
    return result


def _whole(kind: str, text: str) -> list[Op]:
    return [(kind, text)] if text else []


def compare_revisions(
    session: Session, revision_id: int, against_id: object, *, actor: object
) -> RevisionComparison:
    """The diff ``against`` -> ``revision`` for the actor. Raises NotFound or Invalid."""
    revision = access.get_revision(session, revision_id, actor=actor)
    if against_id is None or against_id == "":
        raise Invalid(
            _("Bitte eine Vergleichsfassung angeben (?against=…)."), code="missing_against"
        )
    try:
        other_id = int(str(against_id))
    except ValueError:
        raise Invalid(
            _("„against“ muss die Nummer einer Fassung sein."), code="invalid_against"
        ) from None
    other = access.get_revision(session, other_id, actor=actor)
    if other.consultation_id != revision.consultation_id:
        raise Invalid(
            _("Die Vergleichsfassung gehört zu einem anderen Verfahren."), code="invalid_against"
        )
    return compare(session, revision, other)


@dataclass
class HistoryEntry:
    revision: Revision
    compared_to: Revision | None
    counts: dict[str, int]


def _placed(session: Session, revision_ids: Collection[int]) -> dict[int, list[Placed]]:
    """The placed sections of each revision, in reading order (one query, plain rows)."""
    placed: dict[int, list[Placed]] = {rid: [] for rid in revision_ids}
    if not placed:
        return placed
    rows = session.execute(
        select(
            Placement.revision_id,
            Placement.section_id,
            Placement.version_id,
            Placement.key,
            Placement.parent_section_id,
            Placement.depth,
        )
        .where(Placement.revision_id.in_(list(placed)))
        .order_by(Placement.revision_id, Placement.position)
    )
    for revision_id, section_id, version_id, key, parent_id, depth in rows:
        placed[revision_id].append(Placed(section_id, version_id, key, parent_id, depth))
    return placed


def store_changes(session: Session, revision: Revision) -> None:
    """Count once what a revision being published changed, for the history: its
    sections, and the changes against each revision the history may compare it with
    (its base, and the revision numbered one less). Published revisions never change,
    so neither do the counts. Called by ``drafts.publish``; raises nothing."""
    previous_id = session.scalar(
        select(Revision.id).where(
            Revision.consultation_id == revision.consultation_id,
            Revision.number == revision.number - 1,
        )
    )
    others = sorted(
        {i for i in (revision.base_revision_id, previous_id) if i is not None and i != revision.id}
    )
    placed = _placed(session, [revision.id, *others])
    revision.section_count = len(placed[revision.id])
    for other in others:
        counts = count_statuses(compare_outlines(placed[other], placed[revision.id]))
        session.add(RevisionChange(revision_id=revision.id, compared_to_id=other, **counts))
    session.flush()


def history(session: Session, consultation_id: int, *, actor: object) -> list[HistoryEntry]:
    """Every readable revision, newest first, with its change counts against its base
    (or the revision before it) if the actor may read that one, else against nothing.

    A published revision's counts were stored when it was published (store_changes);
    only the draft is compared here (and a revision published without stored counts).
    At most three queries after the permission checks, whatever the number of revisions.
    Raises NotFound when the actor may not see the consultation.
    """
    consultation = access.get_consultation(session, consultation_id, actor=actor)
    revisions = revision_service.list_revisions(session, consultation, actor=actor)
    by_id = {r.id: r for r in revisions}
    by_number = {r.number: r for r in revisions}
    compared = {
        r.id: by_id.get(r.base_revision_id or -1) or by_number.get(r.number - 1) for r in revisions
    }
    stored: dict[tuple[int, int], dict[str, int]] = {}
    published = [r.id for r in revisions if not r.is_draft]
    if published:
        for row in session.scalars(
            select(RevisionChange).where(RevisionChange.revision_id.in_(published))
        ):
            stored[(row.revision_id, row.compared_to_id)] = {
                UNCHANGED: row.unchanged,
                CHANGED: row.changed,
                ADDED: row.added,
                REMOVED: row.removed,
                MOVED: row.moved,
            }

    def known(revision: Revision) -> dict[str, int] | None:
        other = compared[revision.id]
        if revision.is_draft:
            return None
        if other is not None:
            return stored.get((revision.id, other.id))
        if revision.section_count is None:
            return None
        # Against nothing, every section is new.
        return count_statuses([]) | {ADDED: revision.section_count}

    counts = {r.id: known(r) for r in revisions}
    # The draft (and revisions published without stored counts) are compared here.
    live = [r for r in revisions if counts[r.id] is None]
    placed = (
        _placed(
            session,
            {r.id for r in live} | {other.id for r in live if (other := compared[r.id])},
        )
        if live
        else {}
    )
    entries = []
    for revision in revisions:
        other = compared[revision.id]
        found = counts[revision.id]
        if found is None:
            found = count_statuses(
                compare_outlines(placed[other.id] if other else [], placed[revision.id])
            )
        entries.append(HistoryEntry(revision, other, found))
    return entries
