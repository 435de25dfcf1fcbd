"""Why a text changed (consult.domain.provenance; issue 11, item 7).

Examples: each change of a diff gets the suggestion that wrote it, a deletion too; an
editor's later edit is the editor's; ranges are carried through later edits; nothing is
guessed where no range is near. Properties: every inserted text of a merge is attributed
to the suggestion that wrote it, also after a later edit elsewhere; the hunks rebuild the
diff's positions.
"""

from __future__ import annotations

import re

from hypothesis import assume, given
from hypothesis import strategies as st

from consult.domain.merging import Change, apply, conflicts
from consult.domain.provenance import Span, attribute, hunks, step
from consult.domain.textdiff import DELETE, EQUAL, INSERT, word_diff

BODY = "Der Kreis fördert Sprache. Eltern werden früh beteiligt. Schulen öffnen sich."


def at(phrase: str, text: str, source: int) -> Change:
    start = BODY.index(phrase)
    return Change(start, start + len(phrase), text, source)


def merged(changes: list[Change], body: str = BODY) -> tuple[str, list[Span]]:
    new, placed = apply(body, changes)
    return new, [Span(p.start, p.end, p.source) for p in placed if p.source is not None]


def causes_by_text(old: str, new: str, spans: list[Span]) -> dict[str, tuple[int, ...]]:
    """What each hunk inserted (or deleted, in brackets), with its causes."""
    ops = word_diff(old, new)
    found = {}
    for hunk, causes in attribute(ops, spans):
        parts = ops[hunk.first : hunk.last]
        inserted = "".join(t for k, t in parts if k == INSERT)
        deleted = "".join(t for k, t in parts if k == DELETE)
        found[inserted or f"[{deleted}]"] = causes
    return found


# --- examples ----------------------------------------------------------------------------


def test_each_change_gets_the_suggestion_that_wrote_it() -> None:
    new, spans = merged(
        [at("fördert", "unterstützt", 1), at(" früh", "", 2), at("öffnen", "öffneten", 3)]
    )
    assert causes_by_text(BODY, new, spans) == {
        "unterstützt": (1,),
        "[früh ]": (2,),
        "öffneten": (3,),
    }


def test_a_suggestion_quoting_more_than_it_changes() -> None:
    # "Eltern werden früh" -> "Eltern werden sehr früh": the diff shows only "sehr ".
    new, spans = merged([at("Eltern werden früh", "Eltern werden sehr früh", 1)])
    assert causes_by_text(BODY, new, spans) == {"sehr ": (1,)}
    # "Der Kreis fördert" -> "Der Kreis": the deletion stands at the end of the range.
    new, spans = merged([at("Der Kreis fördert", "Der Kreis", 2)])
    assert causes_by_text(BODY, new, spans) == {"[fördert ]": (2,)}


def test_neighbouring_suggestions_in_one_hunk_are_both_named() -> None:
    new, spans = merged([at("Sprache", "Bildung", 1), at(". Eltern", "; Familien", 2)])
    found = causes_by_text(BODY, new, spans)
    assert set(found.values()) == {(1, 2)}


def test_no_range_near_a_change_gives_no_cause() -> None:
    new = BODY.replace("Schulen", "Alle Schulen")
    new_merged, spans = merged([at("fördert", "unterstützt", 1)])
    assert causes_by_text(BODY, new, [s for s in spans if s.start > 60]) == {"Alle ": ()}
    assert causes_by_text(BODY, new_merged, []) == {"unterstützt": ()}


def test_a_later_edit_is_the_editors_and_the_suggestions_are_carried_through_it() -> None:
    new, spans = merged([at("fördert", "unterstützt", 1), at("öffnen", "öffneten", 2)])
    edited = "Vorab: " + new.replace("Eltern werden", "Familien werden")
    carried = step(spans, new, edited, editor=9)
    assert causes_by_text(BODY, edited, carried) == {
        "Vorab: ": (9,),
        "unterstützt": (1,),
        "Familien": (9,),
        "öffneten": (2,),
    }


def test_a_merge_step_attributes_what_its_ranges_do_not_explain_to_its_editor() -> None:
    # The editor deleted a word in the same merge: a deletion leaves no range behind.
    new, spans = merged([at("fördert", "unterstützt", 1)])
    edited = new.replace(" früh", "")
    own = step(spans, new, edited)  # the merge's own ranges, carried through the edit
    after = step([], BODY, edited, own, editor=9)
    assert causes_by_text(BODY, edited, after) == {"unterstützt": (1,), "[früh ]": (9,)}


def test_an_unchanged_text_keeps_its_ranges() -> None:
    spans = [Span(0, 3, 1)]
    assert step(spans, BODY, BODY, editor=9) == spans


def test_hunks_give_both_texts_positions() -> None:
    old, new = "a b c d", "a x c d e"
    ops = word_diff(old, new)
    found = hunks(ops)
    assert [(old[h.a0 : h.a1], new[h.b0 : h.b1]) for h in found] == [("b", "x"), ("", " e")]
    assert all(ops[h.first][0] != EQUAL and ops[h.last - 1][0] != EQUAL for h in found)
    assert found[0].has(ops, DELETE) and not found[1].has(ops, DELETE)


# --- properties --------------------------------------------------------------------------


@st.composite
def bodies_and_changes(draw: st.DrawFn) -> tuple[str, list[Change]]:
    """A body and changes that each insert a token of their own ("Q<source>"), which the
    body cannot contain, or delete."""
    body = draw(st.text(alphabet="abc xyzäö😀.\n", min_size=0, max_size=80))
    changes = []
    for source in range(1, draw(st.integers(0, 6)) + 1):
        start = draw(st.integers(0, len(body)))
        end = draw(st.integers(start, min(len(body), start + 12)))
        text = draw(st.sampled_from(["", f"Q{source}", f" Q{source} ", f"Q{source}."]))
        changes.append(Change(start, end, text, source))
    return body, changes


def inserted_tokens(old: str, new: str, spans: list[Span]) -> list[tuple[set[int], set[int]]]:
    """Per hunk: the sources whose tokens it inserts, and its causes."""
    ops = word_diff(old, new)
    result = []
    for hunk, causes in attribute(ops, spans):
        inserted = "".join(t for k, t in ops[hunk.first : hunk.last] if k == INSERT)
        tokens = {int(n) for n in re.findall(r"Q(\d+)", inserted)}
        result.append((tokens, set(causes)))
    return result


@given(bodies_and_changes())
def test_every_inserted_text_is_attributed_to_its_suggestion(
    case: tuple[str, list[Change]],
) -> None:
    body, changes = case
    assume(not conflicts(changes))
    new, spans = merged(changes, body)
    for tokens, causes in inserted_tokens(body, new, spans):
        assert tokens <= causes
        # A cause is named only where it wrote or deleted something.
        assert causes <= {c.source for c in changes}


@given(bodies_and_changes(), st.text(alphabet="xyz ", min_size=1, max_size=10))
def test_attribution_survives_a_later_edit_at_the_end(
    case: tuple[str, list[Change]], tail: str
) -> None:
    body, changes = case
    assume(not conflicts(changes))
    new, spans = merged(changes, body)
    edited = new + " ENDE" + tail
    carried = step(spans, new, edited, editor=99)
    for tokens, causes in inserted_tokens(body, edited, carried):
        assert tokens <= causes


@given(st.text(alphabet="ab c\n", max_size=40), st.text(alphabet="ab c\n", max_size=40))
def test_hunks_cover_exactly_the_changed_text(old: str, new: str) -> None:
    ops = word_diff(old, new)
    rebuilt_old, rebuilt_new = list(old), list(new)
    for h in hunks(ops):
        parts = ops[h.first : h.last]
        assert "".join(t for k, t in parts if k == DELETE) == old[h.a0 : h.a1]
        assert "".join(t for k, t in parts if k == INSERT) == new[h.b0 : h.b1]
        rebuilt_old[h.a0 : h.a1] = [""] * (h.a1 - h.a0)
        rebuilt_new[h.b0 : h.b1] = [""] * (h.b1 - h.b0)
    # What the hunks leave is the same text on both sides.
    assert "".join(rebuilt_old) == "".join(rebuilt_new)
