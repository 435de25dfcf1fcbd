"""The Markdown parser's caps (issue 9), counted before any section is built, and a
``blocks()`` linear in the body (it joined each line onto the paragraph so far: a
paragraph of a million lines took 66 s, on every render of its section)."""

from __future__ import annotations

import re
import time
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consult.domain import outline
from consult.domain.outline import (
    MAX_PARAGRAPHS,
    MAX_SECTIONS,
    Block,
    OutlineError,
    blocks,
    parse_markdown,
)

_LIST_ITEM = re.compile(r"^(- |\d{1,3}\. )")


def reference_blocks(body: str) -> list[Block]:
    """blocks() before issue 9: each line joined onto the paragraph before it."""
    result: list[Block] = []
    offset = 0
    for line in body.split("\n"):
        if line.strip():
            marker = _LIST_ITEM.match(line)
            if marker:
                skip = len(marker.group(1))
                kind = "ul" if marker.group(1) == "- " else "ol"
                number = marker.group(1)[:-2] if kind == "ol" else ""
                result.append(Block(kind, offset + skip, line[skip:], number))
            elif (
                result
                and result[-1].kind == "p"
                and result[-1].start + len(result[-1].text) + 1 == offset
            ):
                result[-1] = Block("p", result[-1].start, result[-1].text + "\n" + line)
            else:
                result.append(Block("p", offset, line))
        offset += len(line) + 1
    return result


LINES = st.sampled_from(["", " ", "x", "Text ö", "- a", "-a", "1. b", "12. c", "1.d", "  - e", "#"])


@given(st.lists(LINES, max_size=25))
def test_blocks_are_what_they_were(lines: list[str]) -> None:
    body = "\n".join(lines)
    assert blocks(body) == reference_blocks(body)
    for block in blocks(body):
        assert body[block.start : block.start + len(block.text)] == block.text


def test_a_paragraph_of_a_million_lines_is_split_in_linear_time() -> None:
    body = "x\n" * 999_999 + "x"
    start = time.perf_counter()
    [block] = blocks(body)
    assert time.perf_counter() - start < 1.0
    assert block.text == body


HEADINGS = st.sampled_from(["# A", "## B", "### C", "# 1 D"])


@settings(max_examples=200)
@given(st.lists(st.one_of(LINES, HEADINGS), max_size=30))
def test_the_paragraph_count_is_that_of_the_sections_built(lines: list[str]) -> None:
    text = "\n".join(lines)
    try:
        parsed = parse_markdown(text)
    except OutlineError:
        return
    count = sum(len(blocks(section.body)) for section in parsed)
    with mock.patch.object(outline, "MAX_PARAGRAPHS", count):
        parse_markdown(text)
    if count:
        with (
            mock.patch.object(outline, "MAX_PARAGRAPHS", count - 1),
            pytest.raises(OutlineError) as caught,
        ):
            parse_markdown(text)
        assert caught.value.params == {"count": count, "limit": count - 1}


def test_sections_over_the_cap_are_refused_with_their_count() -> None:
    text = "\n".join(f"# Teil {n}" for n in range(MAX_SECTIONS))
    assert len(parse_markdown(text)) == MAX_SECTIONS
    with pytest.raises(OutlineError) as caught:
        parse_markdown("Vorweg.\n\n" + text)  # the preamble is a section too
    assert str(caught.value) == (
        "Zu viele Abschnitte: der Text hat 2001, höchstens 2000 sind möglich."
    )
    assert caught.value.params == {"count": 2001, "limit": 2000}


def test_paragraphs_over_the_cap_are_refused_with_their_count() -> None:
    text = "# 1 Eins\n\n" + "Absatz\nmit zwei Zeilen\n\n" * (MAX_PARAGRAPHS - 1) + "- Punkt"
    assert sum(len(blocks(s.body)) for s in parse_markdown(text)) == MAX_PARAGRAPHS
    with pytest.raises(OutlineError) as caught:
        parse_markdown(text + "\n1. Noch einer")
    assert str(caught.value) == (
        "Zu viele Absätze: der Text hat 20001 Absätze und Listenpunkte, höchstens 20000 sind "
        "möglich."
    )


@pytest.mark.parametrize(
    ("name", "text", "pasted"),
    [
        ("headings", "# a\n" * 499_000, False),
        ("pasted headings", "\n\n".join(f"{n % 999 + 1} x" for n in range(300_000)), True),
        ("paragraphs", "# A\n" + "x\n\n" * 660_000, False),
        ("list items", "# A\n" + "- x\n" * 490_000, False),
        ("lines", "# A\n" + "x\n" * 999_000, False),
    ],
)
def test_two_million_characters_are_parsed_or_refused_within_a_second(
    name: str, text: str, pasted: bool
) -> None:
    start = time.perf_counter()
    try:
        parse_markdown(text, pasted=pasted)
    except OutlineError as exc:
        assert "Zu viele" in str(exc), name
    assert time.perf_counter() - start < 1.0, name
