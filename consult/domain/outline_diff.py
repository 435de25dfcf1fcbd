"""Which sections of two revisions were added, removed, moved or changed (TEXT.md 4)."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

UNCHANGED = "unchanged"
CHANGED = "changed"
ADDED = "added"
REMOVED = "removed"
MOVED = "moved"


@dataclass(frozen=True)
class Placed:
    """A section as it stands in one revision (reading order is the list order)."""

    section_id: int
    version_id: int
    key: str
    parent_id: int | None
    depth: int


@dataclass(frozen=True)
class Change:
    """One section in the comparison of ``old`` -> ``new``.

    ``status`` is one of unchanged/changed/added/removed/moved; a section that moved
    and whose text changed has status "changed" with ``moved`` True.
    """

    section_id: int
    status: str
    old: Placed | None
    new: Placed | None
    moved: bool
    changed: bool


def lcs_members(old: Sequence[int], new: Sequence[int]) -> set[int]:
    """Ids on one longest common subsequence of two sequences of distinct ids."""
    # Both sequences hold the same set of common ids (distinct), so the LCS of the
    # two orders is the longest increasing subsequence of old positions in new order.
    where = {sid: i for i, sid in enumerate(old)}
    seq = [where[sid] for sid in new if sid in where]
    tails: list[int] = []  # tails[k]: index in seq of the smallest tail of a run of length k+1
    back: list[int] = [-1] * len(seq)

    tail_values: list[int] = []
    for i, value in enumerate(seq):
        k = bisect_left(tail_values, value)
        if k == len(tail_values):
            tail_values.append(value)
            tails.append(i)
        else:
            tail_values[k] = value
            tails[k] = i
        back[i] = tails[k - 1] if k > 0 else -1
    members: set[int] = set()
    i = tails[-1] if tails else -1
    while i != -1:
        members.add(old[seq[i]])
        i = back[i]
    return members


def compare_outlines(old: Sequence[Placed], new: Sequence[Placed]) -> list[Change]:
    """Every section of both revisions, in the new reading order.

    Removed sections stand after the section that preceded them in ``old``. Changed
    means another version (the caller knows whether the text really differs: two
    versions with equal title and body are reported "changed" only if their ids
    differ, so keep versions shared when the text is unchanged).
    """
    old_by_id = {p.section_id: p for p in old}
    new_by_id = {p.section_id: p for p in new}
    common_old = [p.section_id for p in old if p.section_id in new_by_id]
    common_new = [p.section_id for p in new if p.section_id in old_by_id]
    in_order = lcs_members(common_old, common_new)

    changes: list[Change] = []
    for placed in new:
        before = old_by_id.get(placed.section_id)
        if before is None:
            changes.append(Change(placed.section_id, ADDED, None, placed, False, False))
            continue
        moved = placed.section_id not in in_order or before.parent_id != placed.parent_id
        changed = before.version_id != placed.version_id
        status = CHANGED if changed else MOVED if moved else UNCHANGED
        changes.append(Change(placed.section_id, status, before, placed, moved, changed))

    # Insert removed sections after their nearest surviving predecessor in old.
    position = {c.section_id: i for i, c in enumerate(changes)}
    inserts: dict[int, list[Change]] = {}
    anchor = -1
    for placed in old:
        if placed.section_id in new_by_id:
            anchor = position[placed.section_id]
        else:
            inserts.setdefault(anchor, []).append(
                Change(placed.section_id, REMOVED, placed, None, False, False)
            )
    result = list(inserts.get(-1, []))
    for i, change in enumerate(changes):
        result.append(change)
        result.extend(inserts.get(i, []))
    return result


def count_statuses(changes: Sequence[Change]) -> dict[str, int]:
    counts = {UNCHANGED: 0, CHANGED: 0, ADDED: 0, REMOVED: 0, MOVED: 0}
    for change in changes:
        counts[change.status] += 1
    return counts
