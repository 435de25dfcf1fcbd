"""Word-level diffs of plain text (TEXT.md section 4).

Texts are split into tokens (words, runs of white space, single other characters),
each distinct token is mapped to one private-use code point, and diff-match-patch
diffs the encoded strings, followed by ``diff_cleanupSemantic``.

For speed the diff runs in levels: paragraphs first (a paragraph that moved
unchanged is reported as deleted and inserted, not paired with whatever took its
place); inside each run of replaced paragraphs, sentences; then words only inside
the runs of replaced sentences.

``Diff_Timeout`` is 0: with a timeout, diff-match-patch silently degrades a large
diff to "delete everything, insert everything", depending on the machine's speed.
Instead each bisection gets a fixed budget of steps (see :class:`_StepBudget`), so
the same texts always give the same diff.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Final

from diff_match_patch import diff_match_patch  # type: ignore[import-untyped,unused-ignore]

from consult.domain.errors import DiffError

#: One diff op: ``(kind, text)`` with kind one of :data:`EQUAL`, :data:`INSERT`,
#: :data:`DELETE`.
Op = tuple[str, str]

EQUAL: Final = "equal"
INSERT: Final = "insert"
DELETE: Final = "delete"

_DMP_KIND: Final = {0: EQUAL, 1: INSERT, -1: DELETE}

#: The version of :func:`word_diff`'s output. Stored diffs made by another version are
#: computed again when next read: raise it with every change that alters any diff.
DIFF_VERSION: Final = 1
#: What a stored diff records as the algorithm that made it.
DIFF_ALGORITHM: Final = f"word-diff-{DIFF_VERSION}"
_KIND_DMP: Final = {EQUAL: 0, INSERT: 1, DELETE: -1}

#: Code points that stand for tokens in the encoded strings handed to
#: diff-match-patch: the BMP private use area, then the private use planes 15 and
#: 16 (137,468 distinct tokens per diffed run). The encoded strings contain nothing
#: but these characters, so they cannot collide with the text itself.
_CODE_RANGES: tuple[tuple[int, int], ...] = (
    (0xE000, 0xF8FF),
    (0xF0000, 0xFFFFD),
    (0x100000, 0x10FFFD),
)

#: Runs of replaced paragraphs longer than this (in code points, both sides
#: together) are diffed sentence by sentence before the word diff.
_SENTENCE_LEVEL_ABOVE: Final = 300

#: Strings up to this length (the longer one) are compared character by character
#: in :func:`similarity`; longer ones word by word.
SIMILARITY_CHAR_LIMIT: Final = 100

_PARAGRAPH_BREAK = re.compile(r"(?<=\n\n)(?=[^\n])")
_SENTENCE_END = re.compile(r"[.!?…;:]+\s+|\n\s*")

# Characters that extend the preceding symbol without being ``\w``, besides the
# combining marks (Unicode category M, which includes the variation selectors):
# emoji skin tone modifiers and tag characters (subdivision flags).
_EMOJI_EXTENDERS: Final = "\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f"


class _StepBudget:
    """Stands in for diff-match-patch's deadline, counting steps instead of seconds.

    ``diff_bisect`` checks ``time.time() > deadline`` once per edit-distance step;
    Python answers that comparison with this object's ``__lt__``, which says "past
    the deadline" once the steps are used up. The bisection then returns
    "delete all, insert all" for its (sub)problem, exactly as on a timeout, but
    deterministically: the same texts always give the same diff.
    """

    __slots__ = ("_left",)

    def __init__(self, steps: int) -> None:
        self._left = steps

    def __lt__(self, _now: object) -> bool:
        self._left -= 1
        return self._left < 0


def _new_dmp(*, bisect_steps: int | None) -> diff_match_patch:
    """A diff-match-patch with no timeout and, if given, a step budget per bisection."""
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0
    if bisect_steps is not None:
        plain_bisect = dmp.diff_bisect
        steps = bisect_steps

        def bounded_bisect(text1: str, text2: str, _deadline: object) -> object:
            return plain_bisect(text1, text2, _StepBudget(steps))

        # diff-match-patch calls self.diff_bisect, so the instance attribute wins.
        dmp.diff_bisect = bounded_bisect
    return dmp


#: Each bisection of a word diff may take this many edit-distance steps. A run
#: needs about twice as many token edits to exceed it; such runs are rewritten
#: wholesale, and ``diff_cleanupSemantic`` would report them as one replacement
#: anyway. Without the cap, a rewritten 3 KB paragraph costs 0.8 s.
_WORD_BISECT_STEPS: Final = 200
#: The same for the paragraph and sentence levels, whose sequences are short: a
#: body needs about 2,000 changed paragraphs to exceed it.
_CHUNK_BISECT_STEPS: Final = 1000

_WORD_DMP: Final = _new_dmp(bisect_steps=_WORD_BISECT_STEPS)
_CHUNK_DMP: Final = _new_dmp(bisect_steps=_CHUNK_BISECT_STEPS)
_CHAR_DMP: Final = _new_dmp(bisect_steps=None)


def _combining_mark_ranges() -> str:
    """All combining marks (category M) as the inside of a regex character class."""
    ranges: list[str] = []
    first = last = -2
    for cp in (*range(0x300, 0x20000), *range(0xE0100, 0xE01F0)):
        if unicodedata.category(chr(cp))[0] != "M":
            continue
        if cp != last + 1:
            if first >= 0:
                ranges.append(f"{chr(first)}-{chr(last)}")
            first = cp
        last = cp
    ranges.append(f"{chr(first)}-{chr(last)}")
    return "".join(ranges)


@functools.cache
def _token_pattern() -> re.Pattern[str]:
    """Compile the tokenizer; built on first use because collecting the marks takes ~50 ms."""
    marks = _combining_mark_ranges()
    extend = f"[{marks}{_EMOJI_EXTENDERS}]"
    # A word is a run of \w with the marks in it. Any other character takes its
    # marks and modifiers along, and a zero width joiner glues it to the next
    # symbol (emoji sequences) but never to a word character, so a word is never
    # split between two tokens. A pair of regional indicators is one flag.
    pattern = (
        rf"(?:\w|[{marks}])+"
        r"|\s+"
        rf"|[\U0001f1e6-\U0001f1ff]{{2}}{extend}*"
        rf"|.(?:{extend}|\u200d[^\w\s])*"
    )
    return re.compile(pattern, re.DOTALL)


def tokenize(text: str) -> list[str]:
    """Split ``text`` into diff tokens; joining them gives ``text`` back.

    Tokens are words (maximal runs of ``\\w``, with combining marks attached),
    maximal runs of white space, and single other characters (with their combining
    marks, emoji modifiers and zero-width-joiner sequences attached, so a grapheme
    such as ``e\\u0301`` or a family emoji is one token). Every maximal ``\\w+`` run
    lies inside one token.

    Raises nothing.
    """
    return _token_pattern().findall(text)


def _split_paragraphs(text: str) -> list[str]:
    """Paragraphs with the blank lines that follow them; joined, they give ``text``."""
    return _PARAGRAPH_BREAK.split(text)


def _split_sentences(text: str) -> list[str]:
    """Sentences (or lines) with the white space after them; joined, they give ``text``."""
    parts: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        parts.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        parts.append(text[start:])
    return parts


class _TooManyTokens(Exception):
    """More distinct tokens than :data:`_CODE_RANGES` provides code points."""


def _encode(a_tokens: Sequence[str], b_tokens: Sequence[str]) -> tuple[str, str, dict[str, str]]:
    """Map each distinct token to one code point; return both encoded strings and the map back.

    Raises _TooManyTokens when the code point ranges are exhausted.
    """
    codes: dict[str, str] = {}
    decode: dict[str, str] = {}
    ranges = iter(_CODE_RANGES)
    next_cp, last_cp = next(ranges)

    def encode(tokens: Sequence[str]) -> str:
        nonlocal next_cp, last_cp
        out: list[str] = []
        for token in tokens:
            code = codes.get(token)
            if code is None:
                if next_cp > last_cp:
                    try:
                        next_cp, last_cp = next(ranges)
                    except StopIteration:
                        raise _TooManyTokens from None
                code = chr(next_cp)
                next_cp += 1
                codes[token] = code
                decode[code] = token
            out.append(code)
        return "".join(out)

    return encode(a_tokens), encode(b_tokens), decode


def _diff_sequences(
    a_items: Sequence[str], b_items: Sequence[str], *, words: bool
) -> list[tuple[str, list[str]]]:
    """Diff two sequences of strings item by item; each op carries its items.

    Word diffs get ``diff_cleanupSemantic``; paragraph and sentence diffs keep
    every equal item. Raises _TooManyTokens when there are too many distinct items.
    """
    enc_a, enc_b, decode = _encode(a_items, b_items)
    if words:
        diffs = _WORD_DMP.diff_main(enc_a, enc_b, False)
        _WORD_DMP.diff_cleanupSemantic(diffs)
    else:
        diffs = _CHUNK_DMP.diff_main(enc_a, enc_b, False)
    return [(_DMP_KIND[kind], [decode[c] for c in data]) for kind, data in diffs]


class _OpBuilder:
    """Collects ops in canonical form.

    Neighbouring equalities are merged, empty texts dropped, and every hunk (the
    changes between two equalities) comes out as one deletion followed by one
    insertion, whatever order its pieces were added in.
    """

    def __init__(self) -> None:
        self._ops: list[Op] = []
        self._deleted: list[str] = []
        self._inserted: list[str] = []

    def add(self, kind: str, text: str) -> None:
        if not text:
            return
        if kind == DELETE:
            self._deleted.append(text)
        elif kind == INSERT:
            self._inserted.append(text)
        else:
            self._flush()
            if self._ops and self._ops[-1][0] == EQUAL:
                self._ops[-1] = (EQUAL, self._ops[-1][1] + text)
            else:
                self._ops.append((EQUAL, text))

    def replace(self, a: str, b: str) -> None:
        self.add(DELETE, a)
        self.add(INSERT, b)

    def _flush(self) -> None:
        if self._deleted:
            self._ops.append((DELETE, "".join(self._deleted)))
            self._deleted = []
        if self._inserted:
            self._ops.append((INSERT, "".join(self._inserted)))
            self._inserted = []

    def finish(self) -> list[Op]:
        self._flush()
        return self._ops


def _word_level(a: str, b: str, out: _OpBuilder) -> None:
    if not a or not b:
        out.replace(a, b)
        return
    try:
        chunks = _diff_sequences(tokenize(a), tokenize(b), words=True)
    except _TooManyTokens:
        out.replace(a, b)
        return
    for kind, tokens in chunks:
        out.add(kind, "".join(tokens))


def _sentence_level(a: str, b: str, out: _OpBuilder) -> None:
    """Diff a long run sentence by sentence, then word-diff each run of replaced sentences."""
    if len(a) + len(b) <= _SENTENCE_LEVEL_ABOVE or not a or not b:
        _word_level(a, b, out)
        return
    a_sentences, b_sentences = _split_sentences(a), _split_sentences(b)
    if len(a_sentences) <= 1 and len(b_sentences) <= 1:
        _word_level(a, b, out)
        return
    try:
        sentence_ops = _diff_sequences(a_sentences, b_sentences, words=False)
    except _TooManyTokens:
        _word_level(a, b, out)
        return
    for item in _runs(sentence_ops):
        if isinstance(item, str):
            out.add(EQUAL, item)
        else:
            _word_level("".join(item[0]), "".join(item[1]), out)


_Run = tuple[list[str], list[str]]


def _runs(chunk_ops: Iterable[tuple[str, list[str]]]) -> list[str | _Run]:
    """Group chunk ops into equal texts and runs of (deleted chunks, inserted chunks)."""
    items: list[str | _Run] = []
    deleted: list[str] = []
    inserted: list[str] = []
    for kind, chunks in chunk_ops:
        if kind == DELETE:
            deleted.extend(chunks)
        elif kind == INSERT:
            inserted.extend(chunks)
        else:
            if deleted or inserted:
                items.append((deleted, inserted))
                deleted, inserted = [], []
            items.append("".join(chunks))
    if deleted or inserted:
        items.append((deleted, inserted))
    return items


def _paragraph_key(chunk: str) -> str:
    return chunk.rstrip("\n")


_Moved = tuple[list[bool], list[bool]]


def _moved_paragraphs(items: Sequence[str | _Run]) -> dict[int, _Moved]:
    """For each run, which of its deleted and inserted paragraphs moved unchanged.

    A paragraph moved when it is deleted in one place and inserted, unchanged, in
    another. Paragraphs that keep their order within their own run (such as the
    last one, when a paragraph is added after it and it gains a blank line) stay
    in place: the word diff of the run keeps them as equalities.
    """
    deleted: set[str] = set()
    inserted: set[str] = set()
    for item in items:
        if not isinstance(item, str):
            deleted.update(_paragraph_key(chunk) for chunk in item[0])
            inserted.update(_paragraph_key(chunk) for chunk in item[1])
    moved: dict[int, _Moved] = {}
    for index, item in enumerate(items):
        if isinstance(item, str):
            continue
        a_keys = [_paragraph_key(chunk) for chunk in item[0]]
        b_keys = [_paragraph_key(chunk) for chunk in item[1]]
        a_in_place: set[int] = set()
        b_in_place: set[int] = set()
        matcher = difflib.SequenceMatcher(None, a_keys, b_keys, autojunk=False)
        for block in matcher.get_matching_blocks():
            a_in_place.update(range(block.a, block.a + block.size))
            b_in_place.update(range(block.b, block.b + block.size))
        a_moved = [
            bool(key) and key in inserted and i not in a_in_place for i, key in enumerate(a_keys)
        ]
        b_moved = [
            bool(key) and key in deleted and i not in b_in_place for i, key in enumerate(b_keys)
        ]
        if any(a_moved) or any(b_moved):
            moved[index] = (a_moved, b_moved)
    return moved


def _paragraph_run(
    a_chunks: list[str], b_chunks: list[str], moved: _Moved | None, out: _OpBuilder
) -> None:
    """Word-diff a run of replaced paragraphs, leaving out paragraphs that moved.

    A moved paragraph is reported as deleted here and inserted where it now stands;
    diffing it word by word against whatever paragraph took its place would pair
    unrelated texts, which is slow and misleads both readers and re-anchoring.
    """
    if moved is None:
        _sentence_level("".join(a_chunks), "".join(b_chunks), out)
        return
    a_moved, b_moved = moved
    rest = _OpBuilder()
    a_rest = "".join(c for c, m in zip(a_chunks, a_moved, strict=True) if not m)
    b_rest = "".join(c for c, m in zip(b_chunks, b_moved, strict=True) if not m)
    _sentence_level(a_rest, b_rest, rest)
    _splice(rest.finish(), _moved_at(a_chunks, a_moved), _moved_at(b_chunks, b_moved), out)


def _moved_at(chunks: list[str], moved: list[bool]) -> list[tuple[int, str]]:
    """Moved chunks with their offsets in the text of the chunks that stay."""
    found: list[tuple[int, str]] = []
    offset = 0
    for chunk, is_moved in zip(chunks, moved, strict=True):
        if is_moved:
            found.append((offset, chunk))
        else:
            offset += len(chunk)
    return found


def _splice(
    ops: Sequence[Op],
    deletions: list[tuple[int, str]],
    insertions: list[tuple[int, str]],
    out: _OpBuilder,
) -> None:
    """Emit ``ops`` with extra deletions and insertions at offsets of their old/new text."""
    i = j = 0
    a_at = b_at = 0

    def emit_due() -> None:
        nonlocal i, j
        while i < len(deletions) and deletions[i][0] == a_at:
            out.add(DELETE, deletions[i][1])
            i += 1
        while j < len(insertions) and insertions[j][0] == b_at:
            out.add(INSERT, insertions[j][1])
            j += 1

    for kind, text in ops:
        done = 0
        while done < len(text):
            emit_due()
            step = len(text) - done
            if kind != INSERT and i < len(deletions):
                step = min(step, deletions[i][0] - a_at)
            if kind != DELETE and j < len(insertions):
                step = min(step, insertions[j][0] - b_at)
            out.add(kind, text[done : done + step])
            done += step
            if kind != INSERT:
                a_at += step
            if kind != DELETE:
                b_at += step
    emit_due()


def word_diff(a: str, b: str) -> list[Op]:
    """Return the word-level diff of ``a`` and ``b`` as a list of ``(kind, text)`` ops.

    Paragraphs (split at blank lines) are diffed first. A paragraph that moved
    unchanged is reported as deleted and inserted; the other runs of replaced
    paragraphs get a word diff (runs over a few hundred code points are first
    diffed sentence by sentence). Guarantees: the ``equal`` and
    ``delete`` texts joined give ``a``; the ``equal`` and ``insert`` texts joined
    give ``b``; no op boundary falls inside a ``\\w+`` word or a grapheme built by
    :func:`tokenize`; no op is empty; equalities never touch, and between two of
    them comes at most one ``delete`` followed by at most one ``insert``. Equal
    texts give one ``equal`` op (none for two empty strings).

    Raises nothing: a run with more distinct tokens than can be encoded, or one so
    different that it exceeds the bisection budget, is reported as deleted and
    inserted as a whole, which is still a correct diff.
    """
    out = _OpBuilder()
    if a == b:
        out.add(EQUAL, a)
        return out.finish()
    a_paras, b_paras = _split_paragraphs(a), _split_paragraphs(b)
    try:
        para_ops = _diff_sequences(a_paras, b_paras, words=False)
    except _TooManyTokens:
        _sentence_level(a, b, out)
        return out.finish()
    items = _runs(para_ops)
    moved = _moved_paragraphs(items)
    for index, item in enumerate(items):
        if isinstance(item, str):
            out.add(EQUAL, item)
        else:
            _paragraph_run(item[0], item[1], moved.get(index), out)
    return out.finish()


def check_ops(ops: Sequence[Op], a: str, b: str) -> None:
    """Check that ``ops`` is a diff of ``a`` into ``b``.

    Raises DiffError when an op kind is unknown or the ops do not rebuild both texts.
    """
    old_parts: list[str] = []
    new_parts: list[str] = []
    for kind, text in ops:
        if kind == EQUAL:
            old_parts.append(text)
            new_parts.append(text)
        elif kind == DELETE:
            old_parts.append(text)
        elif kind == INSERT:
            new_parts.append(text)
        else:
            raise DiffError(f"unknown diff op {kind!r}")
    if "".join(old_parts) != a or "".join(new_parts) != b:
        raise DiffError("the diff ops do not rebuild the old and new text")


def levenshtein(ops: Iterable[Op]) -> int:
    """Return diff-match-patch's Levenshtein distance of ``ops`` in code points.

    Each run of insertions and deletions between two equalities counts as the
    larger of its inserted and deleted lengths. Raises KeyError for an unknown kind.
    """
    return int(_CHAR_DMP.diff_levenshtein([(_KIND_DMP[kind], text) for kind, text in ops]))


def similarity(a: str, b: str) -> float:
    """Return ``1 - Levenshtein(a, b) / max(len(a), len(b))``, between 0.0 and 1.0.

    Two empty strings are fully similar (1.0); an empty and a non-empty string not
    at all (0.0). The distance is diff-match-patch's ``diff_levenshtein`` over a
    character diff; strings over :data:`SIMILARITY_CHAR_LIMIT` code points are
    compared over :func:`word_diff` instead (the distance still counts code
    points), which keeps long comparisons fast. ``diff_levenshtein`` counts each
    hunk as its longer side, so it can exceed the longer length ("die " against
    " 👍🏽" gives 5); the result is then 0.0.

    Raises nothing.
    """
    if a == b:
        return 1.0
    longest = max(len(a), len(b))
    if not a or not b:
        return 0.0
    if longest <= SIMILARITY_CHAR_LIMIT:
        distance = int(_CHAR_DMP.diff_levenshtein(_CHAR_DMP.diff_main(a, b, False)))
    else:
        distance = levenshtein(word_diff(a, b))
    return max(0.0, 1.0 - distance / longest)
