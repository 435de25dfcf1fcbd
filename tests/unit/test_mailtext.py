"""The structure of a plain-text mail, from which its HTML part is built."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from consult.domain.mailtext import Block, Segment, blocks, segments


def test_a_link_in_a_line_is_its_own_segment() -> None:
    line = "Zur Runde: https://consult.example/rounds/4."
    assert segments(line) == (
        Segment("Zur Runde: "),
        Segment("https://consult.example/rounds/4", "https://consult.example/rounds/4"),
        Segment("."),
    )


def test_a_link_keeps_its_anchor_and_query() -> None:
    url = "https://consult.example/revisions/3?against=2#fb-17"
    assert segments(f"   {url}") == (Segment("   "), Segment(url, url))


def test_a_link_in_german_quotes_stops_at_the_quote() -> None:
    assert segments("„https://a.example/x“") == (
        Segment("„"),
        Segment("https://a.example/x", "https://a.example/x"),
        Segment("“"),
    )


def test_a_bare_scheme_is_text_not_a_link() -> None:
    assert segments("siehe https://.") == (Segment("siehe https://."),)


def test_blank_lines_separate_paragraphs_and_headings_stand_alone() -> None:
    text = "Guten Tag,\n\nerste Zeile\nzweite Zeile\n=== Kreis ===\n--- Neue Antwort ---\nText\n"
    assert blocks(text) == [
        Block("p", ((Segment("Guten Tag,"),),)),
        Block("p", ((Segment("erste Zeile"),), (Segment("zweite Zeile"),))),
        Block("h2", ((Segment("Kreis"),),)),
        Block("h3", ((Segment("Neue Antwort"),),)),
        Block("p", ((Segment("Text"),),)),
    ]


def test_markup_in_the_text_stays_text() -> None:
    [block] = blocks("<script>alert(1)</script> https://a.example/<b>")
    assert block.lines[0][0] == Segment("<script>alert(1)</script> ")
    assert block.lines[0][1].href == "https://a.example/"


@given(st.text(max_size=200))
def test_segments_lose_no_character_of_a_line(line: str) -> None:
    line = line.replace("\n", " ").replace("\r", " ")
    parts = segments(line)
    assert "".join(part.text for part in parts) == line
    assert all(part.href is None or part.href == part.text for part in parts)


@given(st.lists(st.text(alphabet="ab <>&:/.htps\n", max_size=30), max_size=8))
def test_blocks_keep_every_non_blank_line_in_order(pieces: list[str]) -> None:
    text = "\n".join(pieces)
    kept = [
        "".join(part.text for part in line).strip()
        for block in blocks(text)
        for line in block.lines
    ]
    expected = [line.rstrip().strip() for line in text.split("\n") if line.strip()]
    assert [line.strip("=- ") if line.startswith(("===", "---")) else line for line in kept] == [
        line.strip("=- ") if line.startswith(("===", "---")) else line for line in expected
    ]
