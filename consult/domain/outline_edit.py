"""Editing a draft's outline: its sections as a list of items, and the arithmetic of
inserting, removing, moving and renumbering them (plain Python, no database).

The services load a draft's sections as :class:`Item` objects in reading order (each
names its parent by index), change the list with these functions and write it back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from consult.domain.errors import N_
from consult.domain.outline import OutlineError, check_unique_keys, depths_of, renumber

#: The directions a section can be moved in (with its subsections).
MOVES = ("up", "down", "indent", "outdent")


class OutlineEditError(OutlineError):
    """An edit of the outline that cannot be made; ``code`` names why (the API's code)."""

    def __init__(self, code: str, template: str, **params: object) -> None:
        super().__init__(template, **params)
        self.code = code


class InvalidItems(OutlineEditError):
    """The input is not something a revision's section list can be (bad input)."""


class EditRefused(OutlineEditError):
    """The outline as it stands does not allow this edit (the input itself is fine)."""


@dataclass
class Item:
    """One section of a revision being built: identity (or None for new), text, parent."""

    section_id: int | None
    key: str
    title: str
    body: str
    #: Index of the parent item in the list, None at the top level.
    parent: int | None
    #: A version to reuse as it is (when the text is known to be unchanged).
    version_id: int | None = None


def validate_items(items: Sequence[Item]) -> list[int]:
    """The depth of each item.

    Raises InvalidItems (no items: ``no_sections``; a section listed twice:
    ``duplicate_section``) or OutlineError (a key twice, a tree out of reading order).
    """
    if not items:
        raise InvalidItems("no_sections", N_("Eine Fassung braucht mindestens einen Abschnitt."))
    seen: set[int] = set()
    for item in items:
        if item.section_id is not None:
            if item.section_id in seen:
                raise InvalidItems(
                    "duplicate_section",
                    N_("Der Abschnitt %(section_id)s ist zweimal aufgeführt."),
                    section_id=item.section_id,
                )
            seen.add(item.section_id)
    check_unique_keys([i.key for i in items])
    return depths_of([i.parent for i in items])


def index_of(items: Sequence[Item], section_id: int) -> int | None:
    """The index of the item of this section, None when it is not in the list."""
    return next((i for i, item in enumerate(items) if item.section_id == section_id), None)


def subtree_end(items: Sequence[Item], index: int) -> int:
    """The index just after the item's last subsection (its subtree is items[index:end])."""
    depths = depths_of([i.parent for i in items])
    end = index + 1
    while end < len(items) and depths[end] > depths[index]:
        end += 1
    return end


def _shift_parents(items: list[Item], at: int, delta: int, skip: int | None = None) -> None:
    """Move the parent indices from ``at`` on by ``delta`` (after an insertion or removal)."""
    for i, item in enumerate(items):
        if i != skip and item.parent is not None and item.parent >= at:
            item.parent += delta


def insert_item(items: list[Item], new: Item, *, after: int | None, as_child: bool) -> int:
    """Insert ``new`` after the item at ``after`` (behind its subsections) as its sibling,
    or as its first child; at the end when ``after`` is None. Returns the new index."""
    if after is None:
        at = len(items)
    elif as_child:
        new.parent = after
        at = after + 1
    else:
        new.parent = items[after].parent
        at = subtree_end(items, after)
    items.insert(at, new)
    _shift_parents(items, at, +1, skip=at)
    return at


def remove_item(items: list[Item], index: int) -> None:
    """Remove the item at ``index``. Raises EditRefused when it has subsections
    (``has_children``) or is the only item (``last_section``)."""
    if any(it.parent == index for it in items):
        raise EditRefused(
            "has_children",
            N_("Der Abschnitt hat Unterabschnitte. Verschieben oder löschen Sie diese zuerst."),
        )
    if len(items) == 1:
        raise EditRefused(
            "last_section", N_("Der letzte Abschnitt einer Fassung kann nicht gelöscht werden.")
        )
    del items[index]
    _shift_parents(items, index, -1)


def check_direction(direction: str) -> str:
    """The direction if it is one of MOVES; raises InvalidItems (``invalid_move``)."""
    if direction not in MOVES:
        raise InvalidItems("invalid_move", N_("Unbekannte Richtung."))
    return direction


def reorder(items: Sequence[Item], order: Sequence[int]) -> list[Item]:
    """The items in a new order (``order`` lists the old indices), parents re-pointed."""
    new_index = {old: new for new, old in enumerate(order)}
    reordered = [items[i] for i in order]
    for item in reordered:
        if item.parent is not None:
            item.parent = new_index[item.parent]
    return reordered


def move_item(items: list[Item], index: int, direction: str) -> list[Item]:
    """The items with the one at ``index`` moved with its subsections: ``up``/``down``
    among its siblings, ``indent`` (under the sibling before it), ``outdent`` (behind
    its parent). Raises InvalidItems (unknown direction) or EditRefused (``cannot_move``).
    """
    check_direction(direction)
    parent = items[index].parent
    siblings = [i for i, it in enumerate(items) if it.parent == parent]
    pos = siblings.index(index)
    if direction == "indent":
        if pos == 0:
            raise EditRefused(
                "cannot_move", N_("Der erste Abschnitt einer Ebene kann nicht eingerückt werden.")
            )
        items[index].parent = siblings[pos - 1]
        return items
    if direction == "outdent":
        if parent is None:
            raise EditRefused(
                "cannot_move", N_("Der Abschnitt steht schon auf der obersten Ebene.")
            )
        end = subtree_end(items, index)
        block_end = subtree_end(items, parent)
        order = (
            list(range(index))
            + list(range(end, block_end))
            + list(range(index, end))
            + list(range(block_end, len(items)))
        )
        items[index].parent = items[parent].parent
        return reorder(items, order)
    if (direction == "up" and pos == 0) or (direction == "down" and pos == len(siblings) - 1):
        raise EditRefused("cannot_move", N_("Der Abschnitt lässt sich nicht weiter verschieben."))
    first, second = (siblings[pos - 1], index) if direction == "up" else (index, siblings[pos + 1])
    first_end, second_end = subtree_end(items, first), subtree_end(items, second)
    order = (
        list(range(first))
        + list(range(second, second_end))
        + list(range(first_end, second))
        + list(range(first, first_end))
        + list(range(second_end, len(items)))
    )
    return reorder(items, order)


def renumber_items(items: Sequence[Item]) -> None:
    """Keys by position in the tree ("1", "1.1", ...); unnumbered items stay unnumbered."""
    keys = renumber([i.parent for i in items], [bool(i.key) for i in items])
    for item, key in zip(items, keys, strict=True):
        item.key = key
