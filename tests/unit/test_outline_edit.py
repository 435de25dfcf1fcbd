"""Editing a draft's outline without a database (consult.domain.outline_edit)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult.domain.outline import OutlineError, depths_of
from consult.domain.outline_edit import (
    MOVES,
    EditRefused,
    InvalidItems,
    Item,
    check_direction,
    index_of,
    insert_item,
    move_item,
    remove_item,
    renumber_items,
    subtree_end,
    validate_items,
)


def outline(*depths: int) -> list[Item]:
    """Items in reading order from their depths; section ids 1, 2, ... and keys "" ."""
    items: list[Item] = []
    for index, depth in enumerate(depths):
        parent = None
        if depth:
            parent = max(i for i in range(index) if depths[i] == depth - 1)
        items.append(Item(index + 1, "", f"Abschnitt {index + 1}", "", parent))
    return items


def ids(items: list[Item]) -> list[int | None]:
    return [item.section_id for item in items]


def shape(items: list[Item]) -> list[tuple[int | None, int | None]]:
    """(section id, parent's section id) per item."""
    return [
        (item.section_id, items[item.parent].section_id if item.parent is not None else None)
        for item in items
    ]


# --- validating ------------------------------------------------------------------------


def test_validate_gives_the_depths() -> None:
    assert validate_items(outline(0, 1, 2, 1, 0)) == [0, 1, 2, 1, 0]


def test_validate_refuses_an_empty_list_and_a_section_twice() -> None:
    with pytest.raises(InvalidItems) as caught:
        validate_items([])
    assert caught.value.code == "no_sections"
    items = outline(0, 0)
    items[1].section_id = items[0].section_id
    with pytest.raises(InvalidItems) as caught:
        validate_items(items)
    assert caught.value.code == "duplicate_section"
    assert caught.value.params == {"section_id": 1}


def test_validate_refuses_a_key_twice_and_a_broken_tree() -> None:
    items = outline(0, 0)
    items[0].key = items[1].key = "3"
    with pytest.raises(OutlineError) as caught:
        validate_items(items)
    assert not isinstance(caught.value, InvalidItems)  # the service's "invalid_outline"
    items = outline(0, 0, 1)
    items[2].parent = 0  # a child separated from its parent by a sibling of the parent
    with pytest.raises(OutlineError):
        validate_items(items)


def test_new_sections_have_no_id_and_do_not_collide() -> None:
    items = [Item(None, "", "A", "", None), Item(None, "", "B", "", None)]
    assert validate_items(items) == [0, 0]


# --- finding ---------------------------------------------------------------------------


def test_index_of_and_subtree_end() -> None:
    items = outline(0, 1, 2, 1, 0)
    assert index_of(items, 4) == 3
    assert index_of(items, 99) is None
    assert subtree_end(items, 0) == 4
    assert subtree_end(items, 1) == 3
    assert subtree_end(items, 4) == 5


# --- inserting and removing ------------------------------------------------------------


def test_insert_at_the_end_as_a_sibling_and_as_a_child() -> None:
    items = outline(0, 1, 0)
    at = insert_item(items, Item(None, "", "Ende", "", None), after=None, as_child=False)
    assert at == 3 and shape(items)[-1] == (None, None)

    items = outline(0, 1, 0)
    at = insert_item(items, Item(None, "", "Neu", "", None), after=0, as_child=False)
    assert at == 2  # behind the first section's subsection
    assert shape(items) == [(1, None), (2, 1), (None, None), (3, None)]

    items = outline(0, 1, 0)
    at = insert_item(items, Item(None, "", "Neu", "", None), after=0, as_child=True)
    assert at == 1
    assert shape(items) == [(1, None), (None, 1), (2, 1), (3, None)]
    assert validate_items(items) == [0, 1, 1, 0]


def test_remove_shifts_the_parents_behind() -> None:
    items = outline(0, 0, 1)
    remove_item(items, 0)
    assert shape(items) == [(2, None), (3, 2)]


def test_remove_refuses_a_section_with_subsections_and_the_last_one() -> None:
    with pytest.raises(EditRefused) as caught:
        remove_item(outline(0, 1), 0)
    assert caught.value.code == "has_children"
    with pytest.raises(EditRefused) as caught:
        remove_item(outline(0), 0)
    assert caught.value.code == "last_section"


# --- moving ----------------------------------------------------------------------------


def test_up_and_down_move_a_section_with_its_subsections() -> None:
    items = outline(0, 1, 0, 1)
    moved = move_item(items, 2, "up")
    assert shape(moved) == [(3, None), (4, 3), (1, None), (2, 1)]
    back = move_item(moved, 0, "down")
    assert shape(back) == [(1, None), (2, 1), (3, None), (4, 3)]


def test_indent_and_outdent() -> None:
    items = outline(0, 0, 1)
    indented = move_item(items, 1, "indent")
    assert shape(indented) == [(1, None), (2, 1), (3, 2)]
    outdented = move_item(outline(0, 1, 1, 0), 1, "outdent")
    # Behind its former parent's other subsections, at the parent's level.
    assert shape(outdented) == [(1, None), (3, 1), (2, None), (4, None)]


@pytest.mark.parametrize(
    ("depths", "index", "direction"),
    [
        ((0, 0), 0, "up"),
        ((0, 0), 1, "down"),
        ((0, 1), 1, "up"),
        ((0, 0), 0, "indent"),
        ((0, 0), 1, "outdent"),
    ],
)
def test_a_move_that_cannot_be_made_is_refused(
    depths: tuple[int, ...], index: int, direction: str
) -> None:
    with pytest.raises(EditRefused) as caught:
        move_item(outline(*depths), index, direction)
    assert caught.value.code == "cannot_move"


def test_an_unknown_direction_is_invalid() -> None:
    assert check_direction("up") == "up"
    with pytest.raises(InvalidItems) as caught:
        move_item(outline(0, 0), 0, "sideways")
    assert caught.value.code == "invalid_move"


@st.composite
def trees(draw: st.DrawFn) -> list[int]:
    """Depths of a valid outline: each at most one deeper than the one before."""
    size = draw(st.integers(min_value=1, max_value=12))
    depths = [0]
    for _ in range(size - 1):
        depths.append(draw(st.integers(min_value=0, max_value=depths[-1] + 1)))
    return depths


def descendants(items: list[Item], index: int) -> set[int | None]:
    return {item.section_id for item in items[index + 1 : subtree_end(items, index)]}


@given(trees(), st.data())
def test_every_move_keeps_a_valid_tree_and_the_subsections(
    depths: list[int], data: st.DataObject
) -> None:
    items = outline(*depths)
    index = data.draw(st.integers(min_value=0, max_value=len(items) - 1))
    direction = data.draw(st.sampled_from(MOVES))
    section_id = items[index].section_id
    before = descendants(items, index)
    try:
        moved = move_item(items, index, direction)
    except EditRefused:
        return
    validate_items(moved)
    assert sorted(ids(moved), key=str) == sorted(ids(outline(*depths)), key=str)
    assert section_id is not None
    new_index = index_of(moved, section_id)
    assert new_index is not None
    assert descendants(moved, new_index) == before
    if direction in ("up", "down"):
        undo = "down" if direction == "up" else "up"
        assert shape(move_item(moved, new_index, undo)) == shape(outline(*depths))


# --- renumbering -----------------------------------------------------------------------


def test_renumber_numbers_the_numbered_and_skips_the_others() -> None:
    items = outline(0, 1, 1, 0)
    for item, key in zip(items, ("1", "", "9", "2"), strict=True):
        item.key = key
    renumber_items(items)
    assert [i.key for i in items] == ["1", "", "1.1", "2"]
    assert depths_of([i.parent for i in items]) == [0, 1, 1, 0]
