"""Why a text changed: the changes of a diff attributed to their causes (issue 11, item 7).

A :class:`Span` is a range of a text that one cause wrote: an accepted suggestion, or an
editor. A merge records such ranges for the text it made (its provenance, TEXT.md §5);
:func:`step` carries the ranges of a text through a later edit and adds what that edit
wrote itself, so that a text edited several times knows who wrote which part.
:func:`attribute` then says, for each change (hunk) of a diff from an older to the newer
text, which causes wrote it.

Causes are plain ints here: indexes into the caller's table of causes.

Plain Python: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from consult.domain.merging import Placed, carry
from consult.domain.textdiff import DELETE, EQUAL, INSERT, Op, word_diff


@dataclass(frozen=True, slots=True)
class Span:
    """``text[start:end]`` was written by ``cause``; ``start == end``: something was
    deleted there."""

    start: int
    end: int
    cause: int


@dataclass(frozen=True, slots=True)
class Hunk:
    """A run of inserts and deletes between equal text: ``old[a0:a1]`` became
    ``new[b0:b1]``; its ops are ``ops[first:last]``."""

    a0: int
    a1: int
    b0: int
    b1: int
    first: int
    last: int

    def has(self, ops: Sequence[Op], kind: str) -> bool:
        """Whether the hunk has an op of this kind (an insertion, a deletion)."""
        return any(ops[i][0] == kind for i in range(self.first, self.last))


def hunks(ops: Sequence[Op]) -> list[Hunk]:
    """The hunks of a diff, in order."""
    found: list[Hunk] = []
    a = b = 0
    opened: tuple[int, int, int] | None = None
    for index, (kind, text) in enumerate(ops):
        if kind == EQUAL:
            if opened is not None:
                found.append(Hunk(opened[0], a, opened[1], b, opened[2], index))
                opened = None
            a += len(text)
            b += len(text)
            continue
        if opened is None:
            opened = (a, b, index)
        if kind == DELETE:
            a += len(text)
        elif kind == INSERT:
            b += len(text)
    if opened is not None:
        found.append(Hunk(opened[0], a, opened[1], b, opened[2], len(ops)))
    return found


#: How far a change is looked at sliding over repeated text, at most (code points).
MAX_SLIDE = 200


def _where(hunk: Hunk, ops: Sequence[Op], new: str) -> tuple[int, int]:
    """The range of ``new`` over which the hunk could equally stand: a pure insertion or
    deletion can slide over text that repeats its edge (deleting " früh" or "früh " from
    "werden früh beteiligt" is the same), and the diff places it at a word boundary,
    not necessarily where the suggestion's range has it."""
    parts = ops[hunk.first : hunk.last]
    deleted = "".join(t for k, t in parts if k == DELETE)
    inserted = "".join(t for k, t in parts if k == INSERT)
    moving = deleted if not inserted else inserted if not deleted else ""
    lo, hi = hunk.b0, hunk.b1
    if not moving:
        return lo, hi
    text = moving
    while lo > 0 and hunk.b0 - lo < MAX_SLIDE and new[lo - 1] == text[-1]:
        text = text[-1] + text[:-1]
        lo -= 1
    text = moving
    while hi < len(new) and hi - hunk.b1 < MAX_SLIDE and new[hi] == text[0]:
        text = text[1:] + text[0]
        hi += 1
    return lo, hi


def _tier(span: Span, hunk: Hunk, lo: int, hi: int) -> int | None:
    """How surely the span wrote the hunk that stands at ``new[lo:hi]`` (slid): 0 it
    overlaps it (or, a deletion, stands in it), 1 it overlaps where the hunk could slide,
    2 it touches that; None: not near."""
    empty = span.start == span.end
    if empty and lo <= span.start <= hi:
        return 0
    if not empty:
        if hunk.b0 < hunk.b1:
            if span.start < hunk.b1 and hunk.b0 < span.end:
                return 0
            if span.start < hi and lo < span.end:
                return 1
        elif max(lo, span.start + 1) <= min(hi, span.end - 1):
            return 1  # a deletion inside the span's text
    if lo <= span.start <= hi or lo <= span.end <= hi:
        return 2
    return None


def causes_of(hunk: Hunk, spans: Sequence[Span], where: tuple[int, int]) -> tuple[int, ...]:
    """The causes of one hunk, which could stand at ``new[where[0]:where[1]]``, in the
    order of their spans: those whose spans overlap it, else those that overlap where it
    could slide, else those that touch that; none if no span is near (nothing is
    guessed)."""
    lo, hi = where
    found: dict[int, list[Span]] = {}
    for span in spans:
        tier = _tier(span, hunk, lo, hi)
        if tier is not None:
            found.setdefault(tier, []).append(span)
    if not found:
        return ()
    best = sorted(found[min(found)], key=lambda s: (s.start, s.end))
    return tuple(dict.fromkeys(s.cause for s in best))


def _new_text(ops: Sequence[Op]) -> str:
    return "".join(text for kind, text in ops if kind != DELETE)


def attribute(ops: Sequence[Op], spans: Sequence[Span]) -> list[tuple[Hunk, tuple[int, ...]]]:
    """Each hunk of the diff ``ops`` (older text -> the newer one, whose ranges ``spans``
    are) with its causes."""
    new = _new_text(ops)
    return [(hunk, causes_of(hunk, spans, _where(hunk, ops, new))) for hunk in hunks(ops)]


def step(
    spans: Sequence[Span],
    old: str,
    new: str,
    own: Sequence[Span] = (),
    *,
    editor: int | None = None,
    ops: Sequence[Op] | None = None,
) -> list[Span]:
    """The spans of ``new`` after an edit of ``old``: the spans of ``old`` carried through
    the edit (a range the edit removed entirely is dropped), the edit's ``own`` spans (of
    ``new``: a merge's provenance), and every change of the edit that no own span
    explains, attributed to ``editor`` (who made the edit; None: to nobody). ``ops``:
    the diff ``old`` -> ``new`` if the caller has it."""
    if old == new:
        return list(spans)
    carried = [
        Span(p.start, p.end, p.source)
        for p in carry([Placed(s.cause, s.start, s.end) for s in spans], old, new)
        if p.source is not None
    ]
    result = [*carried, *own]
    if editor is not None:
        diff = word_diff(old, new) if ops is None else ops
        result += [
            Span(hunk.b0, hunk.b1, editor) for hunk, found in attribute(diff, own) if not found
        ]
    return result


__all__ = ["MAX_SLIDE", "Hunk", "Span", "attribute", "causes_of", "hunks", "step"]
