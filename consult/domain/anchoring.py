"""Anchors on a section body and their re-anchoring onto a later version (TEXT.md 2-3).

An :class:`Anchor` is a W3C text quote plus text position selector: code-point
offsets into the stored body, the quoted text, and up to 32 code points of context
on either side. :func:`relocate` carries an anchor from the body it was made on
(``A``) to another body (``B``) in four steps:

1. map both ends through the hunks of :func:`~consult.domain.textdiff.word_diff`;
2. in place: the same text there is ``exact`` (same offsets) or ``moved``; text at
   least 0.5 similar is ``fuzzy``;
3. elsewhere: score every exact occurrence of the quote as Hypothesis does and
   accept the best only with enough context and a clear lead -> ``moved``;
4. otherwise ``orphaned``: a missing anchor is honest, a wrong one misleads.

Refinements, each found on the benchmark in ``tests/benchmarks`` (they remove
wrong placements and cost almost no correct ones):

- a short quote (under 20 code points) whose text is still in place but whose
  prefix or suffix no longer matches there is *contested* if another occurrence
  matches on that side; step 3 then decides (a diff aligns the "Die " that begins
  a moved-away paragraph with the "Die " that begins its replacement);
- the intact quote found in step 3 with prefix *and* suffix matching beats a
  merely similar text in place (the paragraph moved, a similar one took its place);
- an occurrence of a short quote inside the very text that replaced it (an "a"
  inside the word that replaced the word it was in) is an edited successor:
  ``fuzzy``;
- "the only occurrence" rule of step 3 needs the quote to be unique in the old
  body too; a short quote that is the only occurrence in both bodies needs prefix
  *or* suffix (not both): there is no twin it could jump to;
- an insertion point whose surroundings moved and changed on one side is ``fuzzy``
  next to the other side's context if that stands exactly once in both bodies
  (see :func:`_one_sided`).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from consult.domain.errors import AnchorError
from consult.domain.textdiff import (
    DELETE,
    DIFF_VERSION,
    EQUAL,
    SIMILARITY_CHAR_LIMIT,
    Op,
    check_ops,
    similarity,
    word_diff,
)

#: The version of :func:`relocate`'s rules. Stored locations made by another version
#: (of these rules, or of the word diff they map through) are computed again when next
#: read: raise it with every change that can place any anchor differently.
RELOCATE_VERSION: Final = 1
#: What a stored location records as the algorithm that made it.
LOCATE_ALGORITHM: Final = f"relocate-{RELOCATE_VERSION}/diff-{DIFF_VERSION}"

#: Code points of context stored before and after a quote.
CONTEXT_LENGTH: Final = 32
#: Quotes shorter than this need both prefix and suffix to match when searched
#: (unless they stand just once in both bodies).
SHORT_QUOTE: Final = 20
#: Minimum similarity for a fuzzy match in place and for matching context.
MIN_SIMILARITY: Final = 0.5
#: Characters of the other side's context an insertion point placed by one side's
#: context must still have next to it.
_SIDE_CHECK: Final = 3
#: The best occurrence must beat the runner-up by this much.
MIN_LEAD: Final = 0.05

# Hypothesis' weights: quote, prefix, suffix, position.
_W_QUOTE: Final = 50.0
_W_PREFIX: Final = 20.0
_W_SUFFIX: Final = 20.0
_W_POSITION: Final = 2.0
_W_TOTAL: Final = _W_QUOTE + _W_PREFIX + _W_SUFFIX + _W_POSITION
# Absorbs float rounding in the comparisons of scores with MIN_LEAD.
_EPSILON: Final = 1e-9
# Strings up to this length get the cheap bit-vector bounds before a
# diff-match-patch comparison; longer ones go straight to similarity().
_BOUND_MAX_LENGTH: Final = 128

AnchorState = Literal["exact", "moved", "fuzzy", "orphaned"]
EXACT: Final = "exact"
MOVED: Final = "moved"
FUZZY: Final = "fuzzy"
ORPHANED: Final = "orphaned"


@dataclass(frozen=True, slots=True)
class Anchor:
    """A quote in a body: ``body[start:end] == quote``, with its context.

    ``prefix`` is up to :data:`CONTEXT_LENGTH` code points before ``start`` and
    ``suffix`` up to as many after ``end`` (shorter only at the body's edges).
    ``start == end`` with an empty quote is an insertion point (suggestions only).
    """

    start: int
    end: int
    quote: str
    prefix: str
    suffix: str

    @property
    def is_insertion(self) -> bool:
        """True for an insertion point (``start == end``, empty quote)."""
        return self.start == self.end


@dataclass(frozen=True, slots=True)
class Located:
    """Where an anchor stands in a later body: a state and, unless orphaned, a range."""

    state: AnchorState
    start: int | None
    end: int | None


_ORPHANED: Final = Located(ORPHANED, None, None)


def _check_range(body: str, start: int, end: int) -> None:
    if not 0 <= start <= end <= len(body):
        raise AnchorError(
            f"anchor range {start}..{end} does not fit a body of {len(body)} code points"
            " (need 0 <= start <= end <= length)"
        )


def make_anchor(body: str, start: int, end: int) -> Anchor:
    """Build the anchor for ``body[start:end]`` with its prefix and suffix.

    Raises AnchorError when ``start > end`` or either offset lies outside ``body``.
    """
    _check_range(body, start, end)
    return Anchor(
        start=start,
        end=end,
        quote=body[start:end],
        prefix=body[max(0, start - CONTEXT_LENGTH) : start],
        suffix=body[end : end + CONTEXT_LENGTH],
    )


def validate_anchor(body: str, start: int, end: int, quote: str) -> Anchor:
    """Check a submitted anchor against ``body`` and return it with its context.

    Raises AnchorError when the offsets do not fit the body (``0 <= start <= end
    <= len(body)``) or when ``quote`` is not ``body[start:end]``.
    """
    anchor = make_anchor(body, start, end)
    if anchor.quote != quote:
        raise AnchorError(
            f"the quote does not match the text at {start}..{end}: "
            f"expected {_preview(anchor.quote)}, got {_preview(quote)}"
        )
    return anchor


def _preview(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


# --- step 1: mapping positions through the hunks of the word diff --------------


class _PositionMap:
    """Maps offsets in ``A`` to offsets in ``B`` through the hunks of a diff.

    A hunk is a maximal run of inserts and deletes between two equalities: it
    replaces ``A[a0:a1]`` with ``B[b0:b1]`` (a pure insertion has ``a0 == a1``).
    """

    __slots__ = ("_a_starts", "_hunks")

    def __init__(self, ops: Iterable[Op]) -> None:
        hunks: list[tuple[int, int, int, int]] = []
        a = b = 0
        open_at: tuple[int, int] | None = None
        for kind, text in ops:
            if kind == EQUAL:
                if open_at is not None:
                    hunks.append((open_at[0], a, open_at[1], b))
                    open_at = None
                a += len(text)
                b += len(text)
                continue
            if open_at is None:
                open_at = (a, b)
            if kind == DELETE:
                a += len(text)
            else:
                b += len(text)
        if open_at is not None:
            hunks.append((open_at[0], a, open_at[1], b))
        self._hunks = hunks
        self._a_starts = [hunk[0] for hunk in hunks]

    def _hunk_at_or_before(self, p: int) -> tuple[int, int, int, int] | None:
        i = bisect_right(self._a_starts, p) - 1
        return self._hunks[i] if i >= 0 else None

    def map_start(self, p: int) -> int:
        """New offset of a range start: after an insertion at ``p``, at a hunk's beginning."""
        return self._map(p, at_start=True)

    def map_end(self, p: int) -> int:
        """New offset of a range end: before an insertion at ``p``, at a hunk's end."""
        return self._map(p, at_start=False)

    def _map(self, p: int, *, at_start: bool) -> int:
        hunk = self._hunk_at_or_before(p)
        if hunk is None:
            return p
        a0, a1, b0, b1 = hunk
        if p > a1:
            return p + (b1 - a1)
        if p == a1:
            if a0 == a1:  # a pure insertion exactly here stays outside the range
                return b1 if at_start else b0
            return b1
        if p == a0:
            return b0
        return b0 if at_start else b1  # strictly inside a changed hunk: its edge

    def map_point(self, p: int) -> list[tuple[int, bool]]:
        """Candidate new offsets of an insertion point, each with whether both
        neighbouring characters are unchanged (the point lies inside equal text).

        A point where the new text inserted something has two candidates (before
        and after the insertion); a point strictly inside replaced or deleted text
        has none.
        """
        hunk = self._hunk_at_or_before(p)
        if hunk is None:
            return [(p, True)]
        a0, a1, b0, b1 = hunk
        if p > a1:
            return [(p + (b1 - a1), True)]
        if p == a1:
            return [(b0, False), (b1, False)] if a0 == a1 else [(b1, False)]
        if p == a0:
            return [(b0, False)]
        return []


# --- similarity with a cheap exact bound --------------------------------------


class _LevenshteinPattern:
    """Bounds of :func:`similarity` from one pattern to many texts, with bit vectors.

    ``distance`` is the exact Levenshtein distance (Myers/Hyyrö), ``common`` the
    length of the longest common subsequence (Allison-Dix/Hyyrö); each costs a few
    big-integer operations per code point, against milliseconds for a diff. As
    diff-match-patch's ``diff_levenshtein`` counts each replacement run as its
    longer side, it lies between the true Levenshtein distance and, for a
    character diff (which keeps a longest common subsequence), ``len(a) + len(b)
    - 2 * common``.
    """

    __slots__ = ("_full", "_high", "_length", "_masks", "pattern")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._length = len(pattern)
        masks: dict[str, int] = {}
        for i, char in enumerate(pattern):
            masks[char] = masks.get(char, 0) | (1 << i)
        self._masks = masks
        self._full = (1 << self._length) - 1
        self._high = 1 << (self._length - 1) if pattern else 0

    def distance(self, text: str) -> int:
        """Levenshtein distance (insert, delete, substitute) from the pattern to ``text``."""
        if not self._length:
            return len(text)
        get, full, high = self._masks.get, self._full, self._high
        pv, mv, dist = full, 0, self._length
        for char in text:
            eq = get(char, 0)
            xv = eq | mv
            xh = (((eq & pv) + pv) ^ pv) | eq
            ph = mv | ~(xh | pv)  # negative: bits above the pattern are ignored
            mh = pv & xh
            if ph & high:
                dist += 1
            elif mh & high:
                dist -= 1
            ph = (ph << 1) | 1
            pv = ((mh << 1) | ~(xv | ph)) & full
            mv = ph & xv
        return dist

    def common(self, text: str) -> int:
        """Length of the longest common subsequence of the pattern and ``text``."""
        get, full = self._masks.get, self._full
        v = full
        for char in text:
            u = v & get(char, 0)
            v = (v + u) | (v - u)
        return self._length - (v & full).bit_count()

    def similarity_bound(self, text: str) -> float:
        """An upper bound of ``similarity(pattern, text)``; exact when they are equal.

        The cheaper bound from the longest common subsequence when that already
        falls short of :data:`MIN_SIMILARITY`, else the tighter one from the true
        distance. Both are computed as ``1 - distance / longest``, exactly as
        :func:`similarity` computes its value, so rounding cannot invert them.
        """
        if text == self.pattern:
            return 1.0
        longest = max(self._length, len(text))
        loose = 1.0 - (longest - self.common(text)) / longest
        if loose < MIN_SIMILARITY:
            return loose
        return 1.0 - self.distance(text) / longest


def _at_least_similar(a: str, b: str, threshold: float) -> bool:
    """``similarity(a, b) >= threshold``, running the diff only when cheap bounds cannot tell."""
    if a == b:
        return True
    longest = max(len(a), len(b))
    # Every bound is computed as 1 - distance / longest, like similarity() itself,
    # so float rounding cannot put a bound on the other side of the threshold.
    if 1.0 - (longest - min(len(a), len(b))) / longest < threshold:  # distance >= difference
        return False
    if longest > _BOUND_MAX_LENGTH:
        return similarity(a, b) >= threshold
    pattern, text = (_LevenshteinPattern(a), b) if len(a) <= len(b) else (_LevenshteinPattern(b), a)
    common = pattern.common(text)
    if 1.0 - (longest - common) / longest < threshold:  # distance >= longest - common
        return False
    if (
        longest <= SIMILARITY_CHAR_LIMIT
        and 1.0 - (len(a) + len(b) - 2 * common) / longest >= threshold
    ):
        return True
    if 1.0 - pattern.distance(text) / longest < threshold:
        return False
    return similarity(a, b) >= threshold


# --- context -------------------------------------------------------------------


def _before(body: str, at: int, prefix: str) -> str:
    """The text before ``at`` to compare with an anchor's prefix: as long as the prefix.

    As in Hypothesis, a prefix shortened by the start of the body (or empty) is
    compared with just as much text, so it does not count against a match.
    """
    return body[max(0, at - len(prefix)) : at]


def _after(body: str, at: int, suffix: str) -> str:
    """The text after ``at`` to compare with an anchor's suffix: as long as the suffix."""
    return body[at : at + len(suffix)]


def _context_scores(anchor: Anchor, body: str, start: int, end: int) -> tuple[bool, bool]:
    """Whether the prefix before ``start`` and the suffix after ``end`` are 0.5 similar."""
    return (
        _at_least_similar(anchor.prefix, _before(body, start, anchor.prefix), MIN_SIMILARITY),
        _at_least_similar(anchor.suffix, _after(body, end, anchor.suffix), MIN_SIMILARITY),
    )


# --- steps 2 to 4 ---------------------------------------------------------------


def _placed(anchor: Anchor, start: int, end: int) -> Located:
    same = start == anchor.start and end == anchor.end
    return Located(EXACT if same else MOVED, start, end)


@dataclass(slots=True)
class _Occurrence:
    start: int
    before: str
    after: str
    position: float
    prefix_score: float
    suffix_score: float
    bound: float = 0.0
    score: float = 0.0


@dataclass(frozen=True, slots=True)
class _Found:
    start: int
    prefix_score: float
    suffix_score: float

    @property
    def both_sides(self) -> bool:
        return self.prefix_score >= MIN_SIMILARITY and self.suffix_score >= MIN_SIMILARITY


def _accepts(quote_length: int, prefix_score: float, suffix_score: float, alone: bool) -> bool:
    if quote_length < SHORT_QUOTE and not alone:
        return prefix_score >= MIN_SIMILARITY and suffix_score >= MIN_SIMILARITY
    return (
        prefix_score >= MIN_SIMILARITY
        or suffix_score >= MIN_SIMILARITY
        or (alone and quote_length >= SHORT_QUOTE)
    )


def _occurrences(text: str, quote: str) -> list[int]:
    found: list[int] = []
    at = text.find(quote)
    while at >= 0:
        found.append(at)
        at = text.find(quote, at + 1)
    return found


def _unique(text: str, quote: str) -> bool:
    first = text.find(quote)
    return first >= 0 and text.find(quote, first + 1) < 0


def _score(o: _Occurrence, prefix_score: float, suffix_score: float) -> float:
    return (
        _W_QUOTE + _W_PREFIX * prefix_score + _W_SUFFIX * suffix_score + _W_POSITION * o.position
    ) / _W_TOTAL


def _search(anchor: Anchor, old_body: str, body: str, hint: int) -> _Found | None:
    """Step 3: the best exact occurrence of the quote in ``body``, or None.

    Every occurrence is scored as Hypothesis does (50 quote + 20 prefix + 20 suffix
    + 2 position, over 92); the best is accepted only with its context (see
    :func:`_accepts`) and a lead of :data:`MIN_LEAD` over the runner-up. "The only
    occurrence" means the only one in both bodies: a quote that stood twice in the
    old body and once in the new one may have lost the very copy the anchor was on.

    Gives the same answer as scoring every occurrence with :func:`similarity`, but
    an occurrence's exact score is only computed while its cheap upper bound could
    still change the outcome.
    """
    quote, prefix, suffix = anchor.quote, anchor.prefix, anchor.suffix
    starts = _occurrences(body, quote)
    if not starts:
        return None
    n_quote = len(quote)
    alone = len(starts) == 1 and _unique(old_body, quote)
    if n_quote < SHORT_QUOTE:
        # A short quote alone in both bodies may go by one side of its context, but
        # only with context of full length on both sides (not cut off by an edge).
        alone = alone and min(len(prefix), len(suffix)) >= SHORT_QUOTE
    prefix_pattern = _LevenshteinPattern(prefix)
    suffix_pattern = _LevenshteinPattern(suffix)
    length = max(len(body), 1)
    occurrences: list[_Occurrence] = []
    any_acceptable = False
    for at in starts:
        o = _Occurrence(
            start=at,
            before=_before(body, at, prefix),
            after=_after(body, at + n_quote, suffix),
            position=1.0 - abs(at - hint) / length,
            prefix_score=0.0,
            suffix_score=-1.0,
        )
        o.prefix_score = prefix_pattern.similarity_bound(o.before)
        occurrences.append(o)
        if not any_acceptable and (
            n_quote >= SHORT_QUOTE or alone or o.prefix_score >= MIN_SIMILARITY
        ):
            o.suffix_score = suffix_pattern.similarity_bound(o.after)
            any_acceptable = _accepts(n_quote, o.prefix_score, o.suffix_score, alone)
    if not any_acceptable:
        # Not even the upper bounds allow any occurrence: whichever is best fails.
        return None

    for o in occurrences:
        if o.suffix_score < 0:
            o.suffix_score = suffix_pattern.similarity_bound(o.after)
        o.bound = _score(o, o.prefix_score, o.suffix_score)
    occurrences.sort(key=lambda o: (-o.bound, o.start))
    # next_acceptable[i]: the highest bound among possibly acceptable occurrences from i on.
    next_acceptable = [-1.0] * (len(occurrences) + 1)
    for i in range(len(occurrences) - 1, -1, -1):
        o = occurrences[i]
        ok = _accepts(n_quote, o.prefix_score, o.suffix_score, alone)
        next_acceptable[i] = o.bound if ok else next_acceptable[i + 1]

    best: _Occurrence | None = None
    best_ok = False
    runner_up = float("-inf")
    for i, o in enumerate(occurrences):
        if best is not None:
            if o.bound <= runner_up:
                break  # the two leaders are settled
            if best_ok and o.bound < best.score - MIN_LEAD:
                break  # the leader and its lead are settled
            if not best_ok and next_acceptable[i] <= best.score:
                break  # no acceptable occurrence can overtake the leader
        o.prefix_score = 1.0 if o.before == prefix else similarity(prefix, o.before)
        o.suffix_score = 1.0 if o.after == suffix else similarity(suffix, o.after)
        o.score = _score(o, o.prefix_score, o.suffix_score)
        if best is None or o.score > best.score:
            if best is not None:
                runner_up = best.score
            best = o
            best_ok = _accepts(n_quote, o.prefix_score, o.suffix_score, alone)
        elif o.score > runner_up:
            runner_up = o.score
    if best is None or not best_ok or best.score - runner_up < MIN_LEAD - _EPSILON:
        return None
    return _Found(best.start, best.prefix_score, best.suffix_score)


def _uncontested(anchor: Anchor, body: str, start: int, end: int) -> bool:
    """Whether an in-place match of the quote's text stands unchallenged.

    A diff can align a short word with its twin in an unrelated replacement: a
    paragraph that moved away and a new one in its place both begin with "Die ".
    So a quote under :data:`SHORT_QUOTE` code points whose prefix or suffix no
    longer matches in place (similarity under 0.5) is contested when another
    occurrence of it matches on that side; step 3 then decides. Longer quotes
    carry their own evidence.
    """
    if len(anchor.quote) >= SHORT_QUOTE:
        return True
    others = [at for at in _occurrences(body, anchor.quote) if at != start]
    if not others:
        return True
    prefix_ok, suffix_ok = _context_scores(anchor, body, start, end)
    if prefix_ok and suffix_ok:
        return True
    n_quote = len(anchor.quote)
    for at in others:
        other_prefix_ok, other_suffix_ok = _context_scores(anchor, body, at, at + n_quote)
        if (other_prefix_ok and not prefix_ok) or (other_suffix_ok and not suffix_ok):
            return False
    return True


def _no_better_context(
    anchor: Anchor, body: str, successor: tuple[int, int] | None, found: _Found
) -> bool:
    """Whether the changed text in place has no more matching context sides than ``found``.

    In repetitive text the diff may map a quote onto a neighbouring, merely similar
    phrase while the quote itself stands intact next to it, with its context. Text
    that is both changed and no better framed is no reason to pass over the intact
    quote.
    """
    if successor is None:
        return True
    in_place = sum(_context_scores(anchor, body, *successor))
    found_sides = (found.prefix_score >= MIN_SIMILARITY) + (found.suffix_score >= MIN_SIMILARITY)
    return in_place <= found_sides


def _paragraph_around(body: str, at: int) -> str:
    start = body.rfind("\n\n", 0, at)
    end = body.find("\n\n", at)
    return body[start + 2 if start >= 0 else 0 : end if end >= 0 else len(body)]


def _relocate_range(anchor: Anchor, old_body: str, body: str, positions: _PositionMap) -> Located:
    # Step 1: map both ends through the hunks.
    start = positions.map_start(anchor.start)
    end = positions.map_end(anchor.end)
    # Step 2: in place.
    successor: tuple[int, int] | None = None
    fuzzy_in_place = False
    if start < end:
        current = body[start:end]
        if current == anchor.quote:
            if _uncontested(anchor, body, start, end):
                return _placed(anchor, start, end)
        else:
            successor = (start, end)
            fuzzy_in_place = _at_least_similar(anchor.quote, current, MIN_SIMILARITY)
    # Step 3: elsewhere.
    found = _search(anchor, old_body, body, hint=start)
    if found is not None:
        found_end = found.start + len(anchor.quote)
        inside_successor = (
            len(anchor.quote) < SHORT_QUOTE
            and successor is not None
            and successor[0] <= found.start
            and found_end <= successor[1]
            and _paragraph_around(body, found.start) not in old_body
        )
        overlaps_place = (
            successor is not None and found.start < successor[1] and found_end > successor[0]
        )
        if not inside_successor and (
            found.both_sides
            or not fuzzy_in_place
            or overlaps_place
            or _no_better_context(anchor, body, successor, found)
        ):
            # The intact quote overlapping the range the diff mapped it to is the
            # same text (the diff paired a repeated word differently); and with
            # context on both sides it beats a similar text in place: its paragraph
            # moved and another took its place. So does the intact quote with one
            # side of context when the similar text in place has no more than that.
            return _placed(anchor, found.start, found_end)
        if inside_successor and not fuzzy_in_place:
            # A short quote's text reappears inside new text that replaced it (an
            # "a" inside the word that replaced the word it was in): an edited
            # successor, not a move. A paragraph found unchanged in the old body
            # is a moved one, though, and a quote of 20 code points or more found
            # intact is evidence enough.
            return Located(FUZZY, found.start, found_end)
    if fuzzy_in_place:
        return Located(FUZZY, start, end)
    # Step 4.
    return _ORPHANED


def _context_matches(anchor: Anchor, body: str, at: int) -> bool:
    return (
        _before(body, at, anchor.prefix) == anchor.prefix
        and _after(body, at, anchor.suffix) == anchor.suffix
    )


def _relocate_point(anchor: Anchor, old_body: str, body: str, positions: _PositionMap) -> Located:
    candidates = positions.map_point(anchor.start)
    for at, _ in candidates:
        if _context_matches(anchor, body, at):
            return _placed(anchor, at, at)
    # Both neighbouring characters unchanged and the context still recognisable.
    for at, between_unchanged in candidates:
        if between_unchanged and all(_context_scores(anchor, body, at, at)):
            return _placed(anchor, at, at)
    context = anchor.prefix + anchor.suffix
    if context:
        places = [
            at + len(anchor.prefix)
            for at in _occurrences(body, context)
            if _context_matches(anchor, body, at + len(anchor.prefix))
        ]
        if len(places) == 1:
            return _placed(anchor, places[0], places[0])
    best_at, best_score = -1, -1.0
    for at, _ in candidates:
        if not all(_context_scores(anchor, body, at, at)):
            continue
        score = similarity(anchor.prefix, _before(body, at, anchor.prefix)) + similarity(
            anchor.suffix, _after(body, at, anchor.suffix)
        )
        if score > best_score:
            best_at, best_score = at, score
    if best_at >= 0:
        return Located(FUZZY, best_at, best_at)
    return _one_sided(anchor, old_body, body, [at for at, _ in candidates])


def _one_sided(anchor: Anchor, old_body: str, body: str, in_place: Sequence[int]) -> Located:
    """An insertion point whose surroundings moved and changed on one side.

    ``fuzzy`` right after its prefix if that context (the part in the point's own
    paragraph) is at least :data:`SHORT_QUOTE` long, stands exactly once in both bodies
    and is still followed by the suffix's first few characters; or likewise right
    before its suffix. Anything less could put the point on the wrong side of new
    words. Where the diff inserted text right at the point (two mapped candidates),
    a place from one to the other is left orphaned: which side of the new text the
    point belongs to is anyone's guess.
    """
    prefix, suffix = anchor.prefix, anchor.suffix
    ambiguous = (min(in_place), max(in_place)) if len(in_place) > 1 else (-1, -2)

    def usable(context: str, at: int, before: str, after: str) -> bool:
        return (
            len(context) >= SHORT_QUOTE
            and _unique(body, context)
            and _unique(old_body, context)
            and not ambiguous[0] <= at <= ambiguous[1]
            and body[max(0, at - len(before)) : at] == before
            and body[at : at + len(after)] == after
        )

    own_prefix = prefix.rsplit("\n\n", 1)[-1]
    at = body.find(own_prefix) + len(own_prefix)
    if usable(own_prefix, at, own_prefix, suffix[:_SIDE_CHECK]):
        return Located(FUZZY, at, at)
    own_suffix = suffix.split("\n\n", 1)[0]
    at = body.find(own_suffix)
    if usable(own_suffix, at, prefix[-_SIDE_CHECK:] if prefix else "", own_suffix):
        return Located(FUZZY, at, at)
    return _ORPHANED


def _check_anchor(anchor: Anchor, body: str) -> None:
    _check_range(body, anchor.start, anchor.end)
    if body[anchor.start : anchor.end] != anchor.quote:
        raise AnchorError(
            f"the anchor's quote {_preview(anchor.quote)} is not the old text at "
            f"{anchor.start}..{anchor.end}"
        )


def relocate_many(
    anchors: Sequence[Anchor],
    old_body: str,
    new_body: str,
    ops: Sequence[Op] | None = None,
) -> list[Located]:
    """Relocate several anchors made on ``old_body`` onto ``new_body``, diffing once.

    Returns one :class:`Located` per anchor, in order (see :func:`relocate`).
    Raises AnchorError when an anchor does not fit ``old_body`` (range or quote),
    and DiffError when ``ops`` are given but are not a diff of the two bodies.
    """
    for anchor in anchors:
        _check_anchor(anchor, old_body)
    if old_body == new_body:
        return [Located(EXACT, anchor.start, anchor.end) for anchor in anchors]
    if ops is None:
        ops = word_diff(old_body, new_body)
    else:
        check_ops(ops, old_body, new_body)
    positions = _PositionMap(ops)
    return [
        _relocate_point(anchor, old_body, new_body, positions)
        if anchor.is_insertion
        else _relocate_range(anchor, old_body, new_body, positions)
        for anchor in anchors
    ]


def relocate(
    anchor: Anchor,
    old_body: str,
    new_body: str,
    ops: Sequence[Op] | None = None,
) -> Located:
    """Relocate an anchor made on ``old_body`` onto ``new_body`` (TEXT.md section 3).

    ``ops`` may pass a precomputed ``word_diff(old_body, new_body)``. The result is
    ``exact`` (same offsets, same text), ``moved`` (same text at other offsets),
    ``fuzzy`` (the range covers the edited successor of the quote) or ``orphaned``
    (no range). Identical bodies give ``exact`` with the same offsets.

    An insertion point (``start == end``) is ``exact``/``moved`` where the diff maps
    it and its prefix and suffix still stand around it, or where both neighbouring
    characters are unchanged and prefix and suffix are still at least 0.5 similar;
    else ``moved`` to the single place where prefix and suffix stand together; else
    ``fuzzy`` at a mapped position whose surroundings are still at least 0.5 similar
    on both sides (text was inserted or replaced right at the point); else orphaned.

    Raises AnchorError when the anchor does not fit ``old_body`` (range or quote),
    and DiffError when ``ops`` are given but are not a diff of the two bodies.
    """
    return relocate_many([anchor], old_body, new_body, ops)[0]
