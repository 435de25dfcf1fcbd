"""Revisions of a concept draft through the service functions (services tier)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.domain.outline import check_unique_keys, depths_of
from consult.errors import Conflict, Invalid, NotFound, NotPermitted, ServiceError, TooLarge
from consult.models import (
    Consultation,
    Membership,
    Placement,
    Revision,
    Section,
    SectionDiff,
    SectionVersion,
    User,
)
from consult.services import access, draft_sections, drafts, section_input
from consult.services import consultations as consultation_service
from consult.services import revisions as service
from consult.services.section_input import MAX_IMPORT

MARKDOWN = """\
# 1 Präambel

Der Kreis Siegtal legt sein „Integrationskonzept 2030“ vor.

# 2 Ausgangslage

Im Kreis leben Menschen aus über 150 Nationen.

## 2.1 Bevölkerung

Ein Viertel der Einwohnerinnen und Einwohner hat eine Einwanderungsgeschichte.

## 2.2 Bisherige Arbeit

Seit 2013 arbeitet das Kommunale Integrationszentrum.

# 3 Handlungsfelder

## 3.1 Bildung

- Sprachförderung in Kitas
- Elternarbeit

## 3.2 Arbeit

Anerkennung ausländischer Abschlüsse beschleunigen.

# 4 Umsetzung

Ein Monitoring berichtet jährlich.
"""

KEYS = ["1", "2", "2.1", "2.2", "3", "3.1", "3.2", "4"]


@dataclass
class World:
    db: Session
    admin: User
    editor: User
    consultation: Consultation
    other_consultation: Consultation
    make_user: Callable[..., User]
    add_member: Callable[..., Membership]

    def member(self, role: str, consultation: Consultation | None = None) -> User:
        user = self.make_user()
        self.add_member((consultation or self.consultation).id, user, role)
        return user

    def import_markdown(self, markdown: object = MARKDOWN, **kwargs: Any) -> Revision:
        return drafts.create_from_markdown(
            self.db, self.consultation.id, actor=self.editor, markdown=markdown, **kwargs
        )

    def placements(self, revision: Revision) -> list[Placement]:
        return service.outline(self.db, revision).placements

    def by_key(self, revision: Revision) -> dict[str, Placement]:
        return {p.key: p for p in self.placements(revision)}

    def payload(self, revision: Revision) -> list[dict[str, Any]]:
        """The revision as an API section list (with identities and explicit parents)."""
        placements = self.placements(revision)
        key_of = {p.section_id: p.key for p in placements}
        return [
            {
                "section_id": p.section_id,
                "key": p.key,
                "title": p.version.title,
                "body": p.version.body,
                "parent_key": key_of[p.parent_section_id] if p.parent_section_id else None,
            }
            for p in placements
        ]


@pytest.fixture
def world(
    db: Session,
    admin: User,
    make_user: Callable[..., User],
    add_member: Callable[..., Membership],
) -> World:
    consultation = consultation_service.create_consultation(
        db, actor=admin, title="Integrationskonzept Kreis Siegtal"
    )
    other = consultation_service.create_consultation(db, actor=admin, title="Anderes Verfahren")
    editor = make_user("Miriam Redaktion")
    add_member(consultation.id, editor, "editor")
    return World(db, admin, editor, consultation, other, make_user, add_member)


TABLES = (Revision, Section, SectionVersion, Placement, SectionDiff)
#: The ``writes_nothing`` fixture: ``with writes_nothing(): ...``.
NoWrites = Callable[[], AbstractContextManager[None]]


def row_counts(db: Session) -> dict[str, int]:
    return {
        model.__tablename__: db.scalar(select(func.count()).select_from(model)) or 0
        for model in TABLES
    }


@pytest.fixture
def writes_nothing(db: Session) -> NoWrites:
    """``with writes_nothing():`` asserts that the block changes no row counts
    (pending objects are flushed by the count queries, so they would count too)."""

    @contextmanager
    def check() -> Iterator[None]:
        before = row_counts(db)
        yield
        assert row_counts(db) == before

    return check


def assert_valid_tree(world: World, revision: Revision) -> list[Placement]:
    """Positions 0..n-1, parents before children in preorder, stored depths right."""
    world.db.expire_all()
    placements = world.placements(revision)
    assert [p.position for p in placements] == list(range(len(placements)))
    index = {p.section_id: i for i, p in enumerate(placements)}
    assert len(index) == len(placements)
    parents = [
        index[p.parent_section_id] if p.parent_section_id is not None else None for p in placements
    ]
    assert depths_of(parents) == [p.depth for p in placements]
    check_unique_keys([p.key for p in placements])
    return placements


def status_of(db: Session, revision_id: int) -> str:
    return db.execute(select(Revision.status).where(Revision.id == revision_id)).scalar_one()


def versions_by_section(placements: list[Placement]) -> dict[int, int]:
    return {p.section_id: p.version_id for p in placements}


# --- creating from Markdown --------------------------------------------------------------


def test_markdown_import_creates_a_nested_numbered_draft(world: World) -> None:
    revision = world.import_markdown(note="Erster Entwurf")
    assert (revision.number, revision.status, revision.note) == (1, "draft", "Erster Entwurf")
    assert revision.author_id == world.editor.id and revision.base_revision_id is None
    placements = assert_valid_tree(world, revision)
    assert [p.key for p in placements] == KEYS
    assert [p.depth for p in placements] == [0, 0, 1, 1, 0, 1, 1, 0]
    by_key = world.by_key(revision)
    assert by_key["2.1"].parent_section_id == by_key["2"].section_id
    assert by_key["3.2"].parent_section_id == by_key["3"].section_id
    assert by_key["1"].version.title == "Präambel"
    assert by_key["3.1"].version.body == "- Sprachförderung in Kitas\n- Elternarbeit"
    assert all(p.version.previous_id is None for p in placements)
    assert all(p.version.created_by_id == world.editor.id for p in placements)


def test_unicode_comes_back_exactly_after_nfc(world: World) -> None:
    body = (
        "„Teilhabe“ für alle – ‚gemeinsam‘ 👋🏽👨‍👩‍👧🇩🇪\n\n"
        "مرحبا بكم في مدينتنا\n\n"
        "Cafe\u0301 und A\u0308rger\u00a0heute"
    )
    revision = world.import_markdown(f"# 1 Grüße „überall“ 🌍\r\n\r\n{body}\r\n")
    [placement] = world.placements(revision)
    world.db.expire_all()
    stored = world.db.get(SectionVersion, placement.version_id)
    assert stored is not None
    assert stored.title == "Grüße „überall“ 🌍"
    assert stored.body == unicodedata.normalize("NFC", body)
    assert stored.body.encode() == unicodedata.normalize("NFC", body).encode()


def test_pasted_text_import(world: World) -> None:
    text = "1 Einleitung\n\nText eins.\n\n1.1 Ziele\n\nText zwei.\n\n2 Umsetzung\n\nText drei."
    revision = world.import_markdown(text, pasted=True)
    placements = assert_valid_tree(world, revision)
    assert [(p.key, p.version.title, p.depth) for p in placements] == [
        ("1", "Einleitung", 0),
        ("1.1", "Ziele", 1),
        ("2", "Umsetzung", 0),
    ]


def test_a_second_markdown_import_matches_sections_by_key_then_title(world: World) -> None:
    first = world.import_markdown()
    drafts.publish(world.db, first.id, actor=world.editor)
    old = world.by_key(first)
    changed = (
        MARKDOWN.replace("# 4 Umsetzung", "# 5 Umsetzung")  # new key, same title
        .replace("## 2.2 Bisherige Arbeit", "## 2.2 Bisherige Integrationsarbeit")  # same key
        .replace("Anerkennung ausländischer", "Schnellere Anerkennung ausländischer")
        + "\n# 6 Finanzierung\n\nDer Kreis stellt Mittel bereit.\n"
    )
    second = world.import_markdown(changed)
    assert (second.number, second.base_revision_id) == (2, first.id)
    new = world.by_key(second)
    for key in ["1", "2", "2.1", "3", "3.1"]:
        assert new[key].section_id == old[key].section_id
        assert new[key].version_id == old[key].version_id  # unchanged text shares the version
    assert new["2.2"].section_id == old["2.2"].section_id  # matched by key
    assert new["2.2"].version_id != old["2.2"].version_id
    assert new["2.2"].version.previous_id == old["2.2"].version_id
    assert new["3.2"].section_id == old["3.2"].section_id
    assert new["3.2"].version.previous_id == old["3.2"].version_id
    assert new["5"].section_id == old["4"].section_id  # matched by title
    assert new["5"].version_id == old["4"].version_id
    assert new["6"].section_id not in {p.section_id for p in old.values()}


def test_import_matching_never_uses_a_section_twice(world: World) -> None:
    first = world.import_markdown("# 1 Ziele\n\nA\n\n# 2 Wege\n\nB")
    drafts.publish(world.db, first.id, actor=world.editor)
    # "1" matches by key; the second "Ziele" must not take the same section by title.
    second = world.import_markdown("# 1 Ziele\n\nA\n\n# 3 Ziele\n\nC\n\n# 2 Wege\n\nB")
    ids = [p.section_id for p in world.placements(second)]
    assert len(set(ids)) == 3
    old = world.by_key(first)
    assert ids[0] == old["1"].section_id and ids[2] == old["2"].section_id


# --- creating from a section list ---------------------------------------------------------


def test_sections_keep_identity_and_unchanged_sections_share_versions(world: World) -> None:
    first = world.import_markdown()
    drafts.publish(world.db, first.id, actor=world.editor)
    payload = world.payload(first)
    payload[6]["body"] = "Anerkennung beschleunigen und Beratung ausbauen."  # 3.2 changed
    removed = payload.pop(3)  # 2.2 not listed: removed
    payload.insert(5, {"key": "3.0", "title": "Neu", "body": "Ganz neu.", "parent_key": "3"})
    second = drafts.create_from_sections(
        world.db,
        world.consultation.id,
        actor=world.editor,
        sections=payload,
        base_revision_id=first.id,
        note="Zweite Fassung",
    )
    assert (second.number, second.base_revision_id, second.note) == (2, first.id, "Zweite Fassung")
    placements = assert_valid_tree(world, second)
    old = versions_by_section(world.placements(first))
    new = versions_by_section(placements)
    assert removed["section_id"] not in new
    by_key = world.by_key(second)
    for key in ["1", "2", "2.1", "3", "3.1", "4"]:
        assert new[by_key[key].section_id] == old[by_key[key].section_id]
    changed = by_key["3.2"]
    assert changed.version_id != old[changed.section_id]
    assert changed.version.previous_id == old[changed.section_id]
    assert changed.version.body == "Anerkennung beschleunigen und Beratung ausbauen."
    added = by_key["3.0"]
    assert added.section_id not in old
    assert added.parent_section_id == by_key["3"].section_id
    assert added.version.previous_id is None


def test_parent_key_defaults_to_the_key_without_its_last_part(world: World) -> None:
    revision = drafts.create_from_sections(
        world.db,
        world.consultation.id,
        actor=world.editor,
        sections=[
            {"key": "1", "title": "Eins"},
            {"key": "1.1", "title": "Eins-eins", "body": "x"},
            {"key": "1.1.1", "title": "Tief"},
            {"key": "2", "title": "Zwei"},
            {"key": "", "title": "Anhang"},
            {"key": "A.1", "title": "Unter dem Anhang", "parent_key": None},
        ],
    )
    placements = assert_valid_tree(world, revision)
    parents = {p.key or p.version.title: p.parent_section_id for p in placements}
    ids = {p.key or p.version.title: p.section_id for p in placements}
    assert parents == {
        "1": None,
        "1.1": ids["1"],
        "1.1.1": ids["1.1"],
        "2": None,
        "Anhang": None,
        "A.1": None,  # explicit null: top level
    }


def test_an_explicit_parent_key_wins(world: World) -> None:
    revision = drafts.create_from_sections(
        world.db,
        world.consultation.id,
        actor=world.editor,
        sections=[
            {"key": "1", "title": "Eins"},
            {"key": "", "title": "Ohne Nummer", "parent_key": "1"},
            {"key": "7", "title": "Sieben unter Eins", "parent_key": "1"},
            {"key": "2", "title": "Zwei"},
        ],
    )
    placements = assert_valid_tree(world, revision)
    one = placements[0].section_id
    assert [p.parent_section_id for p in placements] == [None, one, one, None]
    assert [p.depth for p in placements] == [0, 1, 1, 0]


def test_a_section_list_without_base_on_a_published_revision_uses_the_latest(
    world: World,
) -> None:
    first = world.import_markdown()
    drafts.publish(world.db, first.id, actor=world.editor)
    payload = world.payload(first)
    second = drafts.create_from_sections(
        world.db, world.consultation.id, actor=world.editor, sections=payload
    )
    assert second.base_revision_id == first.id
    assert versions_by_section(world.placements(second)) == versions_by_section(
        world.placements(first)
    )


def test_copy_revision_shares_every_version(world: World) -> None:
    first = world.import_markdown()
    drafts.publish(world.db, first.id, actor=world.editor)
    copy = drafts.copy_revision(world.db, first.id, actor=world.editor)
    assert (copy.number, copy.status, copy.base_revision_id) == (2, "draft", first.id)
    assert copy.note == "Neuer Entwurf auf Grundlage von Fassung 1"
    old, new = world.placements(first), assert_valid_tree(world, copy)
    assert [(p.section_id, p.version_id, p.key, p.parent_section_id, p.depth) for p in new] == [
        (p.section_id, p.version_id, p.key, p.parent_section_id, p.depth) for p in old
    ]
    versions = world.db.scalar(select(func.count()).select_from(SectionVersion))
    assert versions == len(old)  # nothing was copied


# --- editing a draft ----------------------------------------------------------------------


def test_update_section_makes_a_new_version_pointing_at_the_previous(world: World) -> None:
    revision = world.import_markdown()
    target = world.by_key(revision)["2.1"]
    before = target.version_id
    placement = draft_sections.update_section(
        world.db,
        revision.id,
        target.section_id,
        actor=world.editor,
        base_version_id=before,
        title="Bevölkerung und Zuwanderung",
        body="Neuer Text\r\nmit Zeilen   \n",
    )
    assert placement.version_id != before
    assert placement.version.previous_id == before
    assert placement.version.title == "Bevölkerung und Zuwanderung"
    assert placement.version.body == "Neuer Text\nmit Zeilen"
    assert placement.version.created_by_id == world.editor.id
    # The old version is still there, unchanged.
    old = world.db.get(SectionVersion, before)
    assert old is not None and old.title == "Bevölkerung"
    assert_valid_tree(world, revision)


def test_saving_unchanged_text_keeps_the_version(world: World) -> None:
    revision = world.import_markdown()
    target = world.by_key(revision)["2.1"]
    before = target.version_id
    count = world.db.scalar(select(func.count()).select_from(SectionVersion))
    placement = draft_sections.update_section(
        world.db,
        revision.id,
        target.section_id,
        actor=world.editor,
        base_version_id=before,
        title=target.version.title,
        body=target.version.body + "\n\n",  # normalises to the same text
    )
    assert placement.version_id == before
    assert world.db.scalar(select(func.count()).select_from(SectionVersion)) == count


def test_update_section_can_change_the_key_but_not_to_a_taken_one(world: World) -> None:
    revision = world.import_markdown()
    target = world.by_key(revision)["4"]
    placement = draft_sections.update_section(
        world.db,
        revision.id,
        target.section_id,
        actor=world.editor,
        base_version_id=target.version_id,
        key="5",
    )
    assert placement.key == "5" and placement.version_id == target.version_id
    with pytest.raises(Invalid, match="schon vergeben"):
        draft_sections.update_section(
            world.db,
            revision.id,
            target.section_id,
            actor=world.editor,
            base_version_id=target.version_id,
            key="3.1",
        )


def test_a_stale_save_is_a_conflict_carrying_the_current_text(
    world: World, writes_nothing: NoWrites
) -> None:
    revision = world.import_markdown()
    target = world.by_key(revision)["3.2"]
    started_from = target.version_id
    first = draft_sections.update_section(
        world.db,
        revision.id,
        target.section_id,
        actor=world.editor,
        base_version_id=started_from,
        body="Fassung der Kollegin.",
    )
    with writes_nothing(), pytest.raises(Conflict) as caught:
        draft_sections.update_section(
            world.db,
            revision.id,
            target.section_id,
            actor=world.editor,
            base_version_id=started_from,
            body="Meine Fassung.",
        )
    assert caught.value.code == "stale_version"
    assert caught.value.status == 409
    assert caught.value.details["current"] == {
        "version_id": first.version_id,
        "title": "Arbeit",
        "body": "Fassung der Kollegin.",
    }
    world.db.expire_all()
    assert world.by_key(revision)["3.2"].version.body == "Fassung der Kollegin."


def test_update_section_of_a_section_not_in_the_draft_is_not_found(world: World) -> None:
    revision = world.import_markdown()
    with pytest.raises(NotFound):
        draft_sections.update_section(
            world.db, revision.id, 999_999, actor=world.editor, base_version_id=1, body="x"
        )


def test_add_section_as_sibling_child_and_at_the_end(world: World) -> None:
    revision = world.import_markdown()
    before = versions_by_section(world.placements(revision))
    two = world.by_key(revision)["2"]
    sibling = draft_sections.add_section(
        world.db,
        revision.id,
        actor=world.editor,
        title="Nach Zwei",
        key="2a",
        after_section_id=two.section_id,
    )
    child = draft_sections.add_section(
        world.db,
        revision.id,
        actor=world.editor,
        title="Erstes Kind von Zwei",
        body="Text",
        after_section_id=two.section_id,
        as_child=True,
    )
    last = draft_sections.add_section(
        world.db, revision.id, actor=world.editor, title="Ganz am Ende"
    )
    placements = assert_valid_tree(world, revision)
    order = [(p.key, p.version.title, p.depth) for p in placements]
    assert order == [
        ("1", "Präambel", 0),
        ("2", "Ausgangslage", 0),
        ("", "Erstes Kind von Zwei", 1),
        ("2.1", "Bevölkerung", 1),
        ("2.2", "Bisherige Arbeit", 1),
        ("2a", "Nach Zwei", 0),  # after the whole subtree of 2
        ("3", "Handlungsfelder", 0),
        ("3.1", "Bildung", 1),
        ("3.2", "Arbeit", 1),
        ("4", "Umsetzung", 0),
        ("", "Ganz am Ende", 0),
    ]
    assert child.parent_section_id == two.section_id
    assert sibling.parent_section_id is None and last.parent_section_id is None
    after = versions_by_section(placements)
    assert {sid: after[sid] for sid in before} == before


def test_add_section_refuses_bad_input_and_writes_nothing(
    world: World, writes_nothing: NoWrites
) -> None:
    revision = world.import_markdown()
    with writes_nothing():
        with pytest.raises(Invalid):
            draft_sections.add_section(world.db, revision.id, actor=world.editor, title="  ")
        with pytest.raises(Invalid):
            draft_sections.add_section(
                world.db, revision.id, actor=world.editor, title="X", key="1"
            )
        with pytest.raises(Invalid):
            draft_sections.add_section(
                world.db, revision.id, actor=world.editor, title="X", key="3 2"
            )
        with pytest.raises(NotFound):
            draft_sections.add_section(
                world.db, revision.id, actor=world.editor, title="X", after_section_id=999_999
            )


def test_delete_section_keeps_the_others(world: World) -> None:
    revision = world.import_markdown()
    before = versions_by_section(world.placements(revision))
    target = world.by_key(revision)["2.1"]
    draft_sections.delete_section(world.db, revision.id, target.section_id, actor=world.editor)
    placements = assert_valid_tree(world, revision)
    assert [p.key for p in placements] == ["1", "2", "2.2", "3", "3.1", "3.2", "4"]
    del before[target.section_id]
    assert versions_by_section(placements) == before
    # The section's identity and versions stay (for other revisions).
    assert world.db.get(Section, target.section_id) is not None
    assert world.db.get(SectionVersion, target.version_id) is not None


def test_delete_refuses_a_section_with_children_and_the_last_section(
    world: World, writes_nothing: NoWrites
) -> None:
    revision = world.import_markdown()
    with writes_nothing(), pytest.raises(Conflict) as caught:
        draft_sections.delete_section(
            world.db, revision.id, world.by_key(revision)["2"].section_id, actor=world.editor
        )
    assert caught.value.code == "has_children"
    single = drafts.create_from_markdown(
        world.db, world.other_consultation.id, actor=world.admin, markdown="# Einzig"
    )
    with writes_nothing(), pytest.raises(Conflict) as caught:
        draft_sections.delete_section(
            world.db, single.id, world.placements(single)[0].section_id, actor=world.admin
        )
    assert caught.value.code == "last_section"


def order_of(world: World, revision: Revision) -> list[tuple[str, int]]:
    return [(p.key, p.depth) for p in assert_valid_tree(world, revision)]


def test_move_up_and_down_carry_the_subtree(world: World) -> None:
    revision = world.import_markdown()
    before = versions_by_section(world.placements(revision))
    three = world.by_key(revision)["3"].section_id
    draft_sections.move_section(world.db, revision.id, three, actor=world.editor, direction="up")
    assert order_of(world, revision) == [
        ("1", 0),
        ("3", 0),
        ("3.1", 1),
        ("3.2", 1),
        ("2", 0),
        ("2.1", 1),
        ("2.2", 1),
        ("4", 0),
    ]
    draft_sections.move_section(world.db, revision.id, three, actor=world.editor, direction="down")
    assert [k for k, _ in order_of(world, revision)] == KEYS
    two_one = world.by_key(revision)["2.1"].section_id
    draft_sections.move_section(
        world.db, revision.id, two_one, actor=world.editor, direction="down"
    )
    assert [k for k, _ in order_of(world, revision)] == [
        "1",
        "2",
        "2.2",
        "2.1",
        "3",
        "3.1",
        "3.2",
        "4",
    ]
    assert versions_by_section(world.placements(revision)) == before


def test_indent_and_outdent(world: World) -> None:
    revision = world.import_markdown()
    before = versions_by_section(world.placements(revision))
    three = world.by_key(revision)["3"].section_id
    # 3 (with 3.1, 3.2) becomes the last child of 2.
    draft_sections.move_section(
        world.db, revision.id, three, actor=world.editor, direction="indent"
    )
    assert order_of(world, revision) == [
        ("1", 0),
        ("2", 0),
        ("2.1", 1),
        ("2.2", 1),
        ("3", 1),
        ("3.1", 2),
        ("3.2", 2),
        ("4", 0),
    ]
    assert world.by_key(revision)["3"].parent_section_id == world.by_key(revision)["2"].section_id
    draft_sections.move_section(
        world.db, revision.id, three, actor=world.editor, direction="outdent"
    )
    assert order_of(world, revision) == [
        ("1", 0),
        ("2", 0),
        ("2.1", 1),
        ("2.2", 1),
        ("3", 0),
        ("3.1", 1),
        ("3.2", 1),
        ("4", 0),
    ]
    # Outdenting a first child puts it after its former siblings, as the parent's sibling.
    two_one = world.by_key(revision)["2.1"].section_id
    draft_sections.move_section(
        world.db, revision.id, two_one, actor=world.editor, direction="outdent"
    )
    assert order_of(world, revision) == [
        ("1", 0),
        ("2", 0),
        ("2.2", 1),
        ("2.1", 0),
        ("3", 0),
        ("3.1", 1),
        ("3.2", 1),
        ("4", 0),
    ]
    assert versions_by_section(world.placements(revision)) == before


def test_impossible_moves_are_conflicts_and_write_nothing(
    world: World, writes_nothing: NoWrites
) -> None:
    revision = world.import_markdown()
    by_key = world.by_key(revision)
    cases = [
        (by_key["1"], "up"),
        (by_key["4"], "down"),
        (by_key["1"], "indent"),
        (by_key["2.1"], "indent"),
        (by_key["2"], "outdent"),
        (by_key["3.2"], "down"),
    ]
    with writes_nothing():
        for placement, direction in cases:
            with pytest.raises(Conflict) as caught:
                draft_sections.move_section(
                    world.db,
                    revision.id,
                    placement.section_id,
                    actor=world.editor,
                    direction=direction,
                )
            assert caught.value.code == "cannot_move"
        with pytest.raises(Invalid):
            draft_sections.move_section(
                world.db,
                revision.id,
                by_key["2"].section_id,
                actor=world.editor,
                direction="sideways",
            )
    assert [k for k, _ in order_of(world, revision)] == KEYS


def test_renumber_by_tree_position_keeps_versions(world: World) -> None:
    revision = world.import_markdown()
    before = versions_by_section(world.placements(revision))
    three = world.by_key(revision)["3"].section_id
    draft_sections.move_section(world.db, revision.id, three, actor=world.editor, direction="up")
    draft_sections.add_section(
        world.db, revision.id, actor=world.editor, title="Anhang"
    )  # unnumbered
    draft_sections.renumber_sections(world.db, revision.id, actor=world.editor)
    placements = assert_valid_tree(world, revision)
    assert [(p.key, p.version.title) for p in placements] == [
        ("1", "Präambel"),
        ("2", "Handlungsfelder"),
        ("2.1", "Bildung"),
        ("2.2", "Arbeit"),
        ("3", "Ausgangslage"),
        ("3.1", "Bevölkerung"),
        ("3.2", "Bisherige Arbeit"),
        ("4", "Umsetzung"),
        ("", "Anhang"),
    ]
    after = versions_by_section(placements)
    assert {sid: after[sid] for sid in before} == before


def test_renumber_below_an_unnumbered_section_gives_unique_keys(world: World) -> None:
    revision = drafts.create_from_sections(
        world.db,
        world.consultation.id,
        actor=world.editor,
        sections=[
            {"key": "1", "title": "Eins"},
            {"key": "", "title": "Anhang"},
            {"key": "A.1", "title": "Tabelle", "parent_key": ""},
        ],
    )
    anhang = world.placements(revision)[1].section_id
    table = world.placements(revision)[2].section_id
    draft_sections.move_section(
        world.db, revision.id, table, actor=world.editor, direction="indent"
    )
    assert world.by_key(revision)["A.1"].parent_section_id == anhang
    draft_sections.renumber_sections(world.db, revision.id, actor=world.editor)
    assert [p.key for p in assert_valid_tree(world, revision)] == ["1", "", "2"]


def test_replace_sections_restructures_a_draft_in_place(world: World) -> None:
    revision = world.import_markdown()
    edited = world.by_key(revision)["2.1"]
    draft_sections.update_section(
        world.db,
        revision.id,
        edited.section_id,
        actor=world.editor,
        base_version_id=edited.version_id,
        body="Geänderter Text.",
    )
    versions = versions_by_section(world.placements(revision))
    payload = world.payload(revision)
    payload.reverse()
    for entry in payload:
        entry["parent_key"] = None
    draft_sections.replace_sections(
        world.db, revision.id, actor=world.editor, sections=payload, note="umgestellt"
    )
    placements = assert_valid_tree(world, revision)
    assert [p.key for p in placements] == list(reversed(KEYS))
    assert all(p.depth == 0 for p in placements)
    assert versions_by_section(placements) == versions  # the edited version is kept too
    assert revision.note == "umgestellt"


def test_update_note(world: World) -> None:
    revision = world.import_markdown()
    drafts.update_note(world.db, revision.id, actor=world.editor, note="Notiz  \r\n\r\n")
    assert revision.note == "Notiz"
    with pytest.raises(Invalid):
        drafts.update_note(world.db, revision.id, actor=world.editor, note="x" * 2001)


# --- publishing ---------------------------------------------------------------------------


def test_publish_freezes_and_supersedes_the_older_published_revision(world: World) -> None:
    first = world.import_markdown()
    published = drafts.publish(world.db, first.id, actor=world.editor)
    assert published.status == "published" and published.published_at is not None
    second = drafts.copy_revision(world.db, first.id, actor=world.editor)
    assert first.status == "published"
    drafts.publish(world.db, second.id, actor=world.editor)
    world.db.expire_all()
    assert status_of(world.db, first.id) == "superseded"
    assert status_of(world.db, second.id) == "published"
    third = drafts.copy_revision(world.db, second.id, actor=world.editor)
    drafts.publish(world.db, third.id, actor=world.editor)
    world.db.expire_all()
    statuses = world.db.scalars(
        select(Revision.status)
        .where(Revision.consultation_id == world.consultation.id)
        .order_by(Revision.number)
    ).all()
    assert statuses == ["superseded", "superseded", "published"]


EDITS: dict[str, Callable[[World, Revision, Placement], object]] = {
    "update_section": lambda w, r, p: draft_sections.update_section(
        w.db, r.id, p.section_id, actor=w.editor, base_version_id=p.version_id, body="neu"
    ),
    "update_key": lambda w, r, p: draft_sections.update_section(
        w.db, r.id, p.section_id, actor=w.editor, base_version_id=p.version_id, key="9"
    ),
    "add_section": lambda w, r, p: draft_sections.add_section(
        w.db, r.id, actor=w.editor, title="Neu"
    ),
    "delete_section": lambda w, r, p: draft_sections.delete_section(
        w.db, r.id, p.section_id, actor=w.editor
    ),
    "move_section": lambda w, r, p: draft_sections.move_section(
        w.db, r.id, p.section_id, actor=w.editor, direction="down"
    ),
    "renumber": lambda w, r, p: draft_sections.renumber_sections(w.db, r.id, actor=w.editor),
    "replace_sections": lambda w, r, p: draft_sections.replace_sections(
        w.db, r.id, actor=w.editor, sections=[{"key": "1", "title": "Alles neu"}]
    ),
    "update_note": lambda w, r, p: drafts.update_note(w.db, r.id, actor=w.editor, note="x"),
    "publish": lambda w, r, p: drafts.publish(w.db, r.id, actor=w.editor),
    "discard": lambda w, r, p: drafts.discard_draft(w.db, r.id, actor=w.editor),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_any_edit_of_a_published_revision_is_refused_and_writes_nothing(
    world: World, writes_nothing: NoWrites, edit: str
) -> None:
    revision = world.import_markdown()
    drafts.publish(world.db, revision.id, actor=world.editor)
    target = world.by_key(revision)["4"]
    snapshot = [(p.section_id, p.version_id, p.key, p.position) for p in world.placements(revision)]
    with writes_nothing(), pytest.raises(Conflict) as caught:
        EDITS[edit](world, revision, target)
    assert caught.value.code == "revision_published"
    world.db.expire_all()
    assert [
        (p.section_id, p.version_id, p.key, p.position) for p in world.placements(revision)
    ] == snapshot
    assert status_of(world.db, revision.id) == "published"


def test_only_one_draft_at_a_time(world: World, writes_nothing: NoWrites) -> None:
    draft = world.import_markdown()
    attempts: list[Callable[[], object]] = [
        lambda: world.import_markdown(),
        lambda: drafts.create_from_sections(
            world.db, world.consultation.id, actor=world.editor, sections=[{"title": "X"}]
        ),
        lambda: drafts.copy_revision(world.db, draft.id, actor=world.editor),
    ]
    for attempt in attempts:
        with writes_nothing(), pytest.raises(Conflict) as caught:
            attempt()
        assert caught.value.code == "draft_exists"
        assert caught.value.details == {"draft_revision_id": draft.id}
    drafts.publish(world.db, draft.id, actor=world.editor)
    assert drafts.copy_revision(world.db, draft.id, actor=world.editor).number == 2


def test_discarding_a_draft_keeps_versions_and_frees_the_slot(world: World) -> None:
    draft = world.import_markdown()
    versions = world.db.scalar(select(func.count()).select_from(SectionVersion))
    assert drafts.discard_draft(world.db, draft.id, actor=world.editor) == world.consultation.id
    assert world.db.get(Revision, draft.id) is None
    assert world.db.scalar(select(func.count()).select_from(SectionVersion)) == versions
    assert world.db.scalar(select(func.count()).select_from(Placement)) == 0
    assert world.import_markdown().number == 1


# --- permissions --------------------------------------------------------------------------


def test_who_reads_which_revision(world: World) -> None:
    draft = world.import_markdown()
    observer = world.member("observer")
    participant = world.member("participant")
    outsider = world.make_user()
    other_editor = world.member("editor", world.other_consultation)

    assert access.get_revision(world.db, draft.id, actor=world.editor) is draft
    assert access.get_revision(world.db, draft.id, actor=world.admin) is draft
    for reader in (observer, participant, outsider, other_editor, None):
        with pytest.raises(NotFound):
            access.get_revision(world.db, draft.id, actor=reader)

    drafts.publish(world.db, draft.id, actor=world.editor)
    assert access.get_revision(world.db, draft.id, actor=observer) is draft
    for reader in (participant, outsider, other_editor, None):
        with pytest.raises(NotFound):
            access.get_revision(world.db, draft.id, actor=reader)
    with pytest.raises(NotFound):
        access.get_revision(world.db, 999_999, actor=world.editor)

    listed = service.list_revisions(world.db, world.consultation, actor=observer)
    assert [r.id for r in listed] == [draft.id]
    second = drafts.copy_revision(world.db, draft.id, actor=world.editor)
    assert [r.id for r in service.list_revisions(world.db, world.consultation, actor=observer)] == [
        draft.id
    ]
    assert [
        r.id for r in service.list_revisions(world.db, world.consultation, actor=world.editor)
    ] == [second.id, draft.id]


def test_only_editors_write(world: World, writes_nothing: NoWrites) -> None:
    published = world.import_markdown()
    drafts.publish(world.db, published.id, actor=world.editor)
    target = world.by_key(published)["1"]
    observer = world.member("observer")
    participant = world.member("participant")
    outsider = world.make_user()
    with writes_nothing():
        for actor in (observer, participant):
            with pytest.raises(NotPermitted):
                drafts.create_from_markdown(
                    world.db, world.consultation.id, actor=actor, markdown=MARKDOWN
                )
            with pytest.raises(NotPermitted):
                drafts.create_from_sections(
                    world.db, world.consultation.id, actor=actor, sections=[{"title": "X"}]
                )
        with pytest.raises(NotFound):
            drafts.create_from_markdown(
                world.db, world.consultation.id, actor=outsider, markdown=MARKDOWN
            )
        # The observer may read the published revision but not copy or edit it.
        with pytest.raises(NotPermitted):
            drafts.copy_revision(world.db, published.id, actor=observer)
        with pytest.raises(NotPermitted):
            draft_sections.update_section(
                world.db,
                published.id,
                target.section_id,
                actor=observer,
                base_version_id=target.version_id,
                body="x",
            )
        with pytest.raises(NotPermitted):
            drafts.publish(world.db, published.id, actor=observer)
        # Participants and outsiders do not even learn that it exists.
        for actor in (participant, outsider):
            with pytest.raises(NotFound):
                drafts.copy_revision(world.db, published.id, actor=actor)
    draft = drafts.copy_revision(world.db, published.id, actor=world.editor)
    with writes_nothing():
        for actor in (observer, participant, outsider):
            with pytest.raises(NotFound):
                draft_sections.update_section(
                    world.db,
                    draft.id,
                    target.section_id,
                    actor=actor,
                    base_version_id=target.version_id,
                    body="x",
                )
            with pytest.raises(NotFound):
                drafts.publish(world.db, draft.id, actor=actor)


# --- bad input writes nothing -------------------------------------------------------------


def test_bad_markdown_is_refused_and_writes_nothing(world: World, writes_nothing: NoWrites) -> None:
    cases: list[tuple[object, type[ServiceError], str]] = [
        ("", Invalid, "invalid_markdown"),
        ("   \n\n ", Invalid, "invalid_markdown"),
        ("Nur Text ohne Überschrift.", Invalid, "invalid_markdown"),
        ("# 1 A\n\n# 1 B", Invalid, "invalid_markdown"),
        ("# " + "x" * 400, Invalid, "invalid_markdown"),
        (None, Invalid, "invalid_markdown"),
        (["# A"], Invalid, "invalid_markdown"),
        ("# A\n\n" + "x" * MAX_IMPORT, TooLarge, "too_large"),
    ]
    for markdown, error, code in cases:
        with writes_nothing(), pytest.raises(error) as caught:
            world.import_markdown(markdown)
        assert caught.value.code == code, markdown
        assert caught.value.message
    assert row_counts(world.db)["revisions"] == 0


def test_an_oversized_section_body_is_refused(world: World, writes_nothing: NoWrites) -> None:
    with writes_nothing(), pytest.raises(Invalid) as caught:
        drafts.create_from_sections(
            world.db,
            world.consultation.id,
            actor=world.editor,
            sections=[{"key": "1", "title": "Riesig", "body": "x" * (section_input.MAX_BODY + 1)}],
        )
    assert caught.value.code == "body_too_long"


@pytest.fixture
def published(world: World) -> Revision:
    revision = world.import_markdown()
    drafts.publish(world.db, revision.id, actor=world.editor)
    return revision


def bad_section_lists(world: World, base: Revision) -> list[tuple[str, dict[str, Any], str]]:
    """(label, keyword arguments of create_from_sections, expected error code)."""
    payload = world.payload(base)
    foreign = drafts.create_from_markdown(
        world.db, world.other_consultation.id, actor=world.admin, markdown="# Fremd\n\nText"
    )
    foreign_section = world.placements(foreign)[0].section_id
    twice = [*payload, dict(payload[0], key="9")]
    cycle = [
        {"key": "A", "title": "A", "parent_key": "B"},
        {"key": "B", "title": "B", "parent_key": "A"},
    ]
    return [
        (
            "unknown base",
            {"sections": payload, "base_revision_id": 999_999},
            "unknown_base_revision",
        ),
        (
            "base of another consultation",
            {"sections": payload, "base_revision_id": foreign.id},
            "unknown_base_revision",
        ),
        (
            "base id not a number",
            {"sections": payload, "base_revision_id": "1"},
            "invalid_base_revision",
        ),
        (
            "a section id twice",
            {"sections": twice, "base_revision_id": base.id},
            "duplicate_section",
        ),
        (
            "a section of another consultation",
            {
                "sections": [*payload, {"section_id": foreign_section, "key": "9", "title": "X"}],
                "base_revision_id": base.id,
            },
            "unknown_section",
        ),
        (
            "an unknown section id",
            {"sections": [*payload, {"section_id": 999_999, "key": "9", "title": "X"}]},
            "unknown_section",
        ),
        ("a parent cycle", {"sections": cycle}, "invalid_outline"),
        (
            "its own parent",
            {"sections": [{"key": "A", "title": "A", "parent_key": "A"}]},
            "parent_cycle",
        ),
        (
            "a parent after its child",
            {"sections": [{"key": "1.1", "title": "Kind"}, {"key": "1", "title": "Eltern"}]},
            "invalid_outline",
        ),
        (
            "a child separated from its parent",
            {
                "sections": [
                    {"key": "1", "title": "Eins"},
                    {"key": "2", "title": "Zwei"},
                    {"key": "1.1", "title": "Eins-eins"},
                ]
            },
            "invalid_outline",
        ),
        (
            "an unknown parent",
            {"sections": [{"key": "3.1", "title": "Waise"}]},
            "unknown_parent",
        ),
        (
            "a key twice",
            {"sections": [{"key": "1", "title": "A"}, {"key": "1", "title": "B"}]},
            "invalid_outline",
        ),
        ("no sections", {"sections": []}, "no_sections"),
        ("not a list", {"sections": {"key": "1"}}, "invalid_sections"),
        ("an entry not an object", {"sections": ["# A"]}, "invalid_sections"),
        ("no title", {"sections": [{"key": "1"}]}, "invalid_sections"),
        ("an empty title", {"sections": [{"key": "1", "title": " "}]}, "invalid_sections"),
        ("a bad key", {"sections": [{"key": "1 2", "title": "A"}]}, "invalid_sections"),
        ("a body not text", {"sections": [{"title": "A", "body": 5}]}, "invalid_body"),
        (
            "section id not a number",
            {"sections": [{"section_id": "1", "title": "A"}]},
            "invalid_sections",
        ),
        (
            "section id a boolean",
            {"sections": [{"section_id": True, "title": "A"}]},
            "invalid_sections",
        ),
        (
            "parent key not text",
            {"sections": [{"title": "A", "parent_key": 1}]},
            "invalid_sections",
        ),
        ("a note not text", {"sections": [{"title": "A"}], "note": 5}, "invalid_note"),
    ]


def test_bad_section_lists_are_refused_and_write_nothing(
    world: World, published: Revision, writes_nothing: NoWrites
) -> None:
    cases = bad_section_lists(world, published)
    before = row_counts(world.db)
    for label, kwargs, code in cases:
        with writes_nothing(), pytest.raises(Invalid) as caught:
            drafts.create_from_sections(
                world.db, world.consultation.id, actor=world.editor, **kwargs
            )
        assert caught.value.code == code, label
        assert caught.value.status == 422
    assert row_counts(world.db) == before
    # The same lists are refused when they replace a draft's sections.
    draft = drafts.copy_revision(world.db, published.id, actor=world.editor)
    snapshot = [(p.section_id, p.version_id) for p in world.placements(draft)]
    for label, kwargs, code in cases:
        if code in {"unknown_base_revision", "invalid_base_revision"}:
            continue
        kwargs = {k: v for k, v in kwargs.items() if k != "base_revision_id"}
        with writes_nothing(), pytest.raises(Invalid) as caught:
            draft_sections.replace_sections(world.db, draft.id, actor=world.editor, **kwargs)
        assert caught.value.code == code, label
    world.db.expire_all()
    assert [(p.section_id, p.version_id) for p in world.placements(draft)] == snapshot


def test_a_section_id_twice_is_refused_even_with_identical_entries(
    world: World, published: Revision, writes_nothing: NoWrites
) -> None:
    payload = world.payload(published)
    with writes_nothing(), pytest.raises(Invalid) as caught:
        drafts.create_from_sections(
            world.db,
            world.consultation.id,
            actor=world.editor,
            sections=[*payload, payload[0]],
            base_revision_id=published.id,
        )
    assert caught.value.code == "duplicate_section"


def test_update_section_refuses_bad_text_and_writes_nothing(
    world: World, writes_nothing: NoWrites
) -> None:
    revision = world.import_markdown()
    target = world.by_key(revision)["1"]
    cases: list[dict[str, Any]] = [
        {"title": ""},
        {"title": "x" * 301},
        {"title": 5},
        {"body": None},
        {"body": "x" * (section_input.MAX_BODY + 1)},
        {"key": "1 2"},
        {"key": "2.1"},  # taken
    ]
    with writes_nothing():
        for kwargs in cases:
            with pytest.raises(Invalid):
                draft_sections.update_section(
                    world.db,
                    revision.id,
                    target.section_id,
                    actor=world.editor,
                    base_version_id=target.version_id,
                    **kwargs,
                )
    world.db.expire_all()
    after = world.by_key(revision)["1"]
    assert (after.version_id, after.key) == (target.version_id, "1")


def test_a_section_inserted_before_others_does_not_steal_their_identity(world: World) -> None:
    first = world.import_markdown("# 1 Bildung\n\nB\n\n# 2 Arbeit\n\nA\n\n# 3 Umsetzung\n\nU")
    drafts.publish(world.db, first.id, actor=world.editor)
    old = {p.version.title: p for p in world.placements(first)}
    # A new section 1 pushes every other number up by one.
    second = world.import_markdown(
        "# 1 Gesundheit\n\nG\n\n# 2 Bildung\n\nB\n\n# 3 Arbeit\n\nA\n\n# 4 Umsetzung\n\nU"
    )
    new = {p.version.title: p for p in world.placements(second)}
    for title in ("Bildung", "Arbeit", "Umsetzung"):
        assert new[title].section_id == old[title].section_id, title
        assert new[title].version_id == old[title].version_id, title
    assert new["Gesundheit"].section_id not in {p.section_id for p in old.values()}


def test_editing_back_to_the_base_text_shares_the_base_version_again(world: World) -> None:
    first = world.import_markdown()
    drafts.publish(world.db, first.id, actor=world.editor)
    draft = drafts.copy_revision(world.db, first.id, actor=world.editor)
    base = world.by_key(first)["2.1"]
    original = (base.version.title, base.version.body)
    edited = draft_sections.update_section(
        world.db,
        draft.id,
        base.section_id,
        actor=world.editor,
        base_version_id=base.version_id,
        body="Zwischenstand.",
    )
    assert edited.version_id != base.version_id
    reverted = draft_sections.update_section(
        world.db,
        draft.id,
        base.section_id,
        actor=world.editor,
        base_version_id=edited.version_id,
        title=original[0],
        body=original[1],
    )
    # Unchanged against the base, so the same version as the base (no copy).
    assert reverted.version_id == base.version_id
    assert versions_by_section(world.placements(draft)) == versions_by_section(
        world.placements(first)
    )
