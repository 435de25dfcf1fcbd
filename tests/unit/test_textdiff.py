"""Word-level diffs and similarity (consult.domain.textdiff, TEXT.md 4); their HTML is
tested with the filter that renders it (test_filters.py)."""

from __future__ import annotations

import itertools
import random
import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consult.domain import textdiff
from consult.domain.errors import DiffError
from consult.domain.textdiff import (
    DELETE,
    EQUAL,
    INSERT,
    Op,
    check_ops,
    levenshtein,
    similarity,
    tokenize,
    word_diff,
)

_WORD_CHAR = re.compile(r"\w")


def rebuild(ops: list[Op]) -> tuple[str, str]:
    old = "".join(text for kind, text in ops if kind != INSERT)
    new = "".join(text for kind, text in ops if kind != DELETE)
    return old, new


def assert_well_formed(ops: list[Op], a: str, b: str) -> None:
    """The guarantees of word_diff: rebuilds, canonical hunks, no split words."""
    assert rebuild(ops) == (a, b)
    check_ops(ops, a, b)
    assert all(text for _, text in ops)
    for (kind1, _), (kind2, _) in itertools.pairwise(ops):
        assert kind1 != kind2
        assert (kind1, kind2) != (INSERT, DELETE)  # a hunk is delete, then insert
    a_at = b_at = 0
    for i, (kind, text) in enumerate(ops):
        if i:
            assert not _inside_word(a, a_at), (a, a_at, ops)
            assert not _inside_word(b, b_at), (b, b_at, ops)
        if kind != INSERT:
            a_at += len(text)
        if kind != DELETE:
            b_at += len(text)


def _inside_word(text: str, at: int) -> bool:
    return (
        0 < at < len(text)
        and bool(_WORD_CHAR.match(text[at - 1]))
        and bool(_WORD_CHAR.match(text[at]))
    )


# --- tokenize ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("", []),
        ("Die Stadt, 2024!", ["Die", " ", "Stadt", ",", " ", "2024", "!"]),
        ("zwei  Leerzeichen\n\nAbsatz", ["zwei", "  ", "Leerzeichen", "\n\n", "Absatz"]),
        ("Straße über Öffnung", ["Straße", " ", "über", " ", "Öffnung"]),
        ("„Zitat“", ["„", "Zitat", "“"]),
        ("a\u00a0b", ["a", "\u00a0", "b"]),
        ("cafe\u0301 q\u0301x", ["cafe\u0301", " ", "q\u0301x"]),
        ("👍🏽 ok", ["👍🏽", " ", "ok"]),
        ("👨\u200d👩\u200d👧!", ["👨\u200d👩\u200d👧", "!"]),
        ("🇩🇪🇫🇷", ["🇩🇪", "🇫🇷"]),
        ("😀\u200da", ["😀", "\u200d", "a"]),
        ("مرحبا بالعالم", ["مرحبا", " ", "بالعالم"]),
        ("snake_case x2", ["snake_case", " ", "x2"]),
    ],
)
def test_tokenize_examples(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


_unicode_text = st.lists(
    st.sampled_from(
        [*"ab cdü ß\n\n.,;-_1\u00a0\t\u0301\u0308\u200d„“'👍🏽🇩🇪مر", "👨\u200d👩", "e\u0301"]
    ),
    max_size=60,
).map("".join)


@settings(max_examples=150, deadline=None)
@given(_unicode_text)
def test_tokens_rebuild_the_text_and_never_split_a_word(text: str) -> None:
    tokens = tokenize(text)
    assert "".join(tokens) == text
    assert all(tokens)
    at = 0
    for token in tokens[:-1]:
        at += len(token)
        assert not _inside_word(text, at)


# --- word_diff: examples -----------------------------------------------------------------


def test_equal_texts_give_one_equal_op() -> None:
    assert word_diff("Gleich.", "Gleich.") == [(EQUAL, "Gleich.")]
    assert word_diff("", "") == []


def test_diff_from_and_to_the_empty_text() -> None:
    assert word_diff("", "Neu.") == [(INSERT, "Neu.")]
    assert word_diff("Alt.", "") == [(DELETE, "Alt.")]


def test_a_changed_word_is_replaced_whole() -> None:
    ops = word_diff("Die Integration ist wichtig.", "Die Integrationen sind wichtig.")
    assert ops == [
        (EQUAL, "Die "),
        (DELETE, "Integration ist"),
        (INSERT, "Integrationen sind"),
        (EQUAL, " wichtig."),
    ]


def test_a_replaced_word_does_not_become_a_letter_diff() -> None:
    ops = word_diff("Die Kommune fördert.", "Die Stadt fördert.")
    assert ops == [(EQUAL, "Die "), (DELETE, "Kommune"), (INSERT, "Stadt"), (EQUAL, " fördert.")]


def test_only_changed_paragraphs_are_word_diffed() -> None:
    a = "Erster Absatz bleibt.\n\nZweiter Absatz alt.\n\nDritter Absatz bleibt."
    b = "Erster Absatz bleibt.\n\nZweiter Absatz neu.\n\nDritter Absatz bleibt."
    assert word_diff(a, b) == [
        (EQUAL, "Erster Absatz bleibt.\n\nZweiter Absatz "),
        (DELETE, "alt"),
        (INSERT, "neu"),
        (EQUAL, ".\n\nDritter Absatz bleibt."),
    ]


def test_a_moved_paragraph_is_deleted_and_inserted_not_paired_with_another() -> None:
    first = "Der erste Absatz handelt von Sprachkursen für Erwachsene.\n\n"
    second = "Der zweite Absatz beschreibt die Kinderbetreuung in den Kitas.\n\n"
    third = "Der dritte Absatz nennt die Kosten."
    ops = word_diff(first + second + third, second + first + third)
    assert_well_formed(ops, first + second + third, second + first + third)
    deleted = "".join(text for kind, text in ops if kind == DELETE)
    inserted = "".join(text for kind, text in ops if kind == INSERT)
    moved = {deleted, inserted}
    assert moved <= {first, second}, ops


def test_an_edited_sentence_in_a_long_paragraph_is_diffed_on_its_own() -> None:
    sentences = [f"Satz {i} beschreibt die Maßnahme {i} im Detail." for i in range(40)]
    a = " ".join(sentences)
    changed = list(sentences)
    changed[17] = "Satz 17 beschreibt die neue Maßnahme 17 im Detail."
    b = " ".join(changed)
    ops = word_diff(a, b)
    assert_well_formed(ops, a, b)
    assert [(kind, text) for kind, text in ops if kind != EQUAL] == [(INSERT, "neue ")]


def test_windows_line_ends_and_unicode_are_diffed_exactly() -> None:
    a = "Zeile\r\nmit 👍🏽 und cafe\u0301 und مرحبا\u00a0„Text“"
    b = "Zeile\r\nmit 👍 und café und مرحبا بالعالم\u00a0„Text“!"
    assert_well_formed(word_diff(a, b), a, b)


def test_more_than_6400_distinct_tokens_are_diffed_word_by_word() -> None:
    words = [f"wort{i}" for i in range(10_000)]
    a = " ".join(words)
    changed = list(words)
    changed[5000] = "geändert"
    b = " ".join(changed)
    ops = word_diff(a, b)
    assert_well_formed(ops, a, b)
    assert [(kind, text) for kind, text in ops if kind != EQUAL] == [
        (DELETE, "wort5000"),
        (INSERT, "geändert"),
    ]


def test_running_out_of_code_points_falls_back_to_a_whole_replacement(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(textdiff, "_CODE_RANGES", ((0xE000, 0xE00F),))
    a = " ".join(f"alt{i}" for i in range(20))
    b = " ".join(f"neu{i}" for i in range(20))
    ops = word_diff(a, b)
    assert ops == [(DELETE, a), (INSERT, b)]
    few_a, few_b = "eins zwei drei", "eins vier drei"
    assert word_diff(few_a, few_b) == [
        (EQUAL, "eins "),
        (DELETE, "zwei"),
        (INSERT, "vier"),
        (EQUAL, " drei"),
    ]


def test_a_completely_rewritten_long_paragraph_is_fast_and_deterministic() -> None:
    rng = random.Random(3)
    vocabulary = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyzäöüß", k=8)) for _ in range(400)]
    common = ["die", "der", "und", "in", "zu", "den"]

    def paragraph() -> str:
        return " ".join(rng.choice(vocabulary + common * 20) for _ in range(600))

    a, b = paragraph(), paragraph()
    started = time.process_time()
    ops = word_diff(a, b)
    elapsed = time.process_time() - started
    assert_well_formed(ops, a, b)
    assert word_diff(a, b) == ops
    assert elapsed < 0.6  # CPU seconds: about 0.1 with the step budget, 1.2 without


def test_300_kb_body_with_20_changed_paragraphs() -> None:
    rng = random.Random(5)
    paragraphs = [
        " ".join(f"w{rng.randrange(5000)}" for _ in range(rng.randint(30, 60))) + "."
        for _ in range(1200)
    ]
    a = "\n\n".join(paragraphs)
    changed = list(paragraphs)
    for i in rng.sample(range(len(changed)), 20):
        words = changed[i].split(" ")
        words[rng.randrange(len(words))] = "geändert"
        changed[i] = " ".join(words)
    b = "\n\n".join(changed)
    assert len(a) >= 300_000
    started = time.process_time()
    ops = word_diff(a, b)
    elapsed = time.process_time() - started
    assert_well_formed(ops, a, b)
    assert sum(1 for kind, _ in ops if kind == INSERT) <= 20
    assert elapsed < 1.0  # CPU seconds; tests/benchmarks holds the tight bound (100 ms)


# --- word_diff: properties ----------------------------------------------------------------

_prose = st.lists(
    st.one_of(
        st.sampled_from(
            ["die", "Stadt", "fördert", "Teilhabe", "und", "Integration", "2024", "ß", "Öl"]
        ),
        st.sampled_from([" ", " ", " ", "\n", "\n\n", ". ", ", ", "„", "“", "\u00a0", "-"]),
        st.text(alphabet="abcxyzäöü", min_size=1, max_size=6),
        st.sampled_from(["👍🏽", "e\u0301", "مرحبا", "\r\n"]),
    ),
    max_size=40,
).map("".join)


_piece = st.lists(st.sampled_from(["neu", " ", "Wort", ".", "\n\n", "ü", "👍🏽", "x"]), max_size=5)


@st.composite
def _edited(draw: st.DrawFn) -> tuple[str, str]:
    a = draw(_prose)
    b = a
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(b)))
        cut = draw(st.integers(0, min(8, len(b) - at)))
        b = b[:at] + "".join(draw(_piece)) + b[at + cut :]
    return a, b


@settings(max_examples=150, deadline=None)
@given(_prose, _prose)
def test_ops_rebuild_any_two_texts(a: str, b: str) -> None:
    assert_well_formed(word_diff(a, b), a, b)


@settings(max_examples=150, deadline=None)
@given(_edited())
def test_ops_rebuild_edited_texts_without_splitting_words(pair: tuple[str, str]) -> None:
    a, b = pair
    assert_well_formed(word_diff(a, b), a, b)


@settings(max_examples=60, deadline=None)
@given(st.lists(_prose, min_size=1, max_size=8), st.data())
def test_ops_rebuild_paragraph_moves(paragraphs: list[str], data: st.DataObject) -> None:
    a = "\n\n".join(paragraphs)
    shuffled = data.draw(st.permutations(paragraphs))
    b = "\n\n".join(shuffled)
    assert_well_formed(word_diff(a, b), a, b)


# --- check_ops, levenshtein ---------------------------------------------------------------


def test_check_ops_accepts_a_diff_and_rejects_others() -> None:
    ops = word_diff("alt und gut", "neu und gut")
    check_ops(ops, "alt und gut", "neu und gut")
    with pytest.raises(DiffError):
        check_ops(ops, "alt und gut", "anders")
    with pytest.raises(DiffError, match="unknown diff op"):
        check_ops([("replace", "x")], "x", "x")


def test_levenshtein_counts_each_hunk_as_its_longer_side() -> None:
    ops: list[Op] = [(EQUAL, "ab"), (DELETE, "cde"), (INSERT, "f"), (EQUAL, "g"), (INSERT, "hi")]
    assert levenshtein(ops) == 3 + 2
    assert levenshtein([]) == 0


# --- similarity ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("", "", 1.0),
        ("gleich", "gleich", 1.0),
        ("", "etwas", 0.0),
        ("etwas", "", 0.0),
        ("kitten", "sitting", 1 - 3 / 7),
        ("Robin", "Elisa", 0.0),
        ("Straße", "Strasse", 1 - 2 / 7),
    ],
)
def test_similarity_examples(a: str, b: str, expected: float) -> None:
    assert similarity(a, b) == pytest.approx(expected)


def test_similarity_of_long_texts_counts_code_points_over_words() -> None:
    a = "Die Stadt fördert die Teilhabe aller Menschen. " * 5
    b = a.replace("fördert", "stärkt", 1)
    assert len(a) > 100
    distance = max(len("fördert"), len("stärkt"))
    assert similarity(a, b) == pytest.approx(1 - distance / len(a))
    assert similarity(a, a + "x" * len(a)) <= 0.5


def test_similarity_is_never_negative() -> None:
    # diff_levenshtein counts delete "die", keep " ", insert "👍🏽" as 3 + 2 > 4
    assert similarity("die ", " 👍🏽") == 0.0


@settings(max_examples=150, deadline=None)
@given(_prose, _prose)
def test_similarity_is_between_zero_and_one(a: str, b: str) -> None:
    value = similarity(a, b)
    assert 0.0 <= value <= 1.0
    assert (value == 1.0) == (a == b)
