"""Splitting a block of text into pieces covered by feedback ranges, for highlighting."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple


class Mark(NamedTuple):
    """A feedback range in body offsets; ``start == end`` is an insertion point.

    A tuple: rendered bodies are cached by their marks, and tuples hash and compare in C.
    """

    feedback_id: int
    start: int
    end: int
    is_suggestion: bool = False


@dataclass
class Piece:
    """A run of block text covered by the same marks, and insertions that follow it."""

    text: str
    comment_ids: tuple[int, ...] = ()
    suggestion_ids: tuple[int, ...] = ()
    #: Suggestions whose range ends here (or insert here): their replacement follows.
    then_insert: list[int] = field(default_factory=list)


def pieces(text: str, start: int, marks: Sequence[Mark], *, last: bool = False) -> list[Piece]:
    """Cut ``text`` (which starts at body offset ``start``) at every mark boundary.

    Each piece carries the ids of the comments and suggestions covering it; a
    suggestion's id is listed in ``then_insert`` of the piece that ends its range,
    and insertion points inside the block get an empty piece of their own. An
    insertion exactly at the block's end belongs to this block only when ``last``
    (the block is the last one before the insertion point), so it is shown once.
    """
    end = start + len(text)
    relevant = [
        m
        for m in marks
        if (m.start < end and m.end > start)
        or (m.start == m.end and (start <= m.start < end or (last and m.start == end)))
        or (m.is_suggestion and m.start < m.end and m.end == end and m.start >= start)
    ]
    if not relevant:
        return [Piece(text)]
    cuts = {start, end}
    for m in relevant:
        cuts.add(min(max(m.start, start), end))
        cuts.add(min(max(m.end, start), end))
    points = sorted(cuts)
    result: list[Piece] = []
    inserts_at: dict[int, list[int]] = {}
    for m in relevant:
        if m.is_suggestion and start <= m.end <= end and (m.start < m.end or m.end < end or last):
            inserts_at.setdefault(m.end, []).append(m.feedback_id)
    # Insertions at the very start of the block come before its first piece.
    if inserts_at.get(start):
        result.append(Piece("", then_insert=inserts_at.pop(start)))
    for a, b in itertools.pairwise(points):
        covering = [m for m in relevant if m.start < b and m.end > a]
        piece = Piece(
            text[a - start : b - start],
            comment_ids=tuple(m.feedback_id for m in covering if not m.is_suggestion),
            suggestion_ids=tuple(m.feedback_id for m in covering if m.is_suggestion),
        )
        piece.then_insert = inserts_at.pop(b, [])
        result.append(piece)
    return result
