"""Applying accepted suggestions to a section body, with provenance (TEXT.md §5).

A :class:`Change` replaces ``body[start:end]`` with its text: an accepted suggestion
(its replacement, or the editor's own text when accepted modified). Changes apply
mechanically only where they do not conflict:

- two ranges overlap when ``a.start < b.end and b.start < a.end``;
- two insertions at the same offset conflict (which goes first would be a guess);
- an insertion strictly inside another change's range conflicts (it would be lost);
- ranges that only touch (``a.end == b.start``) and an insertion at the edge of a range
  do not: the insertion goes before a range starting there and after one ending there.

:func:`apply` builds the new body in one pass over the changes in offset order, so the
result does not depend on the order in which the suggestions were accepted, and records
where each change's text stands in the new body (its provenance). :func:`carry` moves
those ranges through a later edit of the whole body (the editor's own changes in the same
merge), and :func:`edited_ranges` says which ranges of the result the editor wrote.

Plain Python: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from consult.domain.errors import N_, MessageError
from consult.domain.textdiff import DELETE, EQUAL, Op, word_diff

#: Who made an edit in the same merge, besides the suggestions.
EDITOR: Final = None


@dataclass(frozen=True, slots=True, order=True)
class Change:
    """``body[start:end]`` replaced by ``text``; ``source`` names where it came from (a
    suggestion's id)."""

    start: int
    end: int
    text: str
    source: int

    @property
    def is_insertion(self) -> bool:
        return self.start == self.end


@dataclass(frozen=True, slots=True)
class Placed:
    """Where the text of ``source`` stands in the new body: ``new[start:end]``. ``source``
    None: the editor's own edit."""

    source: int | None
    start: int
    end: int


class ConflictError(MessageError, ValueError):
    """Changes that cannot all apply; ``sources`` names them (each pair once, in order)."""

    def __init__(self, pairs: list[tuple[int, int]]) -> None:
        self.pairs = pairs
        self.sources = sorted({source for pair in pairs for source in pair})
        super().__init__(
            N_("Diese Vorschläge überschneiden sich: %(ids)s."),
            ids=", ".join(str(s) for s in self.sources),
        )


class RangeError(MessageError, ValueError):
    """A change outside the body, or reversed."""


def _conflict(a: Change, b: Change) -> bool:
    if a.is_insertion and b.is_insertion:
        return a.start == b.start
    if a.is_insertion:
        return b.start < a.start < b.end
    if b.is_insertion:
        return a.start < b.start < a.end
    return a.start < b.end and b.start < a.end


def conflicts(changes: Iterable[Change]) -> list[tuple[int, int]]:
    """The pairs of sources whose changes conflict, each pair once (lower source first).

    Sorted by start, a change can only conflict with those that start before its end;
    so each is compared with the changes still "open" when it starts: linear in practice.
    """
    ordered = sorted(changes, key=lambda c: (c.start, c.end, c.source))
    found: set[tuple[int, int]] = set()
    open_changes: list[Change] = []
    for change in ordered:
        open_changes = [c for c in open_changes if c.end > change.start or c.start == change.start]
        for other in open_changes:
            if _conflict(other, change):
                found.add(tuple(sorted((other.source, change.source))))  # type: ignore[arg-type]
        open_changes.append(change)
    return sorted(found)


def apply(body: str, changes: Sequence[Change]) -> tuple[str, list[Placed]]:
    """The body with every change made, and where each change's text stands in it.

    Raises RangeError for a change outside the body (or reversed), ConflictError when
    changes conflict (nothing is applied then).
    """
    for change in changes:
        if not 0 <= change.start <= change.end <= len(body):
            raise RangeError(
                N_("Der Vorschlag %(source)s liegt außerhalb des Textes."), source=change.source
            )
    pairs = conflicts(changes)
    if pairs:
        raise ConflictError(pairs)
    # An insertion goes before a range that starts at the same offset.
    ordered = sorted(changes, key=lambda c: (c.start, c.end))
    pieces: list[str] = []
    placed: list[Placed] = []
    at = 0
    length = 0
    for change in ordered:
        kept = body[at : change.start]
        pieces.append(kept)
        length += len(kept)
        pieces.append(change.text)
        placed.append(Placed(change.source, length, length + len(change.text)))
        length += len(change.text)
        at = change.end
    pieces.append(body[at:])
    return "".join(pieces), placed


def _hunks(ops: Sequence[Op]) -> list[tuple[int, int, int, int]]:
    """(a0, a1, b0, b1) of each run of inserts and deletes between equalities."""
    hunks: list[tuple[int, int, int, int]] = []
    a = b = 0
    opened: tuple[int, int] | None = None
    for kind, text in ops:
        if kind == EQUAL:
            if opened is not None:
                hunks.append((opened[0], a, opened[1], b))
                opened = None
            a += len(text)
            b += len(text)
            continue
        if opened is None:
            opened = (a, b)
        if kind == DELETE:
            a += len(text)
        else:
            b += len(text)
    if opened is not None:
        hunks.append((opened[0], a, opened[1], b))
    return hunks


def _map(hunks: Sequence[tuple[int, int, int, int]], p: int, *, start: bool) -> int:
    """Where offset ``p`` of the old text stands in the new one. An insertion exactly at a
    range's start or end stays outside the range; a range edge inside a replaced run moves
    to that run's edge in the new text (a start to its beginning, an end to its end)."""
    shift = 0
    for a0, a1, b0, b1 in hunks:
        if p < a0:
            break
        if p == a0:
            if a0 == a1:  # a pure insertion here
                return b1 if start else b0
            return b0
        if p < a1:
            return b0 if start else b1
        if p == a1:
            return b1
        shift = b1 - a1
    return p + shift


def carry(placed: Sequence[Placed], old: str, new: str) -> list[Placed]:
    """The ranges of ``old`` in ``new`` after a later edit of the whole text (the
    editor's, in the same merge); a range the edit removed entirely is dropped."""
    if old == new:
        return list(placed)
    hunks = _hunks(word_diff(old, new))
    result = []
    for p in placed:
        start = _map(hunks, p.start, start=True)
        end = max(start, _map(hunks, p.end, start=False))
        if end > start or p.start == p.end:
            result.append(Placed(p.source, start, end))
    return result


def edited_ranges(old: str, new: str) -> list[Placed]:
    """The ranges of ``new`` that an edit from ``old`` wrote (the editor's provenance)."""
    return [Placed(EDITOR, b0, b1) for _a0, _a1, b0, b1 in _hunks(word_diff(old, new)) if b1 > b0]


__all__ = [
    "EDITOR",
    "Change",
    "ConflictError",
    "Placed",
    "RangeError",
    "apply",
    "carry",
    "conflicts",
    "edited_ranges",
]
