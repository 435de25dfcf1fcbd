"""Working groups, memberships and consultation rounds (consult.services.working_groups,
rounds)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.errors import Conflict, Invalid, NotFound, NotPermitted
from consult.models import (
    Membership,
    Organisation,
    OutboxMessage,
    Round,
    RoundExtension,
    User,
    WorkingGroup,
)
from consult.services import access, drafts, permissions, working_groups
from consult.services import consultations as consultation_service
from consult.services import revisions as revision_service
from consult.services import rounds as service
from tests import support
from tests.services.test_feedback import World, app_in_context, build_world

module_app = pytest.fixture(scope="module")(support.module_app)
app = pytest.fixture(app_in_context)


@pytest.fixture
def world(
    db: Session,
    admin: User,
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
    add_member: Callable[..., Membership],
) -> World:
    return build_world(db, admin, make_user, make_org, add_member)


def count(db: Session, model: type) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model)) or 0


def round_args(world: World, **overrides: object) -> dict[str, object]:
    now = utcnow()
    args: dict[str, object] = {
        "actor": world.editor,
        "revision_id": world.revision.id,
        "title": "Runde 1",
        "opens_at": now - timedelta(hours=1),
        "closes_at": now + timedelta(days=14),
        "working_group_ids": [world.groups["a"].id],
        "notify": False,
    }
    args.update(overrides)
    return args


# --- working groups ------------------------------------------------------------------------


def test_create_a_working_group_with_sections(world: World) -> None:
    sections = [world.section_id("2"), world.section_id("2.1")]
    group = working_groups.create_working_group(
        world.db,
        world.consultation.id,
        actor=world.editor,
        name="  AK   Integration  ",
        section_ids=[*sections, sections[0]],
        description="Kitas und Schulen",
    )
    assert group.name == "AK Integration" and group.description == "Kitas und Schulen"
    assert sorted(s.section_id for s in group.sections) == sorted(sections)
    names = [
        g.name
        for g in working_groups.list_working_groups(
            world.db, world.consultation.id, actor=world.bob
        )
    ]
    assert names == sorted(names) and "AK Integration" in names


def test_working_group_errors(world: World) -> None:
    working_groups.create_working_group(
        world.db, world.consultation.id, actor=world.editor, name="AK Ältere Menschen"
    )
    before = count(world.db, WorkingGroup)
    # the same names in another case and spacing (beyond ASCII too: "Ä" and "ä")
    for name in ("AK Bildung", "ak  BILDUNG", "ak ältere menschen"):
        with pytest.raises(Conflict) as caught:
            working_groups.create_working_group(
                world.db, world.consultation.id, actor=world.editor, name=name
            )
        assert (caught.value.status, caught.value.code) == (409, "duplicate_name")
    other = consultation_service.create_consultation(world.db, actor=world.admin, title="Anderes")
    world.add_member(other.id, world.editor, "editor")
    foreign = drafts.create_from_markdown(
        world.db, other.id, actor=world.editor, markdown="# 1 Fremd\n\nText."
    )
    foreign_section = revision_service.outline(world.db, foreign).placements[0].section_id
    for section_ids in ([999_999], [foreign_section], [world.section_id("1"), 999_999]):
        with pytest.raises(Invalid) as caught:
            working_groups.create_working_group(
                world.db,
                world.consultation.id,
                actor=world.editor,
                name="AK Neu",
                section_ids=section_ids,
            )
        assert (caught.value.status, caught.value.code) == (422, "unknown_section")
    for bad in ("1", [True], ["x"]):
        with pytest.raises(Invalid):
            working_groups.create_working_group(
                world.db, world.consultation.id, actor=world.editor, name="AK Neu", section_ids=bad
            )
    for name in ("", "   ", None, "x" * 201):
        with pytest.raises(Invalid):
            working_groups.create_working_group(
                world.db, world.consultation.id, actor=world.editor, name=name
            )
    for user in (world.alice, world.observer, world.mayor):
        with pytest.raises(NotPermitted):
            working_groups.create_working_group(
                world.db, world.consultation.id, actor=user, name="AK Eigenmächtig"
            )
    with pytest.raises(NotFound):
        working_groups.create_working_group(
            world.db, world.consultation.id, actor=world.make_user(), name="AK X"
        )
    # The same name in another consultation is fine.
    working_groups.create_working_group(world.db, other.id, actor=world.editor, name="AK Bildung")
    assert count(world.db, WorkingGroup) == before + 1


def test_update_a_working_group(world: World) -> None:
    group = world.groups["a"]
    working_groups.update_working_group(
        world.db,
        group.id,
        actor=world.editor,
        name="AK Bildung und Sprache",
        section_ids=[world.section_id("2")],
    )
    assert group.name == "AK Bildung und Sprache"
    assert [s.section_id for s in group.sections] == [world.section_id("2")]
    with pytest.raises(Conflict):
        working_groups.update_working_group(
            world.db, group.id, actor=world.editor, name="AK Arbeit", section_ids=[]
        )
    with pytest.raises(NotPermitted):
        working_groups.update_working_group(
            world.db, group.id, actor=world.alice, name="AK Meins", section_ids=[]
        )


def test_set_member_replaces_working_groups(world: World) -> None:
    a, b, c = (world.groups[k].id for k in "abc")
    cid, alice = world.consultation.id, world.alice
    assert working_groups.user_group_ids(world.db, cid, alice.id) == sorted([a, c])
    consultation_service.set_member(
        world.db, cid, alice.id, actor=world.editor, role="participant", working_group_ids=[b]
    )
    assert working_groups.user_group_ids(world.db, cid, alice.id) == [b]
    # Leaving working_group_ids out keeps them; an empty list removes all.
    consultation_service.set_member(world.db, cid, alice.id, actor=world.editor, role="participant")
    assert working_groups.user_group_ids(world.db, cid, alice.id) == [b]
    consultation_service.set_member(
        world.db, cid, alice.id, actor=world.editor, role="participant", working_group_ids=[]
    )
    assert working_groups.user_group_ids(world.db, cid, alice.id) == []
    # Other people keep theirs.
    assert working_groups.user_group_ids(world.db, cid, world.anna.id) == [a]


def test_set_member_refuses_unknown_working_groups(world: World) -> None:
    other = consultation_service.create_consultation(world.db, actor=world.admin, title="Anderes")
    world.add_member(other.id, world.editor, "editor")
    foreign = working_groups.create_working_group(
        world.db, other.id, actor=world.editor, name="AK Fremd"
    )
    cid, alice = world.consultation.id, world.alice
    groups_before = working_groups.user_group_ids(world.db, cid, alice.id)
    for group_ids in ([999_999], [foreign.id], [world.groups["b"].id, 999_999]):
        with pytest.raises(Invalid) as caught:
            consultation_service.set_member(
                world.db,
                cid,
                alice.id,
                actor=world.editor,
                role="participant",
                working_group_ids=group_ids,
            )
        assert (caught.value.status, caught.value.code) == (422, "unknown_working_group")
    for bad in ("1", [None], [True]):
        with pytest.raises(Invalid):
            consultation_service.set_member(
                world.db,
                cid,
                alice.id,
                actor=world.editor,
                role="participant",
                working_group_ids=bad,
            )
    assert working_groups.user_group_ids(world.db, cid, alice.id) == groups_before
    with pytest.raises(NotPermitted):
        consultation_service.set_member(
            world.db, cid, world.anna.id, actor=alice, role="participant", working_group_ids=[]
        )


# --- creating rounds ---------------------------------------------------------------------


def test_create_a_round(world: World) -> None:
    args = round_args(
        world,
        working_group_ids=[world.groups["b"].id, world.groups["a"].id, world.groups["a"].id],
        municipalities=True,
        visibility="group",
        title="  Erste   Runde ",
        description="Bitte bis Ende Mai.",
    )
    round_ = service.create_round(world.db, world.consultation.id, **args)
    assert round_.title == "Erste Runde" and round_.description == "Bitte bis Ende Mai."
    assert round_.working_group_ids == sorted([world.groups["a"].id, world.groups["b"].id])
    assert round_.includes_municipalities and round_.visibility == "group"
    assert round_.opens_at == args["opens_at"] and round_.closes_at == args["closes_at"]
    assert round_.created_by_id == world.editor.id and round_.extensions == []
    assert round_.status_at(utcnow()) == "open"


def test_default_visibility_is_editors_and_unknown_visibility_is_refused(world: World) -> None:
    round_ = service.create_round(world.db, world.consultation.id, **round_args(world))
    assert round_.visibility == "editors"
    with pytest.raises(Invalid) as caught:
        service.create_round(
            world.db, world.consultation.id, **round_args(world, visibility="alle")
        )
    assert caught.value.code == "invalid_visibility"


def test_rounds_only_on_published_revisions(world: World) -> None:
    draft = world.new_revision(publish=False)
    before = count(world.db, Round)
    with pytest.raises(Invalid) as caught:
        service.create_round(
            world.db, world.consultation.id, **round_args(world, revision_id=draft.id)
        )
    assert (caught.value.status, caught.value.code) == (422, "revision_not_published")
    for revision_id, code in (
        (999_999, "unknown_revision"),
        ("1", "invalid_revision"),
        (None, "invalid_revision"),
    ):
        with pytest.raises(Invalid) as caught:
            service.create_round(
                world.db,
                world.consultation.id,
                **round_args(world, revision_id=revision_id),
            )
        assert caught.value.code == code
    assert count(world.db, Round) == before
    # Once published, the new revision takes rounds; the superseded one still does.
    drafts.publish(world.db, draft.id, actor=world.editor)
    service.create_round(world.db, world.consultation.id, **round_args(world, revision_id=draft.id))
    service.create_round(world.db, world.consultation.id, **round_args(world))


def test_round_times_are_checked(world: World) -> None:
    now = utcnow()
    before = count(world.db, Round)
    cases: list[tuple[object, object, str]] = [
        (now, now, "invalid_period"),
        (now + timedelta(days=2), now + timedelta(days=1), "invalid_period"),
        (now - timedelta(days=9), now - timedelta(days=1), "invalid_period"),  # closes in the past
        ("gestern", now + timedelta(days=1), "invalid_datetime"),
        (now, "2026-13-40T10:00", "invalid_datetime"),
        (now, None, "invalid_datetime"),
        (now, 1_800_000_000, "invalid_datetime"),
    ]
    for opens_at, closes_at, code in cases:
        with pytest.raises(Invalid) as caught:
            service.create_round(
                world.db,
                world.consultation.id,
                **round_args(world, opens_at=opens_at, closes_at=closes_at),
            )
        assert (caught.value.status, caught.value.code) == (422, code), (opens_at, closes_at)
    assert count(world.db, Round) == before


def test_times_without_offset_are_berlin_time(world: World) -> None:
    round_ = service.create_round(
        world.db,
        world.consultation.id,
        **round_args(world, opens_at="2030-01-15T09:00", closes_at="2030-07-01T23:59:00+02:00"),
        now=datetime(2029, 12, 1, tzinfo=UTC),
    )
    assert round_.opens_at == datetime(2030, 1, 15, 8, 0, tzinfo=UTC)  # CET = UTC+1
    assert round_.closes_at == datetime(2030, 7, 1, 21, 59, tzinfo=UTC)


def test_a_round_needs_an_audience(world: World) -> None:
    before = count(world.db, Round)
    for group_ids, code in (
        (None, "no_audience"),
        ([], "no_audience"),
        ([999_999], "unknown_working_group"),
        ("1", "invalid_working_group_ids"),
    ):
        with pytest.raises(Invalid) as caught:
            service.create_round(
                world.db,
                world.consultation.id,
                **round_args(world, working_group_ids=group_ids),
            )
        assert (caught.value.status, caught.value.code) == (422, code)
    with pytest.raises(Invalid):
        service.create_round(
            world.db,
            world.consultation.id,
            **round_args(world, municipalities="ja"),
        )
    assert count(world.db, Round) == before
    # All municipalities alone are an audience.
    service.create_round(
        world.db,
        world.consultation.id,
        **round_args(world, working_group_ids=[], municipalities=True),
    )


def test_only_editors_open_rounds(world: World) -> None:
    for user in (world.alice, world.observer, world.mayor):
        with pytest.raises(NotPermitted):
            service.create_round(world.db, world.consultation.id, **round_args(world, actor=user))
    with pytest.raises(NotFound):
        service.create_round(
            world.db, world.consultation.id, **round_args(world, actor=world.make_user())
        )
    # Admins may.
    service.create_round(world.db, world.consultation.id, **round_args(world, actor=world.admin))


def test_invitations_are_queued_for_every_invited_person_once(world: World) -> None:
    inactive = world.make_user("Ina Inaktiv", active=False)
    consultation_service.set_member(
        world.db,
        world.consultation.id,
        world.anna.id,
        actor=world.editor,
        role="participant",
        working_group_ids=[world.groups["a"].id, world.groups["b"].id],
    )
    world.add_member(world.consultation.id, inactive, "participant")
    from consult.models import WorkingGroupMember

    world.db.add(WorkingGroupMember(working_group_id=world.groups["a"].id, user_id=inactive.id))
    world.db.flush()
    before = count(world.db, OutboxMessage)
    round_ = service.create_round(
        world.db,
        world.consultation.id,
        **round_args(
            world,
            working_group_ids=[world.groups["a"].id, world.groups["b"].id],
            municipalities=True,
            title="Zweite Stufe",
            notify=True,
        ),
    )
    messages = world.db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()[before:]
    invited = {u.email for u in (world.alice, world.anna, world.bob, world.carla, world.mayor)}
    assert sorted(m.to_address for m in messages) == sorted(invited)
    for message in messages:
        assert "Zweite Stufe" in message.subject
        assert f"http://consult.test/rounds/{round_.id}" in message.body_text
        assert f"http://consult.test/revisions/{world.revision.id}" in message.body_text
    assert {u.email for u in service.invited_users(world.db, round_)} == invited


def test_no_mail_without_notify(world: World) -> None:
    before = count(world.db, OutboxMessage)
    service.create_round(world.db, world.consultation.id, **round_args(world))
    assert count(world.db, OutboxMessage) == before


# --- status, extension, closing ----------------------------------------------------------


def test_status_at(world: World) -> None:
    now = utcnow()
    round_ = world.open_round(opens=timedelta(days=1), closes=timedelta(days=8), now=now)
    opens, closes = round_.opens_at, round_.closes_at
    assert round_.status_at(opens - timedelta(seconds=1)) == "scheduled"
    assert round_.status_at(opens) == "open"
    assert round_.status_at(closes - timedelta(seconds=1)) == "open"
    assert round_.status_at(closes) == "closed"
    assert round_.effective_close() == closes


def test_extend_keeps_every_reason_and_must_move_later(world: World) -> None:
    now = utcnow()
    round_ = world.open_round(now=now)
    first_close = round_.closes_at
    service.extend_round(
        world.db,
        round_.id,
        actor=world.editor,
        closes_at=first_close + timedelta(days=3),
        reason="Ferien.",
        now=now,
    )
    service.extend_round(
        world.db,
        round_.id,
        actor=world.editor,
        closes_at=(first_close + timedelta(days=5)).isoformat(),
        reason="Die Kommunen baten darum.",
        now=now,
    )
    world.db.expire_all()
    fresh = world.db.get(Round, round_.id)
    assert fresh is not None and fresh.closes_at == first_close + timedelta(days=5)
    assert [
        (e.previous_closes_at, e.closes_at, e.reason, e.created_by_id) for e in fresh.extensions
    ] == [
        (first_close, first_close + timedelta(days=3), "Ferien.", world.editor.id),
        (
            first_close + timedelta(days=3),
            first_close + timedelta(days=5),
            "Die Kommunen baten darum.",
            world.editor.id,
        ),
    ]
    before = count(world.db, RoundExtension)
    for closes_at, reason, code in (
        (fresh.closes_at, "Gleich.", "invalid_period"),
        (fresh.closes_at - timedelta(days=1), "Früher.", "invalid_period"),
        (fresh.closes_at + timedelta(days=1), "", "invalid_reason"),
        (fresh.closes_at + timedelta(days=1), "   ", "invalid_reason"),
        (fresh.closes_at + timedelta(days=1), "x" * 2001, "invalid_reason"),
        ("bald", "Grund.", "invalid_datetime"),
    ):
        with pytest.raises(Invalid) as caught:
            service.extend_round(
                world.db, round_.id, actor=world.editor, closes_at=closes_at, reason=reason, now=now
            )
        assert caught.value.code == code, (closes_at, reason)
    assert count(world.db, RoundExtension) == before
    for user in (world.alice, world.observer):
        with pytest.raises((NotPermitted, NotFound)):
            service.extend_round(
                world.db,
                round_.id,
                actor=user,
                closes_at=fresh.closes_at + timedelta(days=9),
                reason="Ich will.",
            )


def test_close_early_and_reopen_by_extension(world: World) -> None:
    now = utcnow()
    round_ = world.open_round(now=now)
    planned = round_.closes_at
    closed = service.close_round(world.db, round_.id, actor=world.editor, now=now)
    assert closed.closed_early_at == now and closed.effective_close() == now
    assert closed.status_at(now) == "closed"
    with pytest.raises(Conflict) as caught:
        service.close_round(world.db, round_.id, actor=world.editor, now=now + timedelta(minutes=1))
    assert (caught.value.status, caught.value.code) == (409, "round_closed")
    # Extending a closed round reopens it; the extension records when it had closed.
    later = now + timedelta(hours=1)
    service.extend_round(
        world.db,
        round_.id,
        actor=world.editor,
        closes_at=later + timedelta(days=2),
        reason="Versehentlich geschlossen.",
        now=later,
    )
    assert round_.status_at(later) == "open" and round_.closed_early_at is None
    assert round_.extensions[-1].previous_closes_at == now
    # Even to a time before the original deadline (the early close was the deadline).
    assert later + timedelta(days=2) < planned
    with pytest.raises(NotPermitted):
        service.close_round(world.db, round_.id, actor=world.alice)


def test_a_round_past_its_deadline_cannot_be_closed_again(world: World) -> None:
    round_ = world.open_round()
    with pytest.raises(Conflict):
        service.close_round(world.db, round_.id, actor=world.editor, now=round_.closes_at)


def test_closing_a_scheduled_round(world: World) -> None:
    now = utcnow()
    round_ = world.open_round(opens=timedelta(days=3), closes=timedelta(days=10), now=now)
    service.close_round(world.db, round_.id, actor=world.editor, now=now)
    assert round_.status_at(now) == "closed" and round_.opens_at == now


# --- who sees rounds and their revisions -------------------------------------------------


def test_invited_people_read_the_rounds_revision_but_not_others(world: World) -> None:
    second = world.new_revision()
    third = world.new_revision({"1": "Ganz neu."}, removed=(), publish=False)
    get = access.get_revision
    # Before any round: participants read nothing; observers read published revisions.
    for user in (world.alice, world.bob, world.mayor):
        with pytest.raises(NotFound):
            get(world.db, world.revision.id, actor=user)
    assert get(world.db, world.revision.id, actor=world.observer).id == world.revision.id
    assert get(world.db, second.id, actor=world.observer).id == second.id
    with pytest.raises(NotFound):
        get(world.db, third.id, actor=world.observer)
    round_ = world.open_round(groups=("a",), revision=second)
    assert get(world.db, second.id, actor=world.alice).id == second.id
    assert get(world.db, second.id, actor=world.anna).id == second.id
    for revision in (world.revision, third):
        with pytest.raises(NotFound):
            get(world.db, revision.id, actor=world.alice)
    for user in (world.bob, world.outsider, world.mayor):
        with pytest.raises(NotFound):
            get(world.db, second.id, actor=user)
    # Invitation is through the round's groups (and municipalities), not the role.
    assert access.get_round(world.db, round_.id, actor=world.alice).id == round_.id
    for user in (world.bob, world.observer, world.outsider):
        with pytest.raises(NotFound):
            access.get_round(world.db, round_.id, actor=user)
    assert [
        r.id for r in service.list_rounds(world.db, world.consultation.id, actor=world.alice)
    ] == [round_.id]
    assert service.list_rounds(world.db, world.consultation.id, actor=world.bob) == []
    assert [
        r.id for r in service.list_rounds(world.db, world.consultation.id, actor=world.editor)
    ] == [round_.id]
    # A closed round still lets its people read (they wrote on it).
    service.close_round(world.db, round_.id, actor=world.editor)
    assert get(world.db, second.id, actor=world.alice).id == second.id


def test_municipalities_are_invited_by_the_flag(world: World) -> None:
    round_ = world.open_round(groups=("a",), municipalities=True)
    assert round_.id in permissions.invited_round_ids(world.db, world.mayor, world.consultation.id)
    assert access.get_revision(world.db, world.revision.id, actor=world.mayor)
    other = world.open_round(groups=("a",))
    assert other.id not in permissions.invited_round_ids(
        world.db, world.mayor, world.consultation.id
    )
    # A deactivated user is invited to nothing.
    world.alice.is_active = False
    assert permissions.invited_round_ids(world.db, world.alice, world.consultation.id) == set()


def test_feedback_round_explains_why_not(world: World) -> None:
    revision = world.revision
    with pytest.raises(NotPermitted):
        service.feedback_round(world.db, revision, world.alice)
    now = utcnow()
    round_ = world.open_round(opens=timedelta(days=1), closes=timedelta(days=3), now=now)
    with pytest.raises(Conflict) as caught:
        service.feedback_round(world.db, revision, world.alice, now)
    assert caught.value.code == "round_not_open"
    assert (
        service.feedback_round(world.db, revision, world.alice, now + timedelta(days=2)).id
        == round_.id
    )
    with pytest.raises(Conflict) as caught:
        service.feedback_round(world.db, revision, world.alice, now + timedelta(days=3))
    assert caught.value.code == "round_closed"
    with pytest.raises(NotPermitted):  # open, but not to someone not invited
        service.feedback_round(world.db, revision, world.observer, now + timedelta(days=2))


def test_set_member_with_an_unknown_group_changes_nothing(
    db: Session, admin: User, make_user: Callable[..., User]
) -> None:
    consultation = consultation_service.create_consultation(db, actor=admin, title="Konzept")
    person = make_user("Paula Probe")
    consultation_service.set_member(db, consultation.id, person.id, actor=admin, role="observer")
    with pytest.raises(Invalid):
        consultation_service.set_member(
            db,
            consultation.id,
            person.id,
            actor=admin,
            role="participant",
            working_group_ids=[999_999],
        )
    role = db.scalar(
        select(Membership.role).where(
            Membership.consultation_id == consultation.id, Membership.user_id == person.id
        )
    )
    assert role == "observer"


def test_set_group_members_replaces_them_and_refuses_non_members(
    db: Session, admin: User, make_user: Callable[..., User]
) -> None:
    consultation = consultation_service.create_consultation(db, actor=admin, title="Konzept")
    group = working_groups.create_working_group(db, consultation.id, actor=admin, name="AK")
    anna, ben, outsider = make_user("Anna"), make_user("Ben"), make_user("Otto")
    for person in (anna, ben):
        consultation_service.set_member(
            db, consultation.id, person.id, actor=admin, role="participant"
        )
    working_groups.set_group_members(db, group.id, actor=admin, user_ids=[anna.id, ben.id])
    assert sorted(m.user_id for m in group.members) == sorted([anna.id, ben.id])
    working_groups.set_group_members(db, group.id, actor=admin, user_ids=[ben.id])
    assert [m.user_id for m in group.members] == [ben.id]
    with pytest.raises(Invalid):
        working_groups.set_group_members(db, group.id, actor=admin, user_ids=[anna.id, outsider.id])
    assert [m.user_id for m in group.members] == [ben.id]
    # a number no id column holds is refused before any query (SQLite cannot compare it)
    with pytest.raises(Invalid) as caught:
        working_groups.set_group_members(db, group.id, actor=admin, user_ids=[ben.id, 10**25])
    assert caught.value.code == "invalid_members"
    assert [m.user_id for m in group.members] == [ben.id]
    with pytest.raises(NotPermitted):
        working_groups.set_group_members(db, group.id, actor=anna, user_ids=[anna.id])
