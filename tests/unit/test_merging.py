"""Applying accepted suggestions (consult.domain.merging; TEXT.md §5).

Properties: any set of non-conflicting changes gives the same text in any order of
acceptance; conflicts are found; the provenance of each change points at exactly its
text in the new body; accept-modified is a change with the editor's text; ranges carried
through a later edit by the editor keep pointing at what the suggestions wrote.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from consult.domain.merging import (
    EDITOR,
    Change,
    ConflictError,
    Placed,
    RangeError,
    apply,
    carry,
    conflicts,
    edited_ranges,
)

BODY = "Der Kreis fördert Sprache. Eltern werden früh beteiligt. Schulen öffnen sich."


def at(phrase: str, text: str, source: int) -> Change:
    start = BODY.index(phrase)
    return Change(start, start + len(phrase), text, source)


# --- examples ----------------------------------------------------------------------------


def test_replacement_deletion_and_insertion() -> None:
    changes = [
        at("fördert", "unterstützt", 1),
        at(" früh", "", 2),
        Change(len(BODY), len(BODY), " Vereine helfen.", 3),
    ]
    new, placed = apply(BODY, changes)
    assert new == (
        "Der Kreis unterstützt Sprache. Eltern werden beteiligt. Schulen öffnen sich. "
        "Vereine helfen."
    )
    assert [(p.source, new[p.start : p.end]) for p in placed] == [
        (1, "unterstützt"),
        (2, ""),
        (3, " Vereine helfen."),
    ]


def test_touching_ranges_and_an_insertion_at_an_edge_apply() -> None:
    word = BODY.index("Sprache")
    changes = [
        Change(word, word + 7, "Bildung", 1),
        Change(word + 7, word + 8, "!", 2),  # touches the end of 1
        Change(word, word, "frühe ", 3),  # at the start of 1: goes before it
    ]
    assert conflicts(changes) == []
    new, _ = apply(BODY, changes)
    assert "fördert frühe Bildung! Eltern" in new


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (Change(4, 10, "x", 1), Change(8, 12, "y", 2)),  # overlap
        (Change(4, 10, "x", 1), Change(4, 10, "y", 2)),  # the same range
        (Change(4, 10, "x", 1), Change(5, 6, "y", 2)),  # nested
        (Change(5, 5, "x", 1), Change(5, 5, "y", 2)),  # two insertions at one offset
        (Change(4, 10, "x", 1), Change(7, 7, "y", 2)),  # an insertion strictly inside
    ],
)
def test_conflicts_are_found_and_nothing_applies(a: Change, b: Change) -> None:
    assert conflicts([a, b]) == [(1, 2)] == conflicts([b, a])
    with pytest.raises(ConflictError) as caught:
        apply(BODY, [a, b])
    assert caught.value.sources == [1, 2]


def test_changes_outside_the_body_are_refused() -> None:
    for change in (Change(-1, 2, "x", 1), Change(5, 3, "x", 1), Change(0, len(BODY) + 1, "", 1)):
        with pytest.raises(RangeError):
            apply(BODY, [change])


def test_accept_modified_is_the_editors_text_at_the_suggestions_range() -> None:
    suggested = at("früh", "sehr früh", 7)
    modified = Change(suggested.start, suggested.end, "von Anfang an", suggested.source)
    new, [placed] = apply(BODY, [modified])
    assert new[placed.start : placed.end] == "von Anfang an"
    assert "sehr früh" not in new


def test_ranges_carried_through_the_editors_edit() -> None:
    new, placed = apply(BODY, [at("fördert", "unterstützt", 1), at("öffnen", "öffneten", 2)])
    edited = "Vorab: " + new.replace("Eltern werden", "Familien werden")
    carried = carry(placed, new, edited)
    assert [(p.source, edited[p.start : p.end]) for p in carried] == [
        (1, "unterstützt"),
        (2, "öffneten"),
    ]
    mine = edited_ranges(new, edited)
    assert {edited[p.start : p.end] for p in mine} >= {"Vorab: ", "Familien"}
    assert all(p.source is EDITOR for p in mine)


def test_a_range_the_editor_deleted_is_dropped() -> None:
    new, placed = apply(BODY, [at("früh", "sehr früh", 1)])
    edited = new.replace(" sehr früh", "")
    assert carry(placed, new, edited) == []


# --- properties --------------------------------------------------------------------------

texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)


@st.composite
def bodies_and_changes(draw: st.DrawFn) -> tuple[str, list[Change]]:
    body = draw(st.text(alphabet="abc xyzäö😀\n", min_size=0, max_size=80))
    count = draw(st.integers(0, 8))
    changes = []
    for source in range(1, count + 1):
        start = draw(st.integers(0, len(body)))
        end = draw(st.integers(start, min(len(body), start + 12)))
        changes.append(Change(start, end, draw(texts), source))
    return body, changes


@given(bodies_and_changes())
def test_without_conflicts_the_order_of_acceptance_does_not_matter(
    case: tuple[str, list[Change]],
) -> None:
    body, changes = case
    assume(not conflicts(changes))
    results = {
        apply(body, list(order))[0]
        for order in itertools.islice(itertools.permutations(changes), 24)
    }
    assert len(results) == 1
    # And the same as applying them one by one from the highest offset down.
    text = body
    for change in sorted(changes, key=lambda c: (c.start, c.end), reverse=True):
        text = text[: change.start] + change.text + text[change.end :]
    assert results == {text}


@given(bodies_and_changes())
def test_provenance_points_at_exactly_each_changes_text(case: tuple[str, list[Change]]) -> None:
    body, changes = case
    assume(not conflicts(changes))
    new, placed = apply(body, changes)
    by_source = {c.source: c for c in changes}
    assert sorted(p.source for p in placed) == sorted(by_source)
    for p in placed:
        assert new[p.start : p.end] == by_source[p.source].text
    # What no change touched is still there, in order, between the placed ranges.
    kept = "".join(
        new[a.end : b.start]
        for a, b in zip(
            [Placed(0, 0, 0), *sorted(placed, key=lambda p: p.start)],
            [*sorted(placed, key=lambda p: p.start), Placed(0, len(new), len(new))],
            strict=True,
        )
    )
    removed = sum(c.end - c.start for c in changes)
    assert len(kept) == len(body) - removed


@given(bodies_and_changes())
def test_conflicts_are_exactly_the_pairs_that_clash(case: tuple[str, list[Change]]) -> None:
    _, changes = case
    expected = set()
    for a, b in itertools.combinations(changes, 2):
        if a.is_insertion and b.is_insertion:
            clash = a.start == b.start
        elif a.is_insertion:
            clash = b.start < a.start < b.end
        elif b.is_insertion:
            clash = a.start < b.start < a.end
        else:
            clash = a.start < b.end and b.start < a.end
        if clash:
            expected.add(tuple(sorted((a.source, b.source))))
    assert set(conflicts(changes)) == expected
    if expected:
        with pytest.raises(ConflictError):
            apply(case[0], changes)
