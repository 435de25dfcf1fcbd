"""Which sections of two revisions were added, removed, moved or changed (TEXT.md 4)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from consult.domain.outline_diff import (
    ADDED,
    CHANGED,
    MOVED,
    REMOVED,
    UNCHANGED,
    Change,
    Placed,
    compare_outlines,
    count_statuses,
    lcs_members,
)


def placed(section_id: int, version_id: int | None = None, parent: int | None = None) -> Placed:
    """Version ids default to 100 + section id ("unchanged" unless given otherwise)."""
    return Placed(
        section_id=section_id,
        version_id=version_id if version_id is not None else 100 + section_id,
        key=str(section_id),
        parent_id=parent,
        depth=0 if parent is None else 1,
    )


def statuses(changes: Sequence[Change]) -> list[tuple[int, str]]:
    return [(c.section_id, c.status) for c in changes]


def test_identical_outlines_are_unchanged() -> None:
    old = [placed(1), placed(2), placed(3, parent=2)]
    changes = compare_outlines(old, list(old))
    assert statuses(changes) == [(1, UNCHANGED), (2, UNCHANGED), (3, UNCHANGED)]
    assert all(not c.moved and not c.changed for c in changes)
    assert [c.old for c in changes] == old and [c.new for c in changes] == old


def test_another_version_is_changed() -> None:
    changes = compare_outlines([placed(1), placed(2)], [placed(1), placed(2, version_id=7)])
    assert statuses(changes) == [(1, UNCHANGED), (2, CHANGED)]
    assert changes[1].changed and not changes[1].moved
    assert changes[1].old is not None and changes[1].old.version_id == 102
    assert changes[1].new is not None and changes[1].new.version_id == 7


def test_added_and_removed_by_presence() -> None:
    changes = compare_outlines([placed(1), placed(2)], [placed(1), placed(3)])
    # The removed 2 stands right after 1, which preceded it.
    assert statuses(changes) == [(1, UNCHANGED), (2, REMOVED), (3, ADDED)]
    removed, added = changes[1], changes[2]
    assert added.old is None and added.new == placed(3)
    assert removed.new is None and removed.old == placed(2)


def test_removed_sections_stand_after_their_predecessor_in_the_old_order() -> None:
    old = [placed(1), placed(2), placed(3), placed(4), placed(5)]
    new = [placed(6), placed(1), placed(4)]
    # 2 and 3 followed 1; 5 followed 4. The new 6 stands first.
    assert statuses(compare_outlines(old, new)) == [
        (6, ADDED),
        (1, UNCHANGED),
        (2, REMOVED),
        (3, REMOVED),
        (4, UNCHANGED),
        (5, REMOVED),
    ]


def test_removed_sections_at_the_start_stay_at_the_start() -> None:
    old = [placed(1), placed(2), placed(3)]
    new = [placed(3)]
    assert statuses(compare_outlines(old, new)) == [(1, REMOVED), (2, REMOVED), (3, UNCHANGED)]


def test_removed_section_follows_its_predecessor_even_when_that_moved() -> None:
    old = [placed(1), placed(2), placed(3), placed(4)]
    new = [placed(3), placed(4), placed(1)]
    # 1 moved to the end; 2 (removed) went with it.
    assert statuses(compare_outlines(old, new)) == [
        (3, UNCHANGED),
        (4, UNCHANGED),
        (1, MOVED),
        (2, REMOVED),
    ]


def test_a_section_off_the_longest_common_order_moved() -> None:
    old = [placed(i) for i in range(1, 6)]
    new = [placed(1), placed(4), placed(2), placed(3), placed(5)]
    changes = compare_outlines(old, new)
    assert statuses(changes) == [
        (1, UNCHANGED),
        (4, MOVED),
        (2, UNCHANGED),
        (3, UNCHANGED),
        (5, UNCHANGED),
    ]
    assert changes[1].moved and not changes[1].changed


def test_a_swap_of_two_moves_exactly_one() -> None:
    changes = compare_outlines([placed(1), placed(2)], [placed(2), placed(1)])
    assert sorted(c.status for c in changes) == [MOVED, UNCHANGED]


def test_a_new_parent_is_a_move_even_in_the_same_order() -> None:
    old = [placed(1), placed(2), placed(3, parent=2)]
    new = [placed(1), placed(2), placed(3, parent=None)]
    changes = compare_outlines(old, new)
    assert statuses(changes) == [(1, UNCHANGED), (2, UNCHANGED), (3, MOVED)]
    assert changes[2].moved


def test_changed_and_moved_is_reported_as_changed_with_the_moved_flag() -> None:
    old = [placed(1), placed(2), placed(3)]
    new = [placed(3, version_id=9), placed(1), placed(2)]
    changes = compare_outlines(old, new)
    assert statuses(changes) == [(3, CHANGED), (1, UNCHANGED), (2, UNCHANGED)]
    assert changes[0].moved and changes[0].changed
    # Re-parented and edited.
    changes = compare_outlines(
        [placed(1), placed(2, parent=1)], [placed(1), placed(2, version_id=5, parent=None)]
    )
    assert statuses(changes) == [(1, UNCHANGED), (2, CHANGED)]
    assert changes[1].moved and changes[1].changed


def test_a_changed_key_alone_is_no_change() -> None:
    old = [placed(1)]
    new = [Placed(1, 101, "9.9", None, 0)]
    assert statuses(compare_outlines(old, new)) == [(1, UNCHANGED)]


def test_empty_outlines() -> None:
    assert compare_outlines([], []) == []
    assert statuses(compare_outlines([], [placed(1)])) == [(1, ADDED)]
    assert statuses(compare_outlines([placed(1)], [])) == [(1, REMOVED)]


def test_count_statuses() -> None:
    old = [placed(1), placed(2), placed(3), placed(4)]
    new = [placed(2, version_id=1), placed(1), placed(3), placed(5)]
    counts = count_statuses(compare_outlines(old, new))
    assert counts == {UNCHANGED: 2, CHANGED: 1, ADDED: 1, REMOVED: 1, MOVED: 0}
    assert count_statuses([]) == {UNCHANGED: 0, CHANGED: 0, ADDED: 0, REMOVED: 0, MOVED: 0}


@settings(deadline=None)  # cheap examples; no timing flakes on a busy machine
@given(
    st.lists(st.integers(1, 30), unique=True, max_size=12),
    st.lists(st.integers(1, 30), unique=True, max_size=12),
    st.sets(st.integers(1, 30)),
)
def test_every_section_appears_once_with_a_consistent_status(
    old_ids: list[int], new_ids: list[int], edited: set[int]
) -> None:
    old = [placed(i) for i in old_ids]
    new = [placed(i, version_id=i if i in edited else None) for i in new_ids]
    changes = compare_outlines(old, new)
    assert sorted(c.section_id for c in changes) == sorted(set(old_ids) | set(new_ids))
    # The new reading order is kept; removed sections are interleaved.
    assert [c.section_id for c in changes if c.status != REMOVED] == new_ids
    common = [i for i in new_ids if i in set(old_ids)]
    on_lcs = [c.section_id for c in changes if c.old and c.new and not c.moved]
    assert len(on_lcs) == lcs_length(
        [i for i in old_ids if i in set(new_ids)], common
    )  # only what is off one longest common order moved
    for change in changes:
        if change.section_id not in old_ids:
            assert change.status == ADDED
        elif change.section_id not in new_ids:
            assert change.status == REMOVED
        elif change.section_id in edited:
            assert change.status == CHANGED and change.changed
        else:
            assert change.status == (MOVED if change.moved else UNCHANGED)
    # A removed section directly follows its nearest surviving predecessor (or a removed
    # section that also followed it).
    order = [c.section_id for c in changes]
    for index, sid in enumerate(old_ids):
        if sid in new_ids:
            continue
        before = old_ids[index - 1] if index else None
        at = order.index(sid)
        if before is None:
            assert all(c.status == REMOVED for c in changes[:at])
        else:
            assert order[at - 1] == before


# --- lcs_members ------------------------------------------------------------------------


def lcs_length(a: Sequence[int], b: Sequence[int]) -> int:
    """Textbook dynamic programme."""
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            table[i + 1][j + 1] = (
                table[i][j] + 1 if x == y else max(table[i][j + 1], table[i + 1][j])
            )
    return table[len(a)][len(b)]


def brute_force_lcs_length(a: Sequence[int], b: Sequence[int]) -> int:
    """The longest subset of ``a`` whose order is the same in ``b`` (all subsets tried)."""
    where = {x: i for i, x in enumerate(b)}
    best = 0
    for size in range(len(a), 0, -1):
        for subset in itertools.combinations([x for x in a if x in where], size):
            positions = [where[x] for x in subset]
            if positions == sorted(positions):
                return size
    return best


def is_common_subsequence(members: set[int], a: Sequence[int], b: Sequence[int]) -> bool:
    return [x for x in a if x in members] == [x for x in b if x in members]


def test_lcs_members_examples() -> None:
    assert lcs_members([], []) == set()
    assert lcs_members([1, 2, 3], [1, 2, 3]) == {1, 2, 3}
    assert lcs_members([1, 2, 3, 4], [4, 1, 2, 3]) == {1, 2, 3}
    assert lcs_members([1, 2, 3, 4], [2, 3, 4, 1]) == {2, 3, 4}
    assert len(lcs_members([1, 2, 3], [3, 2, 1])) == 1


@settings(deadline=None)  # cheap examples; no timing flakes on a busy machine
@given(st.permutations(range(8)))
def test_lcs_members_of_a_permutation_is_a_longest_common_subsequence(
    permuted: list[int],
) -> None:
    original = list(range(8))
    members = lcs_members(original, permuted)
    assert is_common_subsequence(members, original, permuted)
    assert len(members) == brute_force_lcs_length(original, permuted)


@settings(deadline=None)  # cheap examples; no timing flakes on a busy machine
@given(
    st.lists(st.integers(0, 15), unique=True, max_size=9),
    st.lists(st.integers(0, 15), unique=True, max_size=9),
)
def test_lcs_members_of_partly_overlapping_sequences(a: list[int], b: list[int]) -> None:
    members = lcs_members(a, b)
    assert members <= set(a) & set(b)
    assert is_common_subsequence(members, a, b)
    assert len(members) == brute_force_lcs_length(a, b) == lcs_length(a, b)
