"""Stored results name the algorithm that made them and are made again when it changes.

Anchor locations (feedback_locations) and word diffs (section_diffs) are computed once
and stored: section versions never change. The algorithms do: a better re-anchoring
rule landed twice already, and installations kept the old placements for good. Each
row now records ``anchoring.LOCATE_ALGORITHM`` or ``textdiff.DIFF_ALGORITHM``; a row
made by another is computed again, lazily, when next read, and overwritten.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy import select

from consult.domain.anchoring import LOCATE_ALGORITHM, Anchor, Located
from consult.domain.textdiff import DIFF_ALGORITHM, Op
from consult.models import FeedbackLocation, SectionDiff
from consult.services import diffs, feedback_locations, feedback_views
from tests.services.test_feedback import World, world  # noqa: F401  (the fixture)


def stored_locations(world: World) -> list[FeedbackLocation]:  # noqa: F811
    world.db.expire_all()
    return list(world.db.scalars(select(FeedbackLocation)))


def test_locations_placed_by_other_rules_are_placed_again(
    world: World,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world.open_round()
    comment = world.comment(world.alice, "2", "Sprachförderung beginnt in der Kita.")
    second = world.new_revision()  # publishing places the comment in the new version
    [row] = stored_locations(world)
    assert (row.feedback_id, row.algorithm) == (comment.id, LOCATE_ALGORITHM)
    assert row.state == "moved"

    # A new version of the rules (here: one that orphans everything).
    calls: list[int] = []

    def new_rules(anchors: Sequence[Anchor], old: str, new: str) -> list[Located]:
        calls.append(len(anchors))
        return [Located("orphaned", None, None) for _ in anchors]

    monkeypatch.setattr(feedback_locations, "LOCATE_ALGORITHM", "relocate-999/diff-1")
    monkeypatch.setattr(feedback_locations, "relocate_many", new_rules)
    [view] = [
        v
        for v in feedback_views.visible_feedback(world.db, second, actor=world.editor)
        if v.feedback.id == comment.id
    ]
    assert view.location is not None and view.location.state == "orphaned"
    assert calls == [1]
    [row] = stored_locations(world)  # overwritten, not added
    assert (row.state, row.start, row.algorithm) == ("orphaned", None, "relocate-999/diff-1")

    # Read again under the same rules: from the stored row, not computed.
    feedback_views.visible_feedback(world.db, second, actor=world.editor)
    assert calls == [1]


def test_diffs_made_by_another_algorithm_are_made_again(
    world: World,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = world.revision
    second = world.new_revision()
    comparison = diffs.compare(world.db, second, first)
    changed = [s for s in comparison.sections if s.status == "changed"]
    assert changed
    world.db.expire_all()
    rows = list(world.db.scalars(select(SectionDiff)))
    assert rows and {r.algorithm for r in rows} == {DIFF_ALGORITHM}

    calls: list[tuple[str, str]] = []

    def new_diff(a: str, b: str) -> list[Op]:
        calls.append((a, b))
        return [("delete", a), ("insert", b)] if a != b else [("equal", a)]

    monkeypatch.setattr(diffs, "DIFF_ALGORITHM", "word-diff-999")
    monkeypatch.setattr(diffs, "word_diff", new_diff)
    again = diffs.compare(world.db, second, first)
    section = next(s for s in again.sections if s.status == "changed")
    assert [op for op, _ in section.body_ops] == ["delete", "insert"]
    assert len(calls) == 2 * len(rows)  # title and body of each pair, once
    world.db.expire_all()
    assert {r.algorithm for r in world.db.scalars(select(SectionDiff))} == {"word-diff-999"}
    assert len(list(world.db.scalars(select(SectionDiff)))) == len(rows)

    diffs.compare(world.db, second, first)
    assert len(calls) == 2 * len(rows)  # stored now: not made again
