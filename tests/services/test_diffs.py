"""Comparing two revisions: statuses, word-level ops, the cache, history (services tier)."""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.domain.textdiff import DELETE, EQUAL, INSERT, Op
from consult.errors import Invalid, NotFound
from consult.models import Consultation, Membership, Placement, Revision, SectionDiff, User
from consult.services import consultations as consultation_service
from consult.services import diffs, draft_sections, drafts
from consult.services import revisions as service
from consult.services.diffs import RevisionComparison, SectionComparison

MARKDOWN = """\
# 1 Präambel

Der Kreis Siegtal legt sein „Integrationskonzept 2030“ vor. Es wurde mit den
Kommunen, den Wohlfahrtsverbänden und den Migrantenorganisationen erarbeitet.

# 2 Ausgangslage

Im Kreis leben Menschen aus über 150 Nationen.

## 2.1 Bevölkerung

Ein Viertel der Einwohnerinnen und Einwohner hat eine Einwanderungsgeschichte.
Die meisten leben in Troisdorf, Siegburg und Sankt Augustin.

## 2.2 Bisherige Arbeit

Seit 2013 arbeitet das Kommunale Integrationszentrum.

# 3 Handlungsfelder

## 3.1 Bildung

- Sprachförderung in Kitas
- Elternarbeit 👨‍👩‍👧

## 3.2 Arbeit

Anerkennung ausländischer Abschlüsse beschleunigen.

# 4 Umsetzung

Ein Monitoring berichtet jährlich dem Kreistag.
"""


@dataclass
class World:
    db: Session
    editor: User
    consultation: Consultation
    other: Consultation
    first: Revision
    second: Revision

    def by_key(self, revision: Revision) -> dict[str, Placement]:
        return {p.key: p for p in service.outline(self.db, revision).placements}

    def edit(self, key: str, **changes: str) -> Placement:
        placement = self.by_key(self.second)[key]
        return draft_sections.update_section(
            self.db,
            self.second.id,
            placement.section_id,
            actor=self.editor,
            base_version_id=placement.version_id,
            **changes,
        )

    def move(self, key: str, direction: str) -> None:
        section_id = self.by_key(self.second)[key].section_id
        draft_sections.move_section(
            self.db, self.second.id, section_id, actor=self.editor, direction=direction
        )

    def compare(self) -> RevisionComparison:
        return diffs.compare_revisions(self.db, self.second.id, self.first.id, actor=self.editor)


@pytest.fixture
def world(
    db: Session,
    admin: User,
    make_user: Callable[..., User],
    add_member: Callable[..., Membership],
) -> World:
    consultation = consultation_service.create_consultation(
        db, actor=admin, title="Integrationskonzept"
    )
    other = consultation_service.create_consultation(db, actor=admin, title="Anderes Verfahren")
    editor = make_user()
    add_member(consultation.id, editor, "editor")
    first = drafts.create_from_markdown(
        db, consultation.id, actor=editor, markdown=MARKDOWN, note="Erster Entwurf"
    )
    drafts.publish(db, first.id, actor=editor)
    second = drafts.copy_revision(db, first.id, actor=editor, note="Nach der Beteiligung")
    return World(db, editor, consultation, other, first, second)


def old_text(ops: Sequence[Op]) -> str:
    return "".join(text for kind, text in ops if kind in (EQUAL, DELETE))


def new_text(ops: Sequence[Op]) -> str:
    return "".join(text for kind, text in ops if kind in (EQUAL, INSERT))


_WORD = re.compile(r"\w")


def boundaries_split_no_word(ops: Sequence[Op]) -> None:
    """No op boundary has a word character on both sides, neither in the old text
    (equal + delete) nor in the new text (equal + insert)."""
    for side in ((EQUAL, DELETE), (EQUAL, INSERT)):
        pieces = [text for kind, text in ops if kind in side]
        for left, right in itertools.pairwise(pieces):
            assert not (_WORD.match(left[-1]) and _WORD.match(right[0])), (left, right, ops)


def check_section(section: SectionComparison) -> None:
    """The ops rebuild both texts exactly and split no word."""
    old, new = section.old_version, section.new_version
    for ops, attribute in ((section.title_ops, "title"), (section.body_ops, "body")):
        assert all(kind in (EQUAL, INSERT, DELETE) and text for kind, text in ops)
        assert old_text(ops) == (getattr(old, attribute) if old else "")
        assert new_text(ops) == (getattr(new, attribute) if new else "")
        boundaries_split_no_word(ops)
    if section.status in ("unchanged", "moved"):
        assert all(kind == EQUAL for kind, _ in section.title_ops + section.body_ops)
    if section.status == "changed":
        assert any(kind != EQUAL for kind, _ in section.title_ops + section.body_ops)


def statuses(comparison: RevisionComparison) -> dict[str, str]:
    return {s.key or s.old_key: s.status for s in comparison.sections}


def test_an_unchanged_copy_is_unchanged_throughout(world: World) -> None:
    comparison = world.compare()
    assert set(statuses(comparison).values()) == {"unchanged"}
    assert comparison.counts == {
        "unchanged": 8,
        "changed": 0,
        "added": 0,
        "removed": 0,
        "moved": 0,
    }
    for section in comparison.sections:
        check_section(section)
        assert section.old_version is section.new_version or (
            section.old_version is not None
            and section.new_version is not None
            and section.old_version.id == section.new_version.id
        )
    assert world.db.scalar(select(func.count()).select_from(SectionDiff)) == 0


def test_statuses_of_every_kind_titles_included(world: World) -> None:
    world.edit(
        "2.1", body=world.by_key(world.second)["2.1"].version.body.replace("Viertel", "Drittel")
    )
    world.edit("3", title="Handlungsfelder und Maßnahmen")  # title only
    world.edit("3.2", body="Anerkennung ausländischer Abschlüsse deutlich beschleunigen.")
    world.move("3.2", "outdent")  # and a new parent: changed and moved
    world.move("1", "down")  # after the whole of 2: moved
    original = world.by_key(world.second)["3.1"].version.body
    world.edit("3.1", body="Vorübergehend anders.")
    world.edit("3.1", body=original)  # back to the base text: the base's version again
    draft_sections.delete_section(
        world.db, world.second.id, world.by_key(world.second)["2.2"].section_id, actor=world.editor
    )
    draft_sections.add_section(
        world.db, world.second.id, actor=world.editor, title="Finanzierung", key="5", body="Geld."
    )
    comparison = world.compare()
    assert [(s.key or s.old_key, s.status) for s in comparison.sections] == [
        ("2", "unchanged"),
        ("2.1", "changed"),
        ("2.2", "removed"),  # after its predecessor 2.1
        ("1", "moved"),
        ("3", "changed"),
        ("3.1", "unchanged"),
        ("3.2", "changed"),
        ("4", "unchanged"),
        ("5", "added"),
    ]
    by_key = {s.key or s.old_key: s for s in comparison.sections}
    assert by_key["3.2"].change.moved and by_key["3.2"].change.changed
    assert by_key["1"].change.moved and not by_key["1"].change.changed
    assert not by_key["3.1"].change.changed
    assert by_key["3.1"].old_version is by_key["3.1"].new_version
    assert comparison.counts == {
        "unchanged": 3,
        "changed": 3,
        "added": 1,
        "removed": 1,
        "moved": 1,
    }
    # The title is part of what changes; the body of 3 did not.
    assert by_key["3"].title_ops == [
        (EQUAL, "Handlungsfelder"),
        (INSERT, " und Maßnahmen"),
    ]
    assert all(kind == EQUAL for kind, _ in by_key["3"].body_ops)
    assert (DELETE, "Viertel") in by_key["2.1"].body_ops
    assert (INSERT, "Drittel") in by_key["2.1"].body_ops
    assert by_key["5"].title_ops == [(INSERT, "Finanzierung")]
    assert by_key["5"].body_ops == [(INSERT, "Geld.")]
    assert by_key["2.2"].title_ops == [(DELETE, "Bisherige Arbeit")]
    for section in comparison.sections:
        check_section(section)
    # The other direction mirrors it.
    backwards = diffs.compare_revisions(
        world.db, world.first.id, world.second.id, actor=world.editor
    )
    back = {s.key or s.old_key: s.status for s in backwards.sections}
    assert back["5"] == "removed" and back["2.2"] == "added" and back["2.1"] == "changed"


def test_a_revert_over_two_revisions_is_unchanged(world: World) -> None:
    """A -> B -> A: the third revision has another version than the first, with the
    same text; the diff of the first and third reports it unchanged."""
    original = world.by_key(world.second)["2.1"].version.body
    world.edit("2.1", body="Ein Drittel.")
    drafts.publish(world.db, world.second.id, actor=world.editor)
    third = drafts.copy_revision(world.db, world.second.id, actor=world.editor)
    placement = world.by_key(third)["2.1"]
    draft_sections.update_section(
        world.db,
        third.id,
        placement.section_id,
        actor=world.editor,
        base_version_id=placement.version_id,
        body=original,
    )
    comparison = diffs.compare_revisions(world.db, third.id, world.first.id, actor=world.editor)
    section = next(s for s in comparison.sections if s.key == "2.1")
    assert section.old_version is not None and section.new_version is not None
    assert section.old_version.id != section.new_version.id
    assert (section.status, section.change.changed) == ("unchanged", False)
    assert section.body_ops == [(EQUAL, original)]
    assert set(statuses(comparison).values()) == {"unchanged"}
    check_section(section)
    # Against the second revision it is a change back.
    against_second = diffs.compare_revisions(
        world.db, third.id, world.second.id, actor=world.editor
    )
    assert statuses(against_second)["2.1"] == "changed"


def _mutate(text: str, rng: random.Random) -> str:
    """A few word-level edits: replace, delete, insert, swap two words, join words."""
    tokens = re.findall(r"\w+|\W", text)
    fillers = ["neu", "Kommune", "🤝", "„Teilhabe“", "مرحبا", "e\u0301", "und", "", " "]
    for _ in range(rng.randint(1, 5)):
        if not tokens:
            tokens.append(rng.choice(fillers))
            continue
        at = rng.randrange(len(tokens))
        action = rng.choice(["replace", "delete", "insert", "join", "paragraph"])
        if action == "replace":
            tokens[at] = rng.choice(fillers)
        elif action == "delete":
            del tokens[at]
        elif action == "insert":
            tokens.insert(at, rng.choice(fillers))
        elif action == "join" and at + 2 < len(tokens):
            del tokens[at + 1]  # "Kommunen, den" -> "Kommunen den" or "Wortwort"
        else:
            tokens.insert(at, "\n\n")
    return "".join(tokens)


@pytest.mark.parametrize("seed", range(3))
def test_ops_rebuild_both_texts_and_split_no_word(world: World, seed: int) -> None:
    rng = random.Random(seed)
    for key, placement in world.by_key(world.second).items():
        body = _mutate(placement.version.body, rng)
        title = _mutate(placement.version.title, rng).strip() or "Titel"
        world.edit(key, body=body, title=title)
    comparison = world.compare()
    assert len(comparison.sections) == 8
    changed = [s for s in comparison.sections if s.status == "changed"]
    assert changed  # the edits changed at least some sections
    for section in comparison.sections:
        check_section(section)


def test_cache_rows_are_written_once_and_reused(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.edit("2.1", body="Ein Drittel der Menschen hat eine Einwanderungsgeschichte.")
    world.edit("3", title="Handlungsfelder und Ziele")
    world.edit("4", body="Ein Monitoring berichtet alle zwei Jahre dem Kreistag.")
    calls: list[tuple[str, str]] = []
    real = diffs.word_diff

    def counting(a: str, b: str) -> list[Op]:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(diffs, "word_diff", counting)
    first = world.compare()
    assert len(calls) == 6  # title and body of three changed sections
    rows = world.db.scalars(select(SectionDiff)).all()
    assert len(rows) == 3
    by_key = world.by_key(world.second)
    old_by_key = world.by_key(world.first)
    assert {(r.old_version_id, r.new_version_id) for r in rows} == {
        (old_by_key[k].version_id, by_key[k].version_id) for k in ("2.1", "3", "4")
    }

    def fail(a: str, b: str) -> list[Op]:
        raise AssertionError("a cached diff was computed again")

    monkeypatch.setattr(diffs, "word_diff", fail)
    world.db.expire_all()
    again = world.compare()
    assert [(s.section_id, s.status, s.title_ops, s.body_ops) for s in again.sections] == [
        (s.section_id, s.status, s.title_ops, s.body_ops) for s in first.sections
    ]
    assert world.db.scalar(select(func.count()).select_from(SectionDiff)) == 3
    # A revision pair that shares those version pairs reuses the rows too.
    drafts.publish(world.db, world.second.id, actor=world.editor)
    third = drafts.copy_revision(world.db, world.second.id, actor=world.editor)
    reused = diffs.compare_revisions(world.db, third.id, world.first.id, actor=world.editor)
    assert [s.status for s in reused.sections] == [s.status for s in first.sections]
    assert world.db.scalar(select(func.count()).select_from(SectionDiff)) == 3


def test_a_new_edit_adds_only_its_own_cache_row(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.edit("2.1", body="Ein Drittel.")
    world.compare()
    world.edit("4", body="Jährlich ein Bericht.")
    calls: list[str] = []
    real = diffs.word_diff
    monkeypatch.setattr(diffs, "word_diff", lambda a, b: calls.append(a) or real(a, b))
    world.compare()
    assert len(calls) == 2  # title and body of 4 only
    assert world.db.scalar(select(func.count()).select_from(SectionDiff)) == 2


def test_against_is_checked(
    world: World,
    admin: User,
    make_user: Callable[..., User],
    add_member: Callable[..., Membership],
) -> None:
    foreign = drafts.create_from_markdown(
        world.db, world.other.id, actor=admin, markdown="# Fremd\n\nText"
    )
    with pytest.raises(Invalid) as caught:
        diffs.compare_revisions(world.db, world.second.id, foreign.id, actor=admin)
    assert caught.value.code == "invalid_against"
    for against, code in (
        (None, "missing_against"),
        ("", "missing_against"),
        ("zwei", "invalid_against"),
    ):
        with pytest.raises(Invalid) as caught:
            diffs.compare_revisions(world.db, world.second.id, against, actor=world.editor)
        assert caught.value.code == code
    # The query string form works.
    assert (
        diffs.compare_revisions(
            world.db, world.second.id, str(world.first.id), actor=world.editor
        ).other
        is world.first
    )
    with pytest.raises(NotFound):
        diffs.compare_revisions(world.db, world.second.id, 999_999, actor=world.editor)
    # A revision the caller may not read is unknown to them, on either side.
    observer = make_user()
    add_member(world.consultation.id, observer, "observer")
    with pytest.raises(NotFound):
        diffs.compare_revisions(world.db, world.second.id, world.first.id, actor=observer)
    with pytest.raises(NotFound):
        diffs.compare_revisions(world.db, world.first.id, world.second.id, actor=observer)


def test_history_counts_changes_against_the_base(world: World) -> None:
    world.edit("2.1", body="Ein Drittel.")
    world.edit("3", title="Handlungsfelder und Ziele")
    draft_sections.delete_section(
        world.db, world.second.id, world.by_key(world.second)["2.2"].section_id, actor=world.editor
    )
    draft_sections.add_section(world.db, world.second.id, actor=world.editor, title="Finanzierung")
    world.move("1", "down")
    entries = diffs.history(world.db, world.consultation.id, actor=world.editor)
    assert [(e.revision.id, e.compared_to.id if e.compared_to else None) for e in entries] == [
        (world.second.id, world.first.id),
        (world.first.id, None),
    ]
    assert entries[0].counts == {
        "unchanged": 4,
        "changed": 2,
        "added": 1,
        "removed": 1,
        "moved": 1,
    }
    assert entries[1].counts == {
        "unchanged": 0,
        "changed": 0,
        "added": 8,
        "removed": 0,
        "moved": 0,
    }
    # History counts agree with the full comparison.
    assert world.compare().counts == entries[0].counts


def test_history_shows_only_what_the_reader_may_read(
    world: World, make_user: Callable[..., User], add_member: Callable[..., Membership]
) -> None:
    observer = make_user()
    add_member(world.consultation.id, observer, "observer")
    entries = diffs.history(world.db, world.consultation.id, actor=observer)
    assert [e.revision.id for e in entries] == [world.first.id]
    outsider = make_user()
    with pytest.raises(NotFound):
        diffs.history(world.db, world.consultation.id, actor=outsider)
