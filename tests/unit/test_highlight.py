"""Cutting a block of text into highlighted pieces (consult.domain.highlight.pieces).

The reading view escapes each piece and wraps it in <mark>/<del>, then appends the
replacement text of every suggestion listed in ``then_insert``. So the pieces must
rebuild the block's text exactly, carry exactly the ids of the marks covering them,
and name every insertion once, at its offset.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consult.domain.highlight import Mark, Piece, pieces

TEXT = "abcdefghij"


def summary(
    result: Sequence[Piece],
) -> list[tuple[str, tuple[int, ...], tuple[int, ...], list[int]]]:
    return [(p.text, p.comment_ids, p.suggestion_ids, p.then_insert) for p in result]


def joined(result: Sequence[Piece]) -> str:
    return "".join(p.text for p in result)


# --- examples ------------------------------------------------------------------------


def test_no_marks_give_one_plain_piece() -> None:
    assert summary(pieces(TEXT, 0, [])) == [(TEXT, (), (), [])]
    assert summary(pieces("", 7, [])) == [("", (), (), [])]


def test_marks_outside_the_block_are_ignored() -> None:
    marks = [Mark(1, 0, 5), Mark(2, 30, 40), Mark(3, 5, 10, True), Mark(4, 30, 30, True)]
    assert summary(pieces(TEXT, 10, marks)) == [(TEXT, (), (), [])]


def test_a_comment_in_the_middle() -> None:
    assert summary(pieces(TEXT, 0, [Mark(7, 3, 6)])) == [
        ("abc", (), (), []),
        ("def", (7,), (), []),
        ("ghij", (), (), []),
    ]


def test_offsets_are_body_offsets_not_block_offsets() -> None:
    # The block starts at body offset 100: a mark 103..106 covers its "def".
    assert summary(pieces(TEXT, 100, [Mark(7, 103, 106)])) == [
        ("abc", (), (), []),
        ("def", (7,), (), []),
        ("ghij", (), (), []),
    ]


def test_overlapping_ranges_split_into_three_runs() -> None:
    result = pieces(TEXT, 0, [Mark(1, 2, 6), Mark(2, 4, 8)])
    assert summary(result) == [
        ("ab", (), (), []),
        ("cd", (1,), (), []),
        ("ef", (1, 2), (), []),
        ("gh", (2,), (), []),
        ("ij", (), (), []),
    ]


def test_nested_ranges() -> None:
    result = pieces(TEXT, 0, [Mark(1, 1, 9), Mark(2, 3, 5)])
    assert summary(result) == [
        ("a", (), (), []),
        ("bc", (1,), (), []),
        ("de", (1, 2), (), []),
        ("fghi", (1,), (), []),
        ("j", (), (), []),
    ]


def test_identical_ranges_share_their_pieces() -> None:
    result = pieces(TEXT, 0, [Mark(1, 2, 4), Mark(2, 2, 4)])
    assert summary(result) == [
        ("ab", (), (), []),
        ("cd", (1, 2), (), []),
        ("efghij", (), (), []),
    ]


def test_touching_ranges_share_no_piece() -> None:
    result = pieces(TEXT, 0, [Mark(1, 2, 4), Mark(2, 4, 6)])
    assert summary(result) == [
        ("ab", (), (), []),
        ("cd", (1,), (), []),
        ("ef", (2,), (), []),
        ("ghij", (), (), []),
    ]


def test_a_range_over_the_whole_block_and_beyond_covers_all_of_it() -> None:
    assert summary(pieces(TEXT, 10, [Mark(1, 0, 50)])) == [(TEXT, (1,), (), [])]
    assert summary(pieces(TEXT, 0, [Mark(1, 0, 10)])) == [(TEXT, (1,), (), [])]


def test_a_range_starting_in_an_earlier_block_covers_the_head_only() -> None:
    assert summary(pieces(TEXT, 10, [Mark(1, 4, 13)])) == [
        ("abc", (1,), (), []),
        ("defghij", (), (), []),
    ]


def test_comments_and_suggestions_are_kept_apart() -> None:
    result = pieces(TEXT, 0, [Mark(1, 2, 6), Mark(2, 4, 8, is_suggestion=True)])
    assert summary(result) == [
        ("ab", (), (), []),
        ("cd", (1,), (), []),
        ("ef", (1,), (2,), []),
        ("gh", (), (2,), [2]),
        ("ij", (), (), []),
    ]


def test_a_replacement_follows_the_end_of_its_range() -> None:
    result = pieces(TEXT, 0, [Mark(5, 3, 6, is_suggestion=True)])
    assert summary(result) == [
        ("abc", (), (), []),
        ("def", (), (5,), [5]),
        ("ghij", (), (), []),
    ]


def test_a_replacement_of_a_range_ending_in_a_later_block_is_not_shown_here() -> None:
    result = pieces(TEXT, 0, [Mark(5, 3, 14, is_suggestion=True)])
    assert summary(result) == [("abc", (), (), []), ("defghij", (), (5,), [])]
    # ... but in the block where the range ends.
    assert summary(pieces("klmnopqrst", 11, [Mark(5, 3, 14, is_suggestion=True)])) == [
        ("klm", (), (5,), [5]),
        ("nopqrst", (), (), []),
    ]


def test_a_range_ending_at_the_block_end_gets_its_replacement_even_if_not_last() -> None:
    result = pieces(TEXT, 0, [Mark(5, 6, 10, is_suggestion=True)], last=False)
    assert summary(result) == [("abcdef", (), (), []), ("ghij", (), (5,), [5])]


def test_an_insertion_point_at_the_block_start_comes_first() -> None:
    result = pieces(TEXT, 20, [Mark(3, 20, 20, is_suggestion=True)])
    assert summary(result) == [("", (), (), [3]), (TEXT, (), (), [])]


def test_an_insertion_point_inside_the_block_cuts_it() -> None:
    result = pieces(TEXT, 20, [Mark(3, 25, 25, is_suggestion=True)])
    assert summary(result) == [("abcde", (), (), [3]), ("fghij", (), (), [])]


def test_an_insertion_point_at_the_block_end_belongs_to_the_last_block_only() -> None:
    mark = Mark(3, 30, 30, is_suggestion=True)
    assert summary(pieces(TEXT, 20, [mark], last=True)) == [(TEXT, (), (), [3])]
    assert summary(pieces(TEXT, 20, [mark], last=False)) == [(TEXT, (), (), [])]


def test_two_insertions_at_one_offset_are_both_listed_in_order() -> None:
    marks = [Mark(8, 25, 25, is_suggestion=True), Mark(4, 25, 25, is_suggestion=True)]
    assert summary(pieces(TEXT, 20, marks)) == [
        ("abcde", (), (), [8, 4]),
        ("fghij", (), (), []),
    ]


def test_an_insertion_inside_a_comment_splits_the_comment() -> None:
    marks = [Mark(1, 22, 28), Mark(2, 25, 25, is_suggestion=True)]
    assert summary(pieces(TEXT, 20, marks)) == [
        ("ab", (), (), []),
        ("cde", (1,), (), [2]),
        ("fgh", (1,), (), []),
        ("ij", (), (), []),
    ]


def test_code_points_not_utf16_units() -> None:
    # 👨‍👩‍👧 is five code points (three emoji, two joiners), e + U+0301 two.
    text = "Hallo 👨‍👩‍👧 Cafe\u0301 und mehr"
    family = text.index("👨")
    assert text[family : family + 5] == "👨‍👩‍👧"
    cafe = text.index("Cafe\u0301")
    result = pieces(text, 0, [Mark(1, family, family + 5), Mark(2, cafe, cafe + 5)])
    assert [(p.text, p.comment_ids) for p in result] == [
        ("Hallo ", ()),
        ("👨‍👩‍👧", (1,)),
        (" ", ()),
        ("Cafe\u0301", (2,)),
        (" und mehr", ()),
    ]


@pytest.mark.parametrize("start", [0, 1, 57])
def test_pieces_rebuild_the_block(start: int) -> None:
    marks = [
        Mark(1, start + 1, start + 4),
        Mark(2, start + 2, start + 2, True),
        Mark(3, start, start + 10, True),
        Mark(4, start + 9, start + 30),
        Mark(5, start - 5, start + 3),
    ]
    assert joined(pieces(TEXT, start, marks)) == TEXT


# --- properties ------------------------------------------------------------------------


@st.composite
def blocks_with_marks(draw: st.DrawFn) -> tuple[str, int, list[Mark], bool]:
    text = draw(st.text(alphabet="ab 🙂e\u0301\n", min_size=0, max_size=30))
    start = draw(st.integers(min_value=0, max_value=20))
    end = start + len(text)
    n = draw(st.integers(min_value=0, max_value=8))
    marks = []
    for feedback_id in range(1, n + 1):
        is_suggestion = draw(st.booleans())
        a = draw(st.integers(min_value=max(0, start - 5), max_value=end + 5))
        if is_suggestion and draw(st.booleans()):
            b = a  # an insertion point
        else:
            b = draw(st.integers(min_value=a + 1, max_value=end + 6))
        marks.append(Mark(feedback_id, a, b, is_suggestion))
    return text, start, marks, draw(st.booleans())


@settings(max_examples=300, deadline=None)
@given(blocks_with_marks())
def test_property_pieces_rebuild_the_text_and_carry_exactly_the_covering_marks(
    case: tuple[str, int, list[Mark], bool],
) -> None:
    text, start, marks, last = case
    end = start + len(text)
    result = pieces(text, start, marks, last=last)
    assert joined(result) == text
    offset = start
    inserted: dict[int, int] = {}
    for index, piece in enumerate(result):
        a, b = offset, offset + len(piece.text)
        if not piece.text:
            # Only a leading empty piece, holding insertions at the block start
            # (or the single piece of an empty block).
            assert index == 0 and a == start
            assert piece.then_insert or result == [Piece("")]
        else:
            covering = [m for m in marks if m.start < b and m.end > a]
            assert piece.comment_ids == tuple(
                m.feedback_id for m in covering if not m.is_suggestion
            )
            assert piece.suggestion_ids == tuple(m.feedback_id for m in covering if m.is_suggestion)
            # A piece never straddles a mark boundary.
            for m in marks:
                assert not a < m.start < b and not a < m.end < b
        for feedback_id in piece.then_insert:
            assert feedback_id not in inserted, "an insertion listed twice"
            inserted[feedback_id] = b
        offset = b
    expected = {}
    for m in marks:
        if not m.is_suggestion:
            continue
        if m.start < m.end and start < m.end <= end:
            expected[m.feedback_id] = m.end  # after the end of the replaced range
        elif m.start == m.end and (start <= m.start < end or (last and m.start == end)):
            expected[m.feedback_id] = m.start  # at the insertion point
    assert inserted == expected


# --- composed into the reading view -----------------------------------------------------


@st.composite
def bodies_with_suggestions(draw: st.DrawFn) -> tuple[str, list[tuple[int, int, str]]]:
    """A body of paragraphs and list items, and suggestions anywhere in it."""
    lines = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["", "- ", "1. "]),
                st.text(alphabet="ab c🙂", min_size=1, max_size=8).filter(str.strip),
                st.sampled_from(["\n", "\n\n"]),
            ),
            min_size=1,
            max_size=5,
        )
    )
    body = "".join(marker + text.strip() + gap for marker, text, gap in lines).rstrip("\n")
    suggestions = []
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        a = draw(st.integers(min_value=0, max_value=len(body)))
        b = draw(st.integers(min_value=a, max_value=len(body)))
        suggestions.append((a, b, f"[{len(suggestions)}]"))
    return body, suggestions


@settings(max_examples=150, deadline=None)
@given(bodies_with_suggestions())
def test_property_every_replacement_is_drawn_once_and_blocks_keep_their_text(
    case: tuple[str, list[tuple[int, int, str]]],
) -> None:
    import lxml.html

    from consult.models import Feedback, Placement, SectionVersion
    from consult.services.feedback_locations import Location
    from consult.services.feedback_views import FeedbackView
    from consult.web.reading import Filters, build_sections

    body, suggestions = case
    placement = Placement(section_id=1, version=SectionVersion(title="T", body=body))
    views = [
        FeedbackView(
            Feedback(
                id=n,
                kind="suggestion",
                section_id=1,
                status="open",
                replacement=text,
                author_id=1,
                quote=body[a:b],
            ),
            Location("exact", a, b, body[a:b]),
        )
        for n, (a, b, text) in enumerate(suggestions, start=1)
    ]
    [model], gone = build_sections([placement], views, Filters(), None, {})
    assert gone == []
    drawn: dict[str, int] = {}
    for _kind, group in model.groups:
        for block in group:
            root = lxml.html.fragment_fromstring(f"<p>{model.block_html(block)}</p>")
            for inserted in root.xpath("//ins[@data-skip]"):
                drawn[inserted.text_content()] = drawn.get(inserted.text_content(), 0) + 1
                inserted.drop_tree()
            assert root.text_content() == block.text
    assert drawn == {text: 1 for _, _, text in suggestions}
