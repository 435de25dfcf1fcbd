"""Comments, suggestions, replies, visibility and re-anchoring (consult.services.feedback,
feedback_views, feedback_locations).

The ``World`` built here (a published revision, three working groups, people in every
role) is shared with the rounds, API and page tests of feedback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.errors import Conflict, Invalid, NotFound, NotPermitted
from consult.models import (
    Consultation,
    Feedback,
    FeedbackEdit,
    FeedbackLocation,
    Membership,
    Organisation,
    OutboxMessage,
    Placement,
    Reply,
    Revision,
    Round,
    User,
    WorkingGroup,
)
from consult.services import access, drafts, feedback_locations, feedback_views, working_groups
from consult.services import consultations as consultation_service
from consult.services import feedback as service
from consult.services import revisions as revision_service
from consult.services import rounds as round_service
from tests import support

MARKDOWN = """\
# 1 Präambel

Der Kreis Siegtal legt sein Integrationskonzept vor. Es gilt für alle Kommunen des Kreises.

# 2 Bildung

Sprachförderung beginnt in der Kita. Eltern werden früh beteiligt.

Schulen öffnen sich für Vereine.

## 2.1 Schule

- Jedes Kind bekommt innerhalb von drei Monaten einen Schulplatz.
- Seiteneinsteiger lernen in Vorbereitungsklassen.

# 3 Arbeit

Anerkennung ausländischer Abschlüsse beschleunigen. Das Jobcenter berät in mehreren Sprachen.

# 4 Vielfalt

Willkommen 👨‍👩‍👧 und Cafe\u0301 q\u0307: Sprachkurse für alle Familien.

# 5 Umsetzung

Ein Monitoring berichtet jährlich dem Kreistag. Der Kreistag berät jährlich.
"""

#: Revision 2: what changes, per key (5 is removed).
CHANGES = {
    "2": "Neu: Der Kreis fördert Sprache von Anfang an. Sprachförderung beginnt in der Kita. "
    "Eltern werden sehr früh beteiligt.\n\nSchulen öffnen sich für Vereine.",
    "2.1": "- Jedes Kind bekommt innerhalb von sechs Wochen einen Schulplatz.",
    "3": "Anerkennung ausländischer Abschlüsse beschleunigen. Das Jobcenter berät in vielen "
    "Sprachen und digital.",
    "4": "Herzlich willkommen 👨‍👩‍👧🇩🇪 und Cafe\u0301 q\u0307 🙂: Sprachkurse für alle Familien.",
}

COUNTED = (Feedback, FeedbackLocation, Reply, FeedbackEdit)


def app_in_context(
    module_app: Flask, connection: Connection, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    """Fixture body: the module's app (tests/support.py) on this test's transaction, with
    an app context pushed, as conftest's ``app`` does (services render mail templates)."""
    for ready in support.app(module_app, connection, monkeypatch):
        with ready.app_context():
            yield ready


#: One app for the module: building it is most of a test's set-up time.
module_app = pytest.fixture(scope="module")(support.module_app)
app = pytest.fixture(app_in_context)


@dataclass
class World:
    """A consultation with a published revision, working groups a, b, c and people:

    alice (groups a, c), anna (a), bob (b), carla (b, c): participants;
    observer (observer, in no group); outsider (participant in no group);
    mayor (municipality); editor.
    """

    db: Session
    admin: User
    editor: User
    consultation: Consultation
    revision: Revision
    groups: dict[str, WorkingGroup]
    users: dict[str, User]
    make_user: Callable[..., User]
    make_org: Callable[..., Organisation]
    add_member: Callable[..., Membership]
    rounds: list[Round] = field(default_factory=list)

    def __getattr__(self, name: str) -> User:
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]  # type: ignore[no-any-return]
        raise AttributeError(name)

    # --- text -------------------------------------------------------------------------

    def placements(self, revision: Revision | None = None) -> dict[str, Placement]:
        placements = revision_service.outline(self.db, revision or self.revision).placements
        return {p.key: p for p in placements}

    def section_id(self, key: str) -> int:
        return self.placements()[key].section_id

    def body(self, key: str, revision: Revision | None = None) -> str:
        return self.placements(revision)[key].version.body

    def anchor(
        self, key: str, phrase: str, revision: Revision | None = None, occurrence: int = 0
    ) -> dict[str, Any]:
        body = self.body(key, revision)
        start = -1
        for _ in range(occurrence + 1):
            start = body.index(phrase, start + 1)
        return {"start": start, "end": start + len(phrase), "quote": phrase}

    # --- rounds and feedback ----------------------------------------------------------

    def open_round(
        self,
        visibility: str = "round",
        groups: tuple[str, ...] = ("a", "b"),
        *,
        municipalities: bool = False,
        revision: Revision | None = None,
        opens: timedelta = timedelta(days=-1),
        closes: timedelta = timedelta(days=10),
        now: datetime | None = None,
        notify: bool = False,
        title: str = "Beteiligungsrunde",
    ) -> Round:
        now = now or utcnow()
        round_ = round_service.create_round(
            self.db,
            self.consultation.id,
            actor=self.editor,
            revision_id=(revision or self.revision).id,
            title=title,
            opens_at=now + opens,
            closes_at=now + closes,
            working_group_ids=[self.groups[g].id for g in groups],
            municipalities=municipalities,
            visibility=visibility,
            now=now,
            notify=notify,
        )
        self.rounds.append(round_)
        return round_

    def comment(
        self,
        user: User,
        key: str,
        phrase: str | None = None,
        body: str = "Bitte prüfen.",
        *,
        revision: Revision | None = None,
        now: datetime | None = None,
    ) -> Feedback:
        revision = revision or self.revision
        return service.create_comment(
            self.db,
            revision.id,
            self.placements(revision)[key].section_id,
            actor=user,
            body=body,
            anchor=self.anchor(key, phrase, revision) if phrase else None,
            now=now,
        )

    def suggest(
        self,
        user: User,
        key: str,
        phrase: str,
        replacement: str,
        reason: str = "",
        *,
        at: int | None = None,
        revision: Revision | None = None,
        now: datetime | None = None,
    ) -> Feedback:
        """A suggestion replacing ``phrase`` (or inserting at offset ``at``)."""
        revision = revision or self.revision
        if at is not None:
            anchor: dict[str, Any] = {"start": at, "end": at, "quote": ""}
        else:
            anchor = self.anchor(key, phrase, revision)
        return service.create_suggestion(
            self.db,
            revision.id,
            self.placements(revision)[key].section_id,
            actor=user,
            anchor=anchor,
            replacement=replacement,
            reason=reason,
            now=now,
        )

    def new_revision(
        self,
        changes: dict[str, str] | None = None,
        removed: tuple[str, ...] = ("5",),
        *,
        publish: bool = True,
    ) -> Revision:
        """The next revision, with changed bodies and removed sections, published."""
        changes = CHANGES if changes is None else changes
        latest = revision_service.latest_revision(self.db, self.consultation.id)
        assert latest is not None
        placements = revision_service.outline(self.db, latest).placements
        key_of = {p.section_id: p.key for p in placements}
        sections = [
            {
                "section_id": p.section_id,
                "key": p.key,
                "title": p.version.title,
                "body": changes.get(p.key, p.version.body),
                "parent_key": key_of[p.parent_section_id] if p.parent_section_id else None,
            }
            for p in placements
            if p.key not in removed
        ]
        revision = drafts.create_from_sections(
            self.db,
            self.consultation.id,
            actor=self.editor,
            sections=sections,
            base_revision_id=latest.id,
            note="Nächste Fassung",
        )
        if publish:
            drafts.publish(self.db, revision.id, actor=self.editor)
        return revision

    def visible_ids(self, user: User, revision: Revision | None = None) -> set[int]:
        views = feedback_views.visible_feedback(self.db, revision or self.revision, actor=user)
        return {v.feedback.id for v in views}

    def counts(self) -> dict[str, int]:
        self.db.expire_all()
        return {
            model.__tablename__: self.db.scalar(select(func.count()).select_from(model)) or 0
            for model in COUNTED
        }


def build_world(
    db: Session,
    admin: User,
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
    add_member: Callable[..., Membership],
    markdown: str = MARKDOWN,
) -> World:
    consultation = consultation_service.create_consultation(
        db, actor=admin, title="Integrationskonzept Kreis Siegtal"
    )
    editor = make_user("Miriam Redaktion", organisation=make_org("Kreis Siegtal", "administration"))
    add_member(consultation.id, editor, "editor")
    revision = drafts.create_from_markdown(db, consultation.id, actor=editor, markdown=markdown)
    drafts.publish(db, revision.id, actor=editor)
    groups = {
        key: working_groups.create_working_group(
            db, consultation.id, actor=editor, name=f"AK {name}"
        )
        for key, name in (("a", "Bildung"), ("b", "Arbeit"), ("c", "Sonstiges"))
    }
    people = {
        "alice": ("Alice Arendt", "Caritas Siegtal", "welfare", ("a", "c")),
        "anna": ("Anna Aydin", "Elternverein Siegburg", "migrant_org", ("a",)),
        "bob": ("Bob Berger", "Jobcenter Siegtal", "administration", ("b",)),
        "carla": ("Carla Conti", "Diakonie Siegtal", "welfare", ("b", "c")),
        "outsider": ("Olaf Außen", "Sportbund", "other", ()),
    }
    users: dict[str, User] = {}
    for key, (name, org, kind, member_of) in people.items():
        user = make_user(name, organisation=make_org(org, kind))
        consultation_service.set_member(
            db,
            consultation.id,
            user.id,
            actor=editor,
            role="participant",
            working_group_ids=[groups[g].id for g in member_of],
        )
        users[key] = user
    users["observer"] = make_user("Olga Beobachterin", organisation=make_org("Fraktion", "other"))
    add_member(consultation.id, users["observer"], "observer")
    users["mayor"] = make_user("Stefan Roth", organisation=make_org("Siegburg", "municipality"))
    add_member(consultation.id, users["mayor"], "municipality")
    users["editor"] = editor
    return World(
        db,
        admin,
        editor,
        consultation,
        revision,
        groups,
        users,
        make_user,
        make_org,
        add_member,
    )


@pytest.fixture
def world(
    db: Session,
    admin: User,
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
    add_member: Callable[..., Membership],
) -> World:
    return build_world(db, admin, make_user, make_org, add_member)


# --- creating comments and suggestions --------------------------------------------------


def test_a_comment_stores_its_anchor_with_context(world: World) -> None:
    round_ = world.open_round()
    item = world.comment(world.alice, "2", "in der Kita", body="  Gut so!\r\nWeiter so.  ")
    body = world.body("2")
    start = body.index("in der Kita")
    assert (item.kind, item.status, item.round_id) == ("comment", "open", round_.id)
    assert (item.anchor_start, item.anchor_end, item.quote) == (start, start + 11, "in der Kita")
    assert item.prefix == body[max(0, start - 32) : start]
    assert item.suffix == body[start + 11 : start + 11 + 32]
    assert item.revision_id == world.revision.id
    assert item.version_id == world.placements()["2"].version_id
    assert item.author_id == world.alice.id
    assert item.organisation_id == world.alice.organisation_id
    # NFC, \n line ends, no trailing blanks (leading ones are kept, as in bodies).
    assert item.body == "  Gut so!\nWeiter so."


def test_a_comment_on_the_whole_section_has_no_anchor(world: World) -> None:
    world.open_round()
    item = world.comment(world.bob, "3", None, body="Der ganze Abschnitt ist zu vage.")
    assert item.anchor_start is None and item.quote is None and not item.has_anchor
    [view] = feedback_views.visible_feedback(world.db, world.revision, actor=world.bob)
    assert view.location is None and not view.is_outdated


def test_anchors_at_the_edges_and_over_the_whole_body(world: World) -> None:
    world.open_round()
    body = world.body("3")
    whole = world.comment(world.alice, "3", body)
    assert (whole.anchor_start, whole.anchor_end, whole.prefix, whole.suffix) == (
        0,
        len(body),
        "",
        "",
    )
    first = world.comment(world.alice, "3", "A")
    assert (first.anchor_start, first.anchor_end, first.prefix) == (0, 1, "")
    last = world.comment(world.alice, "3", "Sprachen.")
    assert (last.anchor_end, last.suffix) == (len(body), "")


BAD_ANCHORS: list[tuple[Any, str, bool]] = [
    # (anchor, error code, fine for a suggestion)
    ({"start": 0, "end": 5, "quote": "Falsch"}, "quote_mismatch", False),
    ({"start": 1, "end": 6, "quote": "Sprac"}, "quote_mismatch", False),  # off by one
    ({"start": 0, "end": 5, "quote": "sprac"}, "quote_mismatch", False),
    ({"start": 10, "end": 5, "quote": ""}, "invalid_anchor", False),
    ({"start": -1, "end": 5, "quote": "x"}, "anchor_out_of_range", False),
    ({"start": 0, "end": 10_000, "quote": "x"}, "anchor_out_of_range", False),
    ({"start": 7, "end": 7, "quote": ""}, "invalid_anchor", True),
    ({"start": "0", "end": 5, "quote": "Sprac"}, "invalid_anchor", False),
    ({"start": 0, "end": True, "quote": "S"}, "invalid_anchor", False),
    ({"start": 0.0, "end": 5, "quote": "Sprac"}, "invalid_anchor", False),
    ({"start": 0, "end": 5}, "invalid_anchor", False),
    ({"start": 0, "end": 5, "quote": None}, "invalid_anchor", False),
    ([0, 5, "Sprac"], "invalid_anchor", False),
    ("0-5", "invalid_anchor", False),
]


def test_bad_anchors_are_invalid_and_write_nothing(world: World) -> None:
    world.open_round()
    assert world.body("2").startswith("Sprachförderung")
    before = world.counts()
    for anchor, code, fine_for_suggestions in BAD_ANCHORS:
        with pytest.raises(Invalid) as caught:
            service.create_comment(
                world.db,
                world.revision.id,
                world.section_id("2"),
                actor=world.alice,
                body="x",
                anchor=anchor,
            )
        assert (caught.value.status, caught.value.code) == (422, code), anchor
        if not fine_for_suggestions:
            with pytest.raises(Invalid) as caught:
                service.create_suggestion(
                    world.db,
                    world.revision.id,
                    world.section_id("2"),
                    actor=world.alice,
                    anchor=anchor,
                    replacement="neu",
                )
            assert caught.value.code == code, anchor
    assert world.counts() == before


def test_an_empty_range_is_an_insertion_for_suggestions_only(world: World) -> None:
    world.open_round()
    at = world.body("2").index(" in der Kita")
    item = world.suggest(world.alice, "2", "", " schon", at=at, reason="Früher anfangen.")
    assert (item.anchor_start, item.anchor_end, item.quote) == (at, at, "")
    assert (item.kind, item.replacement, item.body) == ("suggestion", " schon", "Früher anfangen.")
    with pytest.raises(Invalid) as caught:
        service.create_comment(
            world.db,
            world.revision.id,
            world.section_id("2"),
            actor=world.alice,
            body="x",
            anchor={"start": at, "end": at, "quote": ""},
        )
    assert caught.value.code == "invalid_anchor"


def test_a_deletion_and_a_replacement(world: World) -> None:
    world.open_round()
    deletion = world.suggest(world.bob, "3", " in mehreren Sprachen", "")
    assert deletion.replacement == "" and deletion.quote == " in mehreren Sprachen"
    replacement = world.suggest(world.bob, "3", "mehreren", "vielen", reason="Genauer.")
    assert (replacement.quote, replacement.replacement) == ("mehreren", "vielen")


def test_suggestions_need_an_anchor_and_a_change(world: World) -> None:
    world.open_round()
    before = world.counts()
    with pytest.raises(Invalid) as caught:
        service.create_suggestion(
            world.db,
            world.revision.id,
            world.section_id("3"),
            actor=world.bob,
            anchor=None,
            replacement="neu",
        )
    assert caught.value.code == "invalid_anchor"
    with pytest.raises(Invalid) as caught:
        world.suggest(world.bob, "3", "mehreren", "mehreren")
    assert caught.value.code == "no_change"
    assert world.counts() == before


def test_comment_bodies_are_checked(world: World) -> None:
    world.open_round()
    before = world.counts()
    for body in ("", "   \n ", "x" * 10_001, 5, None):
        with pytest.raises(Invalid) as caught:
            world.comment(world.alice, "2", "Kita", body=body)  # type: ignore[arg-type]
        assert caught.value.code == "invalid_body", body
    assert world.counts() == before


def test_ten_thousand_characters_are_allowed(world: World) -> None:
    world.open_round()
    item = world.comment(world.alice, "2", "Kita", body="ä" * 10_000)
    assert len(item.body) == 10_000


def test_a_nul_character_is_refused_not_stored(world: World) -> None:
    # PostgreSQL cannot store NUL in text; it must be a 422, not a database error.
    world.open_round()
    before = world.counts()
    with pytest.raises(Invalid):
        world.comment(world.alice, "2", "Kita", body="a\x00b")
    with pytest.raises(Invalid):
        world.suggest(world.alice, "2", "Kita", "Ki\x00ta")
    assert world.counts() == before


def test_an_unknown_section_or_revision_is_not_found(world: World) -> None:
    world.open_round()
    other = consultation_service.create_consultation(world.db, actor=world.admin, title="Anders")
    world.add_member(other.id, world.editor, "editor")
    foreign = drafts.create_from_markdown(
        world.db, other.id, actor=world.editor, markdown="# 1 Fremd\n\nFremder Text."
    )
    drafts.publish(world.db, foreign.id, actor=world.editor)
    foreign_section = revision_service.outline(world.db, foreign).placements[0].section_id
    before = world.counts()
    for revision_id, section_id in (
        (world.revision.id, 999_999),
        (world.revision.id, foreign_section),
        (999_999, world.section_id("2")),
        (foreign.id, world.section_id("2")),
    ):
        with pytest.raises(NotFound):
            service.create_comment(
                world.db, revision_id, section_id, actor=world.alice, body="x", anchor=None
            )
    assert world.counts() == before


def test_a_quote_typed_by_hand_must_be_unique_and_present(world: World) -> None:
    world.open_round()
    section = world.section_id("5")
    item = service.create_comment(
        world.db,
        world.revision.id,
        section,
        actor=world.alice,
        body="x",
        quote="  berichtet jährlich ",
    )
    body = world.body("5")
    assert (item.anchor_start, item.quote) == (body.index("berichtet"), "berichtet jährlich")
    before = world.counts()
    for quote, code in (("jährlich", "quote_ambiguous"), ("monatlich", "quote_not_found")):
        with pytest.raises(Invalid) as caught:
            service.create_comment(
                world.db, world.revision.id, section, actor=world.alice, body="x", quote=quote
            )
        assert caught.value.code == code
    assert world.counts() == before


def test_offsets_count_code_points_not_utf16_units(world: World) -> None:
    world.open_round()
    body = world.body("4")
    phrase = "Sprachkurse"
    start = body.index(phrase)
    assert "👨\u200d👩\u200d👧" in body and "Café" in body and "q\u0307" in body
    item = world.comment(world.anna, "4", phrase)
    assert body[item.anchor_start : item.anchor_end] == phrase == item.quote
    # The same place counted in UTF-16 units (as JavaScript would) does not match.
    utf16 = len(body[:start].encode("utf-16-le")) // 2
    assert utf16 > start
    with pytest.raises(Invalid) as caught:
        service.create_comment(
            world.db,
            world.revision.id,
            world.section_id("4"),
            actor=world.anna,
            body="x",
            anchor={"start": utf16, "end": utf16 + len(phrase), "quote": phrase},
        )
    assert caught.value.code == "quote_mismatch"


def test_a_decomposed_quote_is_compared_after_nfc(world: World) -> None:
    # The stored body is NFC ("Café"); the browser sends what it shows.
    world.open_round()
    body = world.body("4")
    assert "Cafe\u0301" not in body
    item = world.comment(world.anna, "4", "Café")
    assert item.quote == "Café" and item.anchor_end - item.anchor_start == 4


# --- who may write when ------------------------------------------------------------------


def test_uninvited_people_cannot_give_feedback(world: World) -> None:
    world.open_round(groups=("a",))
    before = world.counts()
    # The observer may read the revision but is invited to no round.
    with pytest.raises(NotPermitted):
        world.comment(world.observer, "2", "Kita")
    # Bob's group b is not invited; a participant without a round cannot even read it.
    for user in (world.bob, world.outsider, world.mayor):
        with pytest.raises((NotPermitted, NotFound)):
            world.comment(user, "2", "Kita")
    assert world.counts() == before
    world.comment(world.anna, "2", "Kita")


def test_municipalities_write_when_the_round_invites_them(world: World) -> None:
    world.open_round(groups=("a",), municipalities=True)
    item = world.comment(world.mayor, "5", None, body="Die Stadt stimmt zu.")
    assert item.organisation_id == world.mayor.organisation_id


def test_no_feedback_before_the_round_opens(world: World) -> None:
    world.open_round(opens=timedelta(days=2), closes=timedelta(days=9))
    with pytest.raises(Conflict) as caught:
        world.comment(world.alice, "2", "Kita")
    assert caught.value.code == "round_not_open" and "opens_at" in caught.value.details


def test_after_close_the_round_refuses_feedback_and_accepts_again_after_an_extension(
    world: World,
) -> None:
    round_ = world.open_round()
    now = utcnow()
    round_service.close_round(world.db, round_.id, actor=world.editor, now=now)
    before = world.counts()
    with pytest.raises(Conflict) as caught:
        world.comment(world.alice, "2", "Kita")
    assert caught.value.status == 409 and caught.value.code == "round_closed"
    with pytest.raises(Conflict):
        world.suggest(world.alice, "2", "Kita", "Kindertagesstätte")
    assert world.counts() == before
    round_service.extend_round(
        world.db,
        round_.id,
        actor=world.editor,
        closes_at=now + timedelta(days=7),
        reason="Mehr Zeit für die Verbände.",
        now=now,
    )
    item = world.comment(world.alice, "2", "Kita")
    assert item.round_id == round_.id


def test_the_deadline_is_enforced_by_the_clock(world: World) -> None:
    round_ = world.open_round()
    with pytest.raises(Conflict) as caught:
        world.comment(world.alice, "2", "Kita", now=round_.closes_at)
    assert caught.value.code == "round_closed"
    item = world.comment(world.alice, "2", "Kita", now=round_.closes_at - timedelta(seconds=1))
    assert item.round_id == round_.id


def test_feedback_goes_to_the_open_round_of_the_user(world: World) -> None:
    now = utcnow()
    old = world.open_round(
        groups=("a", "b"),
        # created 45 days ago, open from 40 to 20 days ago
        opens=timedelta(days=5),
        closes=timedelta(days=25),
        now=now - timedelta(days=45),
    )
    current = world.open_round(groups=("b",))
    item = world.comment(world.bob, "2", "Kita")
    assert item.round_id == current.id != old.id
    # Anna was only in the old round.
    with pytest.raises(Conflict):
        world.comment(world.anna, "2", "Kita")


# --- replies, edits, withdrawal, resolution ---------------------------------------------


def test_replies_editors_any_time_participants_while_open(world: World) -> None:
    round_ = world.open_round()
    item = world.comment(world.alice, "2", "Kita")
    answer = service.reply(world.db, item.id, actor=world.bob, body="Stimme zu.")
    assert (answer.feedback_id, answer.author_id, answer.body) == (
        item.id,
        world.bob.id,
        "Stimme zu.",
    )
    assert answer.organisation_id == world.bob.organisation_id
    round_service.close_round(world.db, round_.id, actor=world.editor)
    before = world.counts()
    with pytest.raises(Conflict):
        service.reply(world.db, item.id, actor=world.bob, body="Noch etwas.")
    with pytest.raises(Conflict):
        service.reply(world.db, item.id, actor=world.alice, body="Noch etwas.")
    assert world.counts() == before
    late = service.reply(world.db, item.id, actor=world.editor, body="Danke, wir prüfen das.")
    world.db.expire_all()
    assert [r.id for r in world.db.get(Feedback, item.id).replies] == [answer.id, late.id]  # type: ignore[union-attr]


def test_replies_need_a_visible_thread_and_a_text(world: World) -> None:
    world.open_round(visibility="editors")
    item = world.comment(world.alice, "2", "Kita")
    with pytest.raises(NotFound):
        service.reply(world.db, item.id, actor=world.bob, body="Ich sehe das nicht.")
    with pytest.raises(NotFound):
        service.reply(world.db, item.id, actor=world.observer, body="Ich auch nicht.")
    with pytest.raises(Invalid):
        service.reply(world.db, item.id, actor=world.alice, body="  ")
    service.reply(world.db, item.id, actor=world.alice, body="Ergänzung.")


def test_the_author_edits_and_the_old_text_is_kept(world: World) -> None:
    world.open_round()
    item = world.comment(world.alice, "2", "Kita", body="Erste Fassung.")
    stamp = utcnow()
    service.edit(world.db, item.id, actor=world.alice, body="Zweite Fassung.", now=stamp)
    service.edit(world.db, item.id, actor=world.alice, body="Dritte Fassung.")
    world.db.expire_all()
    fresh = world.db.get(Feedback, item.id)
    assert fresh is not None and fresh.body == "Dritte Fassung." and fresh.updated_at is not None
    assert [e.body for e in fresh.edits] == ["Erste Fassung.", "Zweite Fassung."]
    assert fresh.edits[0].edited_at == stamp
    # Saving the same text again records nothing.
    service.edit(world.db, item.id, actor=world.alice, body="Dritte Fassung.")
    assert world.counts()["feedback_edits"] == 2


def test_editing_a_suggestion_keeps_replacement_and_reason(world: World) -> None:
    world.open_round()
    item = world.suggest(world.bob, "3", "mehreren", "vielen", reason="Alt.")
    service.edit(world.db, item.id, actor=world.bob, replacement="zwölf", body="Neu.")
    world.db.expire_all()
    fresh = world.db.get(Feedback, item.id)
    assert fresh is not None and (fresh.replacement, fresh.body) == ("zwölf", "Neu.")
    [old] = fresh.edits
    assert (old.replacement, old.body) == ("vielen", "Alt.")
    with pytest.raises(Invalid):
        service.edit(world.db, item.id, actor=world.bob, replacement="mehreren")


def test_only_the_author_edits_and_only_while_open(world: World) -> None:
    round_ = world.open_round()
    item = world.comment(world.alice, "2", "Kita", body="Text.")
    for user in (world.anna, world.editor):
        with pytest.raises(NotPermitted):
            service.edit(world.db, item.id, actor=user, body="Übernommen.")
    with pytest.raises(Invalid):
        service.edit(world.db, item.id, actor=world.alice, replacement="x")
    round_service.close_round(world.db, round_.id, actor=world.editor)
    with pytest.raises(Conflict):
        service.edit(world.db, item.id, actor=world.alice, body="Zu spät.")
    assert world.counts()["feedback_edits"] == 0


def test_withdrawal_by_the_author_hides_it_from_others(world: World) -> None:
    world.open_round()
    comment = world.comment(world.alice, "2", "Kita")
    suggestion = world.suggest(world.alice, "3", "mehreren", "vielen")
    with pytest.raises(NotPermitted):
        service.withdraw(world.db, comment.id, actor=world.anna)
    service.withdraw(world.db, comment.id, actor=world.alice)
    service.withdraw(world.db, suggestion.id, actor=world.alice)
    world.db.expire_all()
    assert world.db.get(Feedback, suggestion.id).status == "withdrawn"  # type: ignore[union-attr]
    assert world.db.get(Feedback, comment.id).withdrawn_at is not None  # type: ignore[union-attr]
    with pytest.raises(Conflict):
        service.withdraw(world.db, comment.id, actor=world.alice)
    assert world.visible_ids(world.anna) == set()
    assert world.visible_ids(world.alice) == {comment.id, suggestion.id}
    assert world.visible_ids(world.editor) == {comment.id, suggestion.id}
    with pytest.raises(NotFound):
        access.get_feedback(world.db, comment.id, actor=world.anna)
    with pytest.raises(Conflict):
        service.reply(world.db, comment.id, actor=world.editor, body="Zu spät.")
    with pytest.raises(Conflict):
        service.edit(world.db, comment.id, actor=world.alice, body="Doch nicht.")


def test_resolve_and_reopen(world: World) -> None:
    world.open_round()
    item = world.comment(world.alice, "2", "Kita")
    stamp = utcnow()
    service.set_resolved(world.db, item.id, actor=world.editor, resolved=True, now=stamp)
    assert (item.status, item.resolved_at) == ("resolved", stamp)
    service.set_resolved(world.db, item.id, actor=world.alice, resolved=False)
    assert (item.status, item.resolved_at) == ("open", None)
    service.set_resolved(world.db, item.id, actor=world.alice, resolved=True)
    assert item.status == "resolved"
    # Another participant who sees the thread may not; neither may an outsider.
    with pytest.raises(NotPermitted):
        service.set_resolved(world.db, item.id, actor=world.bob, resolved=False)
    with pytest.raises(NotFound):
        service.set_resolved(world.db, item.id, actor=world.outsider, resolved=False)
    suggestion = world.suggest(world.alice, "3", "mehreren", "vielen")
    with pytest.raises(NotFound):
        service.set_resolved(world.db, suggestion.id, actor=world.editor, resolved=True)


# --- visibility --------------------------------------------------------------------------


def _feedback_by_everyone(world: World) -> dict[str, int]:
    return {
        name: world.comment(world.users[name], "2", "Kita", body=f"Von {name}.").id
        for name in ("alice", "anna", "bob", "carla")
    }


def test_visibility_editors(world: World) -> None:
    world.open_round(visibility="editors")
    ids = _feedback_by_everyone(world)
    assert world.visible_ids(world.editor) == set(ids.values())
    assert world.visible_ids(world.admin) == set(ids.values())
    for name, own in ids.items():
        assert world.visible_ids(world.users[name]) == {own}
        for other, theirs in ids.items():
            if other != name:
                with pytest.raises(NotFound):
                    access.get_feedback(world.db, theirs, actor=world.users[name])
    assert world.visible_ids(world.observer) == set()


def test_visibility_group(world: World) -> None:
    # Groups a and b take part; c does not (alice and carla share only c).
    world.open_round(visibility="group", groups=("a", "b"))
    ids = _feedback_by_everyone(world)
    assert world.visible_ids(world.editor) == set(ids.values())
    assert world.visible_ids(world.alice) == {ids["alice"], ids["anna"]}
    assert world.visible_ids(world.anna) == {ids["alice"], ids["anna"]}
    assert world.visible_ids(world.bob) == {ids["bob"], ids["carla"]}
    # Carla shares group c with alice, but c is not part of the round.
    assert world.visible_ids(world.carla) == {ids["bob"], ids["carla"]}
    assert world.visible_ids(world.observer) == set()
    with pytest.raises(NotFound):
        access.get_feedback(world.db, ids["alice"], actor=world.bob)
    assert access.get_feedback(world.db, ids["alice"], actor=world.anna).id == ids["alice"]


def test_visibility_group_counts_only_groups_of_that_round(world: World) -> None:
    world.open_round(visibility="group", groups=("a", "b", "c"))
    ids = _feedback_by_everyone(world)
    # Now c takes part: carla sees alice's feedback through c.
    assert world.visible_ids(world.carla) == {ids["alice"], ids["bob"], ids["carla"]}
    assert world.visible_ids(world.alice) == {ids["alice"], ids["anna"], ids["carla"]}
    assert world.visible_ids(world.bob) == {ids["bob"], ids["carla"]}


def test_visibility_round(world: World) -> None:
    world.open_round(visibility="round", groups=("a", "b"), municipalities=True)
    ids = _feedback_by_everyone(world)
    ids["mayor"] = world.comment(world.mayor, "5", None).id
    everything = set(ids.values())
    for name in ("alice", "anna", "bob", "carla", "mayor", "editor"):
        assert world.visible_ids(world.users[name]) == everything
    # Not invited: sees nothing (the observer), or cannot read the revision at all.
    assert world.visible_ids(world.observer) == set()
    assert world.visible_ids(world.outsider) == set()
    with pytest.raises(NotFound):
        access.get_revision(world.db, world.revision.id, actor=world.outsider)
    with pytest.raises(NotFound):
        access.get_feedback(world.db, ids["alice"], actor=world.outsider)


def test_visibility_is_per_round(world: World) -> None:
    now = utcnow()
    first = world.open_round(
        visibility="editors",
        opens=timedelta(days=5),
        closes=timedelta(days=25),
        now=now - timedelta(days=45),
    )
    early = world.comment(world.alice, "2", "Kita", now=first.opens_at + timedelta(days=1))
    world.open_round(visibility="round")
    late = world.comment(world.alice, "2", "Eltern")
    assert world.visible_ids(world.bob) == {late.id}
    assert world.visible_ids(world.alice) == {early.id, late.id}


# --- re-anchoring ------------------------------------------------------------------------


@dataclass
class Anchored:
    moved: Feedback
    fuzzy: Feedback
    insertion: Feedback
    exact_changed: Feedback
    fuzzy_word: Feedback
    orphaned: Feedback
    orphaned_words: Feedback
    survivor: Feedback
    after_emoji: Feedback
    cafe: Feedback
    combining: Feedback
    unchanged: Feedback
    whole_changed: Feedback
    deleted_section: Feedback
    deleted_whole: Feedback

    def anchored_in_changed_sections(self) -> list[Feedback]:
        return [
            f
            for f in vars(self).values()
            if f.has_anchor and f not in (self.unchanged, self.deleted_section)
        ]


def make_anchored(world: World) -> Anchored:
    at = world.body("2").index(".", world.body("2").index("Kita"))
    return Anchored(
        moved=world.comment(world.alice, "2", "Sprachförderung beginnt in der Kita."),
        fuzzy=world.comment(world.anna, "2", "Eltern werden früh beteiligt"),
        insertion=world.suggest(world.alice, "2", "", " und Familie", at=at),
        exact_changed=world.comment(world.bob, "3", "Anerkennung ausländischer Abschlüsse"),
        fuzzy_word=world.suggest(world.bob, "3", "in mehreren Sprachen", "auf Arabisch"),
        orphaned=world.comment(
            world.anna, "2.1", "Seiteneinsteiger lernen in Vorbereitungsklassen"
        ),
        orphaned_words=world.comment(world.alice, "2.1", "drei Monaten"),
        survivor=world.comment(world.alice, "2.1", "Jedes Kind"),
        after_emoji=world.comment(world.anna, "4", "Sprachkurse für alle Familien"),
        cafe=world.comment(world.anna, "4", "Café"),
        combining=world.comment(world.anna, "4", "q\u0307"),
        unchanged=world.comment(world.bob, "1", "Integrationskonzept"),
        whole_changed=world.comment(world.bob, "3", None, body="Zu allgemein."),
        deleted_section=world.comment(world.carla, "5", "Monitoring"),
        deleted_whole=world.comment(world.carla, "5", None, body="Wer berichtet?"),
    )


def test_publishing_locates_earlier_feedback_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.open_round()
    made = make_anchored(world)
    assert world.counts()["feedback_locations"] == 0
    second = world.new_revision()
    rows = world.db.scalars(select(FeedbackLocation)).all()
    # One row per anchored feedback whose section changed; none for the unchanged
    # section (same version: exact) or the deleted one (orphaned without a row).
    assert sorted(r.feedback_id for r in rows) == sorted(
        f.id for f in made.anchored_in_changed_sections()
    )
    versions = {p.section_id: p.version_id for p in world.placements(second).values()}
    section_of = {f.id: f.section_id for f in vars(made).values()}
    assert all(r.version_id == versions[section_of[r.feedback_id]] for r in rows)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("reading must not re-anchor")

    monkeypatch.setattr(feedback_locations, "relocate_many", refuse)
    views = feedback_views.visible_feedback(world.db, second, actor=world.editor)
    assert len(views) == len(vars(made))
    assert (
        feedback_locations.locate_for_revision(world.db, second)
        == len(made.anchored_in_changed_sections()) + 1
    )
    feedback_views.visible_feedback(world.db, world.revision, actor=world.editor)
    assert world.counts()["feedback_locations"] == len(rows)


def test_reanchoring_states(world: World) -> None:
    world.open_round()
    made = make_anchored(world)
    second = world.new_revision()
    views = {
        v.feedback.id: v
        for v in feedback_views.visible_feedback(world.db, second, actor=world.editor)
    }

    def where(item: Feedback) -> tuple[str, int | None, int | None]:
        location = views[item.id].location
        assert location is not None
        return location.state, location.start, location.end

    keys = {p.section_id: p.key for p in world.placements().values()}

    def text_at(item: Feedback) -> str:
        state, start, end = where(item)
        assert start is not None and end is not None, state
        return world.body(keys[item.section_id], second)[start:end]

    for item, state in (
        (made.moved, "moved"),
        (made.after_emoji, "moved"),
        (made.cafe, "moved"),
        (made.combining, "moved"),
        (made.exact_changed, "exact"),
        (made.survivor, "exact"),
        (made.unchanged, "exact"),
    ):
        assert where(item)[0] == state, item.quote
        assert text_at(item) == item.quote, item.quote
    assert where(made.fuzzy)[0] == "fuzzy"
    assert text_at(made.fuzzy) == "Eltern werden sehr früh beteiligt"
    assert where(made.fuzzy_word)[0] == "fuzzy"
    assert text_at(made.fuzzy_word) == "in vielen Sprachen"
    state, start, end = where(made.insertion)
    assert state in ("exact", "moved") and start == end
    assert world.body("2", second)[:start].endswith("Sprachförderung beginnt in der Kita")
    for item in (made.orphaned, made.orphaned_words):
        assert where(item) == ("orphaned", None, None)
        assert views[item.id].is_outdated and views[item.id].location.quote == item.quote  # type: ignore[union-attr]
    assert views[made.whole_changed.id].location is None
    assert not views[made.whole_changed.id].is_outdated


def test_emoji_and_combining_marks_before_the_anchor_do_not_shift_it(world: World) -> None:
    world.open_round()
    made = make_anchored(world)
    second = world.new_revision()
    new_body = world.body("4", second)
    views = {
        v.feedback.id: v
        for v in feedback_views.visible_feedback(world.db, second, actor=world.anna)
    }
    for item in (made.after_emoji, made.cafe, made.combining):
        location = views[item.id].location
        assert location is not None and location.start is not None
        assert location.start == new_body.index(item.quote or "?")
        assert new_body[location.start : location.end] == item.quote
    # 🇩🇪 (two code points) and " 🙂" (two) were inserted before "Sprachkurse";
    # "Herzlich w" replaced "W" (+9).
    shift = views[made.after_emoji.id].location.start - made.after_emoji.anchor_start  # type: ignore[operator,union-attr]
    assert shift == 9 + 2 + 2


def test_a_deleted_section_orphans_its_feedback_which_stays_visible(world: World) -> None:
    world.open_round()
    made = make_anchored(world)
    second = world.new_revision()
    for user in (world.editor, world.carla, world.alice):
        views = {
            v.feedback.id: v for v in feedback_views.visible_feedback(world.db, second, actor=user)
        }
        anchored, whole = views[made.deleted_section.id], views[made.deleted_whole.id]
        assert anchored.section_missing and anchored.is_outdated
        assert anchored.location is not None
        assert (anchored.location.state, anchored.location.start, anchored.location.quote) == (
            "orphaned",
            None,
            "Monitoring",
        )
        assert whole.section_missing and whole.is_outdated and whole.location is None


def test_a_revert_makes_anchors_exact_again(world: World) -> None:
    world.open_round()
    made = make_anchored(world)
    world.new_revision()
    original = {k: world.body(k) for k in ("2", "2.1", "3", "4")}
    third = world.new_revision(original, removed=())
    views = {
        v.feedback.id: v
        for v in feedback_views.visible_feedback(world.db, third, actor=world.editor)
    }
    for item in (made.moved, made.fuzzy, made.orphaned, made.after_emoji, made.exact_changed):
        location = views[item.id].location
        assert location is not None
        assert (location.state, location.start, location.end) == (
            "exact",
            item.anchor_start,
            item.anchor_end,
        )
    # The deleted section is not back (it would be a new section).
    assert views[made.deleted_section.id].section_missing


def test_feedback_on_a_later_revision_is_exact_there_and_located_back(world: World) -> None:
    world.open_round()
    second = world.new_revision()
    world.open_round(revision=second)
    item = world.comment(world.bob, "3", "in vielen Sprachen", revision=second)
    [view] = feedback_views.visible_feedback(world.db, second, actor=world.bob)
    assert view.location is not None and view.location.state == "exact"
    # Reading the older revision locates it there (computed once, then stored).
    [old_view] = feedback_views.visible_feedback(world.db, world.revision, actor=world.bob)
    assert old_view.feedback.id == item.id and old_view.location is not None
    assert old_view.location.state == "fuzzy"
    stored = world.counts()["feedback_locations"]
    feedback_views.visible_feedback(world.db, world.revision, actor=world.bob)
    assert world.counts()["feedback_locations"] == stored


def test_rows_leave_the_context_out_and_locating_loads_it(world: World) -> None:
    """The reading view's plain rows carry no prefix and suffix (thousands of them cost
    time on every page view); locating feedback anew reads them from the table."""
    world.open_round()
    item = world.comment(world.alice, "2", "Eltern werden früh beteiligt")
    [row] = [
        r for r in feedback_views.feedback_rows(world.db, world.consultation.id) if r.id == item.id
    ]
    assert not hasattr(row, "prefix") and not hasattr(row, "suffix")
    [from_row, from_model] = feedback_locations._anchors_of(world.db, [row, item])
    assert from_row == from_model
    assert from_row.prefix == item.prefix and from_row.suffix == item.suffix
    assert item.prefix and item.suffix


def _notices(world: World) -> list[OutboxMessage]:
    world.db.expire_all()
    return list(world.db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_reply_notifies_the_thread_but_not_the_replier(world: World) -> None:
    """The author and everyone who answered before get an e-mail with the reply and a
    link to it; the replier does not; nor does anyone who turned it off or can no
    longer see the thread."""
    world.open_round(visibility="group", groups=("a", "b"))
    item = world.comment(world.alice, "2", "in der Kita", body="Wie viele Plätze?")
    before = len(_notices(world))
    service.reply(world.db, item.id, actor=world.anna, body="Zu wenige <b>sicher</b>.")
    [notice] = _notices(world)[before:]
    assert notice.to_address == world.alice.email
    assert notice.subject == "Neue Antwort von Anna Aydin – Integrationskonzept Kreis Siegtal"
    assert "Anna Aydin (Elternverein Siegburg) hat in einer Diskussion geantwortet" in (
        notice.body_text
    )
    assert "„in der Kita“" in notice.body_text and "Zu wenige <b>sicher</b>." in notice.body_text
    assert f"/revisions/{world.revision.id}#fb-{item.id}" in notice.body_text
    # The editor answers: the author and the earlier replier hear of it.
    service.reply(world.db, item.id, actor=world.editor, body="Wir klären das.")
    assert sorted(n.to_address for n in _notices(world)[before + 1 :]) == sorted(
        [world.alice.email, world.anna.email]
    )
    # Alice turned it off; Anna left working group a, so the thread is hidden from her.
    world.alice.notify_replies = False
    consultation_service.set_member(
        world.db,
        world.consultation.id,
        world.anna.id,
        actor=world.editor,
        role="participant",
        working_group_ids=[],
    )
    count = len(_notices(world))
    service.reply(world.db, item.id, actor=world.editor, body="Nachtrag.")
    assert [n.to_address for n in _notices(world)[count:]] == []
    # The author answers: the editor (who answered before) hears of it, not she herself.
    world.alice.notify_replies = True
    service.reply(world.db, item.id, actor=world.alice, body="Danke!")
    assert [n.to_address for n in _notices(world)[count:]] == [world.editor.email]
