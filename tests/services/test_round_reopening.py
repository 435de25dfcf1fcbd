"""Undoing what was done by mistake (issue 10, item 3): a closed round reopened with a
reason (consult.services.rounds.reopen_round), a withdrawal taken back by its author
(consult.services.feedback.restore)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.errors import Conflict, Invalid, NotFound, NotPermitted
from consult.models import Membership, Organisation, OutboxMessage, Round, User
from consult.services import feedback as feedback_service
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


def subjects_to(db: Session, user: User) -> list[str]:
    return list(
        db.scalars(
            select(OutboxMessage.subject)
            .where(OutboxMessage.to_address == user.email)
            .order_by(OutboxMessage.id)
        )
    )


def test_a_closed_round_reopens_with_its_reason_and_takes_feedback_again(world: World) -> None:
    now = utcnow()
    round_ = world.open_round(groups=("a",), now=now)
    service.close_round(world.db, round_.id, actor=world.editor, now=now)
    with pytest.raises(Conflict):
        world.comment(world.alice, "2", "Kita")
    later = now + timedelta(hours=2)
    new_end = later + timedelta(days=3)
    reopened = service.reopen_round(
        world.db,
        round_.id,
        actor=world.editor,
        closes_at=new_end.isoformat(),
        reason="Versehentlich geschlossen.",
        now=later,
    )
    assert reopened.status_at(later) == "open"
    assert reopened.closed_early_at is None and reopened.closes_at == new_end
    [record] = reopened.extensions
    # A record of its own, not an extension: when it had closed, when it reopened, why.
    assert (record.kind, record.previous_closes_at, record.closes_at, record.created_at) == (
        "reopening",
        now,
        new_end,
        later,
    )
    assert (record.reason, record.created_by_id) == ("Versehentlich geschlossen.", world.editor.id)
    # Everyone invited (group a: alice, anna) is told, in one e-mail each; others are not.
    for person in (world.alice, world.anna):
        [subject] = subjects_to(world.db, person)
        assert subject.startswith("Wieder geöffnet: Beteiligungsrunde")
    assert subjects_to(world.db, world.bob) == []
    # Feedback is accepted again.
    item = world.comment(world.alice, "2", "Kita", now=later + timedelta(minutes=1))
    assert item.round_id == round_.id


def test_a_round_past_its_deadline_reopens_too(world: World) -> None:
    round_ = world.open_round()
    planned = round_.closes_at
    now = planned + timedelta(days=1)  # the deadline passed yesterday
    assert round_.status_at(now) == "closed"
    service.reopen_round(
        world.db,
        round_.id,
        actor=world.editor,
        closes_at=now + timedelta(days=2),
        reason="Die Kommunen baten um eine Nachfrist.",
        now=now,
        notify=False,
    )
    assert round_.status_at(now) == "open"
    assert round_.extensions[-1].previous_closes_at == planned


def test_only_editors_reopen_and_a_refusal_writes_nothing(world: World) -> None:
    now = utcnow()
    round_ = world.open_round(now=now)
    service.close_round(world.db, round_.id, actor=world.editor, now=now)
    before = support.snapshot(world.db)
    args = {"closes_at": now + timedelta(days=3), "reason": "Ich will.", "now": now}
    for user in (world.alice, world.observer, world.mayor):
        with pytest.raises((NotPermitted, NotFound)):
            service.reopen_round(world.db, round_.id, actor=user, **args)
    with pytest.raises(NotPermitted):
        service.reopen_round(world.db, round_.id, actor=world.alice, **args)
    assert support.snapshot(world.db) == before


@pytest.mark.parametrize(
    ("reason", "code"),
    [("", "invalid_reason"), ("   ", "invalid_reason"), ("x" * 2001, "invalid_reason")],
)
def test_a_reason_is_required(world: World, reason: str, code: str) -> None:
    now = utcnow()
    round_ = world.open_round(now=now)
    service.close_round(world.db, round_.id, actor=world.editor, now=now)
    before = support.snapshot(world.db)
    with pytest.raises(Invalid) as caught:
        service.reopen_round(
            world.db,
            round_.id,
            actor=world.editor,
            closes_at=now + timedelta(days=3),
            reason=reason,
            now=now,
        )
    assert (caught.value.status, caught.value.code) == (422, code)
    assert "reason" in caught.value.fields
    assert support.snapshot(world.db) == before


def test_the_new_deadline_must_be_a_future_time(world: World) -> None:
    now = utcnow()
    round_ = world.open_round(now=now)
    service.close_round(world.db, round_.id, actor=world.editor, now=now)
    before = support.snapshot(world.db)
    for closes_at, code in ((now, "invalid_period"), ("bald", "invalid_datetime")):
        with pytest.raises(Invalid) as caught:
            service.reopen_round(
                world.db, round_.id, actor=world.editor, closes_at=closes_at, reason="Ja.", now=now
            )
        assert caught.value.code == code
    assert support.snapshot(world.db) == before


def test_only_a_closed_round_reopens(world: World) -> None:
    now = utcnow()
    open_round = world.open_round(now=now)
    scheduled = world.open_round(opens=timedelta(days=2), closes=timedelta(days=9), now=now)
    before = support.snapshot(world.db)
    for round_ in (open_round, scheduled):
        with pytest.raises(Conflict) as caught:
            service.reopen_round(
                world.db,
                round_.id,
                actor=world.editor,
                closes_at=now + timedelta(days=20),
                reason="Wieder öffnen.",
                now=now,
            )
        assert (caught.value.status, caught.value.code) == (409, "round_not_closed")
    assert support.snapshot(world.db) == before


def test_extending_a_closed_round_is_recorded_as_a_reopening(world: World) -> None:
    now = utcnow()
    round_ = world.open_round(now=now)
    service.extend_round(
        world.db,
        round_.id,
        actor=world.editor,
        closes_at=round_.closes_at + timedelta(days=1),
        reason="Ferien.",
        now=now,
    )
    service.close_round(world.db, round_.id, actor=world.editor, now=now)
    service.extend_round(
        world.db,
        round_.id,
        actor=world.editor,
        closes_at=now + timedelta(days=2),
        reason="Doch noch offen.",
        now=now + timedelta(minutes=5),
        notify=False,
    )
    assert [e.kind for e in round_.extensions] == ["extension", "reopening"]
    fresh = world.db.get(Round, round_.id)
    assert fresh is not None and fresh.status_at(now + timedelta(minutes=6)) == "open"


# --- taking back a withdrawal --------------------------------------------------------------


def test_the_author_restores_a_withdrawn_comment_and_suggestion(world: World) -> None:
    world.open_round()
    comment = world.comment(world.alice, "2", "Kita")
    suggestion = world.suggest(world.alice, "3", "mehreren", "vielen")
    for item in (comment, suggestion):
        feedback_service.withdraw(world.db, item.id, actor=world.alice)
    assert suggestion.status == "withdrawn"
    assert comment.id not in world.visible_ids(world.bob)
    for item in (comment, suggestion):
        feedback_service.restore(world.db, item.id, actor=world.alice)
        assert item.withdrawn_at is None and item.status == "open"
    assert {comment.id, suggestion.id} <= world.visible_ids(world.bob)


def test_only_the_author_restores_only_a_withdrawn_item_while_the_round_is_open(
    world: World,
) -> None:
    round_ = world.open_round()
    item = world.comment(world.alice, "2", "Kita")
    with pytest.raises(Conflict) as caught:
        feedback_service.restore(world.db, item.id, actor=world.alice)
    assert caught.value.code == "not_withdrawn"
    feedback_service.withdraw(world.db, item.id, actor=world.alice)
    for user in (world.editor, world.anna):
        with pytest.raises((NotPermitted, NotFound)):
            feedback_service.restore(world.db, item.id, actor=user)
    service.close_round(world.db, round_.id, actor=world.editor)
    with pytest.raises(Conflict) as caught:
        feedback_service.restore(world.db, item.id, actor=world.alice)
    assert caught.value.code == "round_closed"
    assert item.withdrawn_at is not None
