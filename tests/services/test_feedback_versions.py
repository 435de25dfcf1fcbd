"""The feedback version of a consultation moves with every write that changes what its
feedback shows, in the same transaction, and only then (services.feedback_versions)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.models import Consultation, Membership, Organisation, User
from consult.services import accounts, feedback_versions, feedback_views, organisations
from consult.services import consultations as consultation_service
from consult.services import feedback as service
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
    world = build_world(db, admin, make_user, make_org, add_member)
    world.open_round()
    return world


def version(db: Session, consultation_id: int) -> int:
    value = db.scalar(
        select(Consultation.feedback_version).where(Consultation.id == consultation_id)
    )
    assert value is not None
    return value


def test_every_write_to_feedback_moves_the_version(world: World) -> None:
    w, db = world, world.db
    seen = [version(db, w.consultation.id)]

    def moved() -> bool:
        seen.append(version(db, w.consultation.id))
        return seen[-1] > seen[-2]

    comment = w.comment(w.alice, "2", "in der Kita")
    assert moved()
    suggestion = w.suggest(w.bob, "3", "mehreren", "vielen")
    assert moved()
    service.reply(db, comment.id, actor=w.editor, body="Danke.")
    assert moved()
    service.edit(db, comment.id, actor=w.alice, body="Anders gesagt.")
    assert moved()
    service.edit(db, comment.id, actor=w.alice, body="Anders gesagt.")  # no change
    assert not moved()
    service.set_resolved(db, comment.id, actor=w.editor, resolved=True)
    assert moved()
    service.set_resolved(db, comment.id, actor=w.alice, resolved=False)
    assert moved()
    service.withdraw(db, suggestion.id, actor=w.bob)
    assert moved()


def test_a_new_name_moves_the_versions_where_it_is_shown(
    world: World,
    admin: User,
    make_org: Callable[..., Organisation],
) -> None:
    w, db = world, world.db
    other = consultation_service.create_consultation(db, actor=admin, title="Anderes Verfahren")
    comment = w.comment(w.alice, "2", "in der Kita")
    service.reply(db, comment.id, actor=w.bob, body="Stimmt.")

    def versions() -> tuple[int, int]:
        return version(db, w.consultation.id), version(db, other.id)

    before = versions()
    accounts.update_profile(db, actor=w.anna, name="Anna Aydın")  # wrote nothing: no move
    assert versions() == before
    accounts.update_profile(db, actor=w.alice, name=w.alice.name, locale="en")  # same name
    assert versions() == before
    accounts.update_profile(db, actor=w.alice, name="Alice Neumann")  # the comment's author
    assert versions() == (before[0] + 1, before[1])
    accounts.update_user(
        db,
        w.bob.id,
        actor=admin,
        name="Robert Berger",  # the reply's author
        email=w.bob.email,
        organisation_id=w.bob.organisation_id,
        is_admin=False,
        is_active=True,
    )
    assert versions() == (before[0] + 2, before[1])
    bob_org = w.bob.organisation
    assert bob_org is not None
    organisations.update_organisation(
        db,
        bob_org.id,
        actor=admin,
        name="Jobcenter Kreis Siegtal",
        kind="administration",
        is_active=True,
    )  # the reply was written for it
    assert versions() == (before[0] + 3, before[1])
    unused = make_org("Niemand e. V.")
    organisations.update_organisation(
        db, unused.id, actor=admin, name="Niemand mehr e. V.", kind="welfare", is_active=True
    )
    assert versions() == (before[0] + 3, before[1])


def test_the_key_is_none_in_the_transaction_that_changed_the_feedback(world: World) -> None:
    """Rows read in a transaction that wrote feedback may still roll back: never cached."""
    w, db = world, world.db
    first = w.comment(w.alice, "2", "in der Kita")
    db.commit()
    key = feedback_versions.current(db, w.consultation.id)
    assert key is not None and key.consultation_id == w.consultation.id
    first_key, first_rows = feedback_views.current_feedback_rows(db, w.consultation.id)
    again_key, again_rows = feedback_views.current_feedback_rows(db, w.consultation.id)
    assert first_key == again_key == key
    assert [r.id for r in first_rows] == [first.id] and again_rows is first_rows  # kept
    second = w.comment(w.bob, "3", "Jobcenter")
    assert feedback_versions.current(db, w.consultation.id) is None
    unkept_key, rows = feedback_views.current_feedback_rows(db, w.consultation.id)
    assert unkept_key is None and [r.id for r in rows] == [first.id, second.id]
    db.commit()
    new_key, new_rows = feedback_views.current_feedback_rows(db, w.consultation.id)
    assert new_key is not None and new_key.version == key.version + 1
    assert [r.id for r in new_rows] == [first.id, second.id]
    assert feedback_views.current_feedback_rows(db, w.consultation.id)[1] is new_rows
