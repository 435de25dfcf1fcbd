"""Comparing two revisions: which sections changed, and word-level ops per section.

Ops are cached per pair of section versions in ``section_diffs``; versions never
change, so the cache never goes stale.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from flask_babel import gettext as _
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from consult.db import insert_ignoring_duplicates
from consult.domain.outline_diff import (
    ADDED,
    MOVED,
    REMOVED,
    UNCHANGED,
    Change,
    Placed,
    compare_outlines,
    count_statuses,
)
from consult.domain.textdiff import DELETE, EQUAL, INSERT, Op, word_diff
from consult.errors import Invalid
from consult.models import Placement, Revision, SectionDiff, SectionVersion
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
    placed: dict[int, list[Placed]] = {rid: [] for rid in revision_ids}
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
            tuple_(SectionDiff.old_version_id, SectionDiff.new_version_id).in_(list(pairs))
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
                }
            )
        insert_ignoring_duplicates(session, SectionDiff, new_rows)
    return found


def compare(session: Session, revision: Revision, other: Revision) -> RevisionComparison:
    """Diff ``other`` -> ``revision`` (both already permission-checked, same consultation)."""
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
    revision = revision_service.get_revision(session, revision_id, actor=actor)
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
    other = revision_service.get_revision(session, other_id, actor=actor)
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


def history(session: Session, consultation_id: int, *, actor: object) -> list[HistoryEntry]:
    """Every readable revision, newest first, with its change counts against its base
    (or the revision before it). Two queries, whatever the number of revisions."""
    from consult.services.consultations import get_consultation

    consultation = get_consultation(session, consultation_id, actor=actor)
    revisions = revision_service.list_revisions(session, consultation, actor=actor)
    by_id = {r.id: r for r in revisions}
    by_number = {r.number: r for r in revisions}
    placements: dict[int, list[Placed]] = {r.id: [] for r in revisions}
    if revisions:
        for p in session.scalars(
            select(Placement)
            .where(Placement.revision_id.in_(list(by_id)))
            .order_by(Placement.revision_id, Placement.position)
        ):
            placements[p.revision_id].append(
                Placed(p.section_id, p.version_id, p.key, p.parent_section_id, p.depth)
            )
    entries = []
    for revision in revisions:
        base = by_id.get(revision.base_revision_id or -1) or by_number.get(revision.number - 1)
        counts = count_statuses(
            compare_outlines(placements[base.id] if base else [], placements[revision.id])
        )
        entries.append(HistoryEntry(revision, base, counts))
    return entries
