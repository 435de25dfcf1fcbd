"""The structure of a draft: Markdown import, blocks, trees, keys (consult.domain.outline)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consult.domain.outline import (
    MAX_KEY,
    MAX_SECTIONS,
    MAX_TITLE,
    PREAMBLE_TITLE,
    Block,
    OutlineError,
    blocks,
    check_key,
    check_title,
    check_unique_keys,
    depths_of,
    group_blocks,
    parent_key_of,
    parents_from_levels,
    parse_markdown,
    renumber,
    split_key,
)
from consult.domain.textnorm import normalize_text


def summary(text: str, *, pasted: bool = False) -> list[tuple[str, str, int | None, int]]:
    return [(s.key, s.title, s.parent, s.depth) for s in parse_markdown(text, pasted=pasted)]


# --- parse_markdown: headings, levels, nesting, keys ----------------------------------

CONCEPT = """\
# 1 Präambel

Der Kreis legt ein Integrationskonzept vor.

# 2 Ausgangslage

## 2.1 Bevölkerung

Im Kreis leben 600.000 Menschen.

## 2.2 Bisherige Arbeit

### 2.2.1 Kommunales Integrationszentrum

Seit 2013 arbeitet das KI.

# 3 Handlungsfelder

## 3.1 Bildung
"""


def test_headings_start_sections_and_levels_give_the_nesting() -> None:
    assert summary(CONCEPT) == [
        ("1", "Präambel", None, 0),
        ("2", "Ausgangslage", None, 0),
        ("2.1", "Bevölkerung", 1, 1),
        ("2.2", "Bisherige Arbeit", 1, 1),
        ("2.2.1", "Kommunales Integrationszentrum", 3, 2),
        ("3", "Handlungsfelder", None, 0),
        ("3.1", "Bildung", 5, 1),
    ]


def test_bodies_are_the_text_between_headings_without_surrounding_blank_lines() -> None:
    parsed = parse_markdown(CONCEPT)
    assert parsed[0].body == "Der Kreis legt ein Integrationskonzept vor."
    assert parsed[1].body == ""
    assert parsed[2].body == "Im Kreis leben 600.000 Menschen."
    assert parsed[4].body == "Seit 2013 arbeitet das KI."
    assert parsed[6].body == ""


def test_a_level_jump_nests_under_the_nearest_shallower_heading() -> None:
    # "###" right after "#": still a child of the "#" section, at depth 1.
    text = "# A\n\n### A-tief\n\n## A-mittel\n\n# B"
    assert summary(text) == [
        ("", "A", None, 0),
        ("", "A-tief", 0, 1),
        ("", "A-mittel", 0, 1),
        ("", "B", None, 0),
    ]


def test_a_document_that_starts_deeper_than_it_continues() -> None:
    text = "### tief\n\n# oben\n\n## mitte"
    assert summary(text) == [("", "tief", None, 0), ("", "oben", None, 0), ("", "mitte", 1, 1)]


@pytest.mark.parametrize(
    ("heading", "key", "title"),
    [
        ("# 3 Handlungsfelder", "3", "Handlungsfelder"),
        ("## 3.2 Bildung", "3.2", "Bildung"),
        ("## 3.2. Bildung", "3.2", "Bildung"),
        ("#### 1.2.3.4 Tief", "1.2.3.4", "Tief"),
        ("# Ohne Nummer", "", "Ohne Nummer"),
        ("# 3", "", "3"),  # a number alone is the title, not a key
        ("# 3.2Bildung", "", "3.2Bildung"),  # no space: no key
        ("## Bildung ##", "", "Bildung"),  # closing hashes
        ("#\tTab", "", "Tab"),
        ("# 10   Viele   Leerzeichen", "10", "Viele Leerzeichen"),
    ],
)
def test_a_leading_number_becomes_the_key(heading: str, key: str, title: str) -> None:
    [section] = parse_markdown(heading + "\n\nText")
    assert (section.key, section.title, section.body) == (key, title, "Text")


def test_lines_that_only_look_like_headings_are_body_text() -> None:
    text = "# A\n\n#ohne Leerzeichen\n####### sieben\n    # eingerückt"
    [section] = parse_markdown(text)
    assert section.body == "#ohne Leerzeichen\n####### sieben\n    # eingerückt"


def test_text_before_the_first_heading_becomes_a_preamble_section() -> None:
    text = "Vorab ein Wort.\n\nUnd noch eins.\n\n# 1 Einleitung\n\nText"
    parsed = parse_markdown(text)
    assert [(s.key, s.title, s.body, s.parent) for s in parsed] == [
        ("", PREAMBLE_TITLE, "Vorab ein Wort.\n\nUnd noch eins.", None),
        ("1", "Einleitung", "Text", None),
    ]


def test_blank_lines_before_the_first_heading_make_no_preamble() -> None:
    assert [s.title for s in parse_markdown("\n\n  \n# A\n\nText")] == ["A"]


def test_the_preamble_stands_at_the_level_of_the_first_heading() -> None:
    parsed = parse_markdown("Vorab.\n\n## 1.1 Erst tief\n\n# 2 Oben")
    assert [(s.title, s.parent, s.depth) for s in parsed] == [
        (PREAMBLE_TITLE, None, 0),
        ("Erst tief", None, 0),
        ("Oben", None, 0),
    ]


def test_empty_text_is_refused() -> None:
    for text in ["", "   ", "\n\n", "\r\n \t\r\n"]:
        with pytest.raises(OutlineError, match="leer"):
            parse_markdown(text)


def test_text_without_headings_is_refused() -> None:
    with pytest.raises(OutlineError, match="Keine Überschriften"):
        parse_markdown("Nur ein Absatz.\n\nUnd noch einer.")
    with pytest.raises(OutlineError, match="Keine Überschriften"):
        parse_markdown("1 Einleitung\n\nText")  # numbered lines count only when pasted


def test_a_key_used_twice_is_refused() -> None:
    with pytest.raises(OutlineError, match="„2“ kommt zweimal vor"):
        parse_markdown("# 1 A\n\n# 2 B\n\n## 2 C")
    # Unnumbered sections may share the empty key.
    assert len(parse_markdown("# A\n\n# B\n\n# C")) == 3


def test_a_title_over_the_limit_is_refused() -> None:
    parse_markdown("# " + "x" * MAX_TITLE)
    with pytest.raises(OutlineError, match="zu lang"):
        parse_markdown("# " + "x" * (MAX_TITLE + 1))


def test_an_invalid_key_is_refused() -> None:
    # Eight parts of four digits: a number, but longer than a key may be.
    with pytest.raises(OutlineError, match="ungültig"):
        parse_markdown("# " + ".".join(["1234"] * 8) + " Zu lang")
    # Nine parts are no number at all: the whole line is the title.
    [section] = parse_markdown("# " + ".".join(["1"] * 9) + " Tief")
    assert (section.key, section.title) == ("", ".".join(["1"] * 9) + " Tief")
    with pytest.raises(OutlineError):
        check_key("1" * (MAX_KEY + 1))


def test_too_many_sections_are_refused() -> None:
    ok = "\n".join(f"# Teil {i}" for i in range(MAX_SECTIONS))
    assert len(parse_markdown(ok)) == MAX_SECTIONS
    with pytest.raises(OutlineError, match="Zu viele"):
        parse_markdown(ok + "\n# Einer zu viel")


# --- pasted text ------------------------------------------------------------------------

PASTED = """\
Entwurf des Integrationskonzepts

1 Einleitung

Der Kreis legt dieses Konzept vor.

1.1 Ziele

Wir wollen Teilhabe für alle.
2 Punkte in einer Zeile sind kein Titel.

2. Handlungsfelder

3 Gründe sind aufgezählt:

2.1 Bildung und Sprache
"""


def test_pasted_text_takes_numbered_lines_that_stand_alone_as_headings() -> None:
    parsed = parse_markdown(PASTED, pasted=True)
    assert [(s.key, s.title, s.parent, s.depth) for s in parsed] == [
        ("", PREAMBLE_TITLE, None, 0),
        ("1", "Einleitung", None, 0),
        ("1.1", "Ziele", 1, 1),
        ("2", "Handlungsfelder", None, 0),
        ("2.1", "Bildung und Sprache", 3, 1),
    ]
    assert parsed[0].body == "Entwurf des Integrationskonzepts"
    # A numbered line inside a paragraph and one ending with ":" stay text.
    assert (
        parsed[2].body == "Wir wollen Teilhabe für alle.\n2 Punkte in einer Zeile sind kein Titel."
    )
    assert parsed[3].body == "3 Gründe sind aufgezählt:"


def test_pasted_text_with_hash_headings_uses_only_those() -> None:
    text = "# Kapitel\n\n1 Einleitung\n\nText"
    parsed = parse_markdown(text, pasted=True)
    assert [(s.title, s.body) for s in parsed] == [("Kapitel", "1 Einleitung\n\nText")]


def test_pasted_text_without_numbered_headings_is_refused() -> None:
    with pytest.raises(OutlineError, match="Keine Überschriften"):
        parse_markdown("Ein Absatz.\n\nNoch einer.", pasted=True)


# --- Unicode and line ends --------------------------------------------------------------

UNICODE_BODY = (
    "„Teilhabe“ für alle – auch für ‚Neuzugewanderte‘ und «Geflüchtete».\n\n"
    "Willkommen 👋🏽 in der Familie 👨‍👩‍👧 (🇩🇪)!\n\n"
    "مرحبا بكم في مدينتنا\n\n"
    "Café, naïve, Åström; Ärger, Öl, Übermaß; NBSP\u00a0hier."
)


def test_umlauts_quotes_emoji_and_arabic_survive_exactly() -> None:
    text = f"# 1 Grüße „überall“ 🌍\n\n{UNICODE_BODY}\n\n## 1.1 العربية\n\nنص عربي 😀"
    parsed = parse_markdown(text)
    assert [(s.key, s.title, s.body) for s in parsed] == [
        ("1", "Grüße „überall“ 🌍", UNICODE_BODY),
        ("1.1", "العربية", "نص عربي 😀"),
    ]


def test_combining_marks_are_composed_to_nfc() -> None:
    decomposed = "Cafe\u0301 und A\u0308rger"
    [section] = parse_markdown(f"# Re\u0301sume\u0301\n\n{decomposed}")
    assert section.title == "Résumé"
    assert section.body == "Café und Ärger" == unicodedata.normalize("NFC", decomposed)
    assert "\u0301" not in section.body


def test_crlf_and_cr_line_ends_become_newlines() -> None:
    text = "# 1 A\r\n\r\nZeile eins   \r\nZeile zwei\r\n\r\n## 1.1 B\rText B\r\n"
    parsed = parse_markdown(text)
    assert [(s.key, s.title, s.body) for s in parsed] == [
        ("1", "A", "Zeile eins\nZeile zwei"),
        ("1.1", "B", "Text B"),
    ]
    assert all("\r" not in s.body for s in parsed)


def test_parsed_bodies_are_already_normalised() -> None:
    text = "# A  \n\n  eingerückt  \n\n\n\nnach Lücke\t\n\n# B\n\n"
    for section in parse_markdown(text):
        assert normalize_text(section.body) == section.body
    assert parse_markdown(text)[0].body == "  eingerückt\n\n\n\nnach Lücke"


# --- small helpers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "parent"),
    [("3", None), ("3.2", "3"), ("3.2.1", "3.2"), ("A.1", "A"), ("", None)],
)
def test_parent_key_of(key: str, parent: str | None) -> None:
    assert parent_key_of(key) == parent


@pytest.mark.parametrize("key", ["", "3", "3.2", "A.1", "iv", "1.2.3.4.5", "x" * MAX_KEY])
def test_check_key_accepts(key: str) -> None:
    assert check_key(key) == key
    assert check_key(f"  {key} ") == key


@pytest.mark.parametrize(
    "key", ["3.", ".3", "3..2", "3 2", "3-2", "Ä", "§3", "3.2/1", "x" * (MAX_KEY + 1), "١"]
)
def test_check_key_refuses(key: str) -> None:
    with pytest.raises(OutlineError, match="ungültig"):
        check_key(key)


def test_check_title_trims_and_collapses_white_space() -> None:
    assert check_title("  Handlungsfeld \n Bildung\t ") == "Handlungsfeld Bildung"
    assert check_title("Re\u0301sume\u0301") == "Résumé"
    for empty in ["", "  ", "\n\t"]:
        with pytest.raises(OutlineError, match="Überschrift"):
            check_title(empty)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("3.2 Bildung", ("3.2", "Bildung")),
        ("  3.2.  Bildung ", ("3.2", "Bildung")),
        ("Bildung", ("", "Bildung")),
        ("2026", ("", "2026")),
    ],
)
def test_split_key(title: str, expected: tuple[str, str]) -> None:
    assert split_key(title) == expected


def test_check_unique_keys() -> None:
    check_unique_keys(["1", "2", "", "", "2.1"])
    with pytest.raises(OutlineError, match=r"„2\.1“"):
        check_unique_keys(["1", "2.1", "2", "2.1"])


def test_parents_from_levels() -> None:
    assert parents_from_levels([1, 2, 3, 2, 1, 3, 3]) == [None, 0, 1, 0, None, 4, 4]
    assert parents_from_levels([]) == []
    assert parents_from_levels([2, 2, 1]) == [None, None, None]


# --- depths_of --------------------------------------------------------------------------


def test_depths_of_a_preorder_listing() -> None:
    #  0
    #  ├ 1
    #  │ └ 2
    #  └ 3
    #  4
    #  └ 5
    assert depths_of([None, 0, 1, 0, None, 4]) == [0, 1, 2, 1, 0, 1]
    assert depths_of([]) == []
    assert depths_of([None, None, None]) == [0, 0, 0]


@pytest.mark.parametrize(
    "parents",
    [
        [0],  # its own parent
        [None, 1],  # its own parent
        [1, None],  # forward reference
        [None, 2, 1],  # a cycle 1 <-> 2
        [None, 5],  # beyond the list
        [None, -1],  # negative index
    ],
)
def test_depths_of_refuses_cycles_and_forward_references(parents: list[int | None]) -> None:
    with pytest.raises(OutlineError, match="nach seinem übergeordneten"):
        depths_of(parents)


@pytest.mark.parametrize(
    "parents",
    [
        [None, None, 0],  # a top-level section between the child and its parent
        [None, 0, None, 1],  # grandchild separated from its parent by a top-level section
        [None, 0, 0, 1],  # child of 1 after its sibling 2 closed 1's subtree
    ],
)
def test_depths_of_refuses_a_child_separated_from_its_parent(parents: list[int | None]) -> None:
    with pytest.raises(OutlineError, match="Reihenfolge passt nicht"):
        depths_of(parents)


@st.composite
def preorder_trees(draw: st.DrawFn) -> tuple[list[int | None], list[int]]:
    """A random tree as (parents, depths) in preorder (reading order)."""
    n = draw(st.integers(0, 40))
    depths: list[int] = []
    parents: list[int | None] = []
    for i in range(n):
        depth = draw(st.integers(0, depths[-1] + 1)) if depths else 0
        parent = None
        if depth > 0:
            parent = max(j for j in range(i) if depths[j] == depth - 1)
        depths.append(depth)
        parents.append(parent)
    return parents, depths


@settings(deadline=None)  # cheap examples; no timing flakes on a busy machine
@given(preorder_trees())
def test_depths_of_accepts_every_preorder_listing(tree: tuple[list[int | None], list[int]]) -> None:
    parents, depths = tree
    assert depths_of(parents) == depths
    # Heading levels one deeper per depth give back the same tree.
    assert parents_from_levels([d + 1 for d in depths]) == parents


def _is_preorder(parents: list[int | None]) -> bool:
    """Brute force: every parent stands before its child, and everything in between
    is a descendant of that parent."""
    for i, parent in enumerate(parents):
        if parent is None:
            continue
        if not 0 <= parent < i:
            return False
        for k in range(parent + 1, i):
            ancestor = parents[k]
            while ancestor is not None and ancestor != parent:
                ancestor = parents[ancestor]
            if ancestor != parent:
                return False
    return True


@settings(deadline=None)  # cheap examples; no timing flakes on a busy machine
@given(
    st.integers(0, 12).flatmap(
        lambda n: st.lists(st.one_of(st.none(), st.integers(-1, n)), min_size=n, max_size=n)
    )
)
def test_depths_of_refuses_exactly_the_listings_that_are_not_preorder(
    parents: list[int | None],
) -> None:
    if _is_preorder(parents):
        depths = depths_of(parents)
        for i, parent in enumerate(parents):
            assert depths[i] == (0 if parent is None else depths[parent] + 1)
    else:
        with pytest.raises(OutlineError):
            depths_of(parents)


# --- renumber ---------------------------------------------------------------------------


def test_renumber_by_position_in_the_tree() -> None:
    parents: list[int | None] = [None, 0, 0, 2, None, None, 5]
    assert renumber(parents, [True] * 7) == ["1", "1.1", "1.2", "1.2.1", "2", "3", "3.1"]


def test_renumber_leaves_unnumbered_sections_out_of_the_count() -> None:
    parents: list[int | None] = [None, None, 1, None]
    assert renumber(parents, [False, True, True, True]) == ["", "1", "1.1", "2"]


def test_renumber_gives_unique_keys_below_unnumbered_sections() -> None:
    # "Anhang" (unnumbered, top level) with numbered children, between numbered parts;
    # and an unnumbered section inside "1" with a numbered child.
    parents: list[int | None] = [None, 0, 1, None, 3, None]
    numbered = [True, False, True, False, True, True]
    keys = renumber(parents, numbered)
    assert [bool(k) for k in keys] == numbered
    assert keys == ["1", "", "1.1", "", "2", "3"]
    check_unique_keys(keys)


@settings(deadline=None)  # cheap examples; no timing flakes on a busy machine
@given(preorder_trees(), st.data())
def test_renumber_always_gives_unique_well_formed_keys(
    tree: tuple[list[int | None], list[int]], data: st.DataObject
) -> None:
    parents, _ = tree
    numbered = data.draw(st.lists(st.booleans(), min_size=len(parents), max_size=len(parents)))
    keys = renumber(parents, numbered)
    check_unique_keys(keys)
    for key, is_numbered in zip(keys, numbered, strict=True):
        assert bool(key) == is_numbered
        assert check_key(key) == key
    if all(numbered):
        # Fully numbered: each key's parent key is the key of the parent section.
        for i, parent in enumerate(parents):
            assert parent_key_of(keys[i]) == (keys[parent] if parent is not None else None)


# --- blocks -----------------------------------------------------------------------------


def test_blocks_of_paragraphs_and_lists() -> None:
    body = (
        "Erster Absatz\nmit zwei Zeilen.\n\n- Punkt eins\n- Punkt zwei\n\n1. Schritt\n12. Schritt"
    )
    assert blocks(body) == [
        Block("p", 0, "Erster Absatz\nmit zwei Zeilen."),
        Block("ul", body.index("Punkt eins"), "Punkt eins"),
        Block("ul", body.index("Punkt zwei"), "Punkt zwei"),
        Block("ol", body.index("Schritt"), "Schritt", "1"),
        Block("ol", body.rindex("Schritt"), "Schritt", "12"),
    ]


def test_blocks_offsets_count_code_points_not_utf16_units() -> None:
    body = "👨‍👩‍👧 Familie\n\n- 🇩🇪 Flagge\n\nمرحبا"
    found = blocks(body)
    assert [b.text for b in found] == ["👨‍👩‍👧 Familie", "🇩🇪 Flagge", "مرحبا"]
    for block in found:
        assert body[block.start : block.start + len(block.text)] == block.text
    assert found[1].start == len("👨‍👩‍👧 Familie\n\n- ")


def test_a_list_item_ends_a_paragraph_and_a_paragraph_line_after_a_list_starts_a_new_one() -> None:
    body = "Absatz\n- Punkt\nweiter"
    assert blocks(body) == [
        Block("p", 0, "Absatz"),
        Block("ul", 9, "Punkt"),
        Block("p", 15, "weiter"),
    ]
    assert body[9:14] == "Punkt" and body[15:] == "weiter"


def test_blocks_of_an_empty_body() -> None:
    assert blocks("") == []
    assert group_blocks("") == []


def test_list_markers_need_their_space() -> None:
    assert [b.kind for b in blocks("-kein Punkt\n\n1.kein Schritt\n\n1234. zu lang")] == ["p"] * 3


def test_group_blocks_gathers_consecutive_items_of_one_kind() -> None:
    body = "Intro\n\n- a\n- b\n1. c\n2. d\n\n- e\n\nEnde\nnoch"
    groups = group_blocks(body)
    assert [(kind, [b.text for b in items]) for kind, items in groups] == [
        ("p", ["Intro"]),
        ("ul", ["a", "b"]),
        ("ol", ["c", "d"]),
        ("ul", ["e"]),
        ("p", ["Ende\nnoch"]),
    ]


def test_two_paragraphs_are_never_grouped() -> None:
    groups = group_blocks("A\n\nB")
    assert [(kind, len(items)) for kind, items in groups] == [("p", 1), ("p", 1)]


_LINES = st.one_of(
    st.just(""),
    st.just("   "),
    st.text(alphabet="abcÄöß „“ 😀👨‍👩‍👧🇩🇪مر\u00a0.-", max_size=20),
    st.text(alphabet="abc 😀ü", max_size=12).map(lambda s: "- " + s),
    st.builds(
        lambda n, s: f"{n}. {s}", st.integers(0, 1500), st.text(alphabet="xyz 🎉", max_size=8)
    ),
    st.just("-"),
    st.just("- "),
    st.just("1."),
)


@settings(deadline=None)  # cheap examples; no timing flakes on a busy machine
@given(st.lists(_LINES, max_size=25))
def test_every_block_is_the_body_slice_at_its_start(lines: list[str]) -> None:
    for body in ("\n".join(lines), normalize_text("\n".join(lines))):
        found = blocks(body)
        previous_end = -1
        for block in found:
            assert body[block.start : block.start + len(block.text)] == block.text
            assert block.start > previous_end  # in order, not overlapping
            previous_end = block.start + len(block.text)
            if block.kind == "p":
                assert block.text.strip()
            else:
                assert "\n" not in block.text
        # Every non-blank line is covered by some block.
        covered = sum(b.text.count("\n") + 1 for b in found)
        assert covered == sum(1 for line in body.split("\n") if line.strip())
        # Grouping keeps every block, in order.
        assert [b for _, items in group_blocks(body) for b in items] == found


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=200))
def test_blocks_hold_for_any_text(body: str) -> None:
    for block in blocks(body):
        assert body[block.start : block.start + len(block.text)] == block.text


def test_titles_follow_the_text_rules() -> None:
    """A heading is a title: invisible and control characters are refused (from a Markdown
    or DOCX import too), white space runs become one space."""
    from consult.domain.errors import MessageError

    assert check_title("  Bildung   und\tArbeit ") == "Bildung und Arbeit"
    for bad in ("Bil\u200bdung", "\u202eBildung", "Bildung\x00", "x\ud800"):
        with pytest.raises(MessageError):
            check_title(bad)
