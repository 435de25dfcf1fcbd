"""What a published revision changed is counted once, when it is published; the history
reads those counts (issue 8, item 7). And a session decides once what its user may
read, forgetting it when memberships, groups or rounds change."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.domain.outline_diff import Placed, compare_outlines, count_statuses
from consult.models import Membership, Placement, Revision, Role, Round, User, WorkingGroup
from consult.models.revisions import RevisionChange
from consult.services import consultations as consultation_service
from consult.services import diffs, draft_sections, drafts, permissions, working_groups
from consult.services import rounds as round_service
from tests.services.test_diffs import World, world  # noqa: F401  (the fixture)


def live_counts(db: Session, revision: Revision, other: Revision | None) -> dict[str, int]:
    """The counts as the history computed them before they were stored."""

    def placed(rev: Revision | None) -> list[Placed]:
        if rev is None:
            return []
        return [
            Placed(p.section_id, p.version_id, p.key, p.parent_section_id, p.depth)
            for p in db.scalars(
                select(Placement)
                .where(Placement.revision_id == rev.id)
                .order_by(Placement.position)
            )
        ]

    return count_statuses(compare_outlines(placed(other), placed(revision)))


def publish_changed_second(w: World) -> None:
    w.edit("2.1", body="Ein Drittel.")
    draft_sections.delete_section(
        w.db, w.second.id, w.by_key(w.second)["2.2"].section_id, actor=w.editor
    )
    draft_sections.add_section(w.db, w.second.id, actor=w.editor, title="Finanzierung")
    w.move("1", "down")
    drafts.publish(w.db, w.second.id, actor=w.editor)


def test_publishing_stores_the_counts_and_the_history_reads_them(
    world: World,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    publish_changed_second(world)
    rows = world.db.scalars(select(RevisionChange)).all()
    assert [(r.revision_id, r.compared_to_id) for r in rows] == [(world.second.id, world.first.id)]
    stored = rows[0]
    expected = {"unchanged": 5, "changed": 1, "added": 1, "removed": 1, "moved": 1}
    assert expected == live_counts(world.db, world.second, world.first)
    assert (stored.unchanged, stored.changed, stored.added, stored.removed, stored.moved) == (
        5,
        1,
        1,
        1,
        1,
    )
    assert (world.first.section_count, world.second.section_count) == (8, 8)

    # No draft: the history compares nothing.
    def no_comparison(*args: object) -> None:
        raise AssertionError("the history compared revisions")

    monkeypatch.setattr(diffs, "_placed", no_comparison)
    entries = diffs.history(world.db, world.consultation.id, actor=world.editor)
    assert [(e.revision.id, e.compared_to.id if e.compared_to else None) for e in entries] == [
        (world.second.id, world.first.id),
        (world.first.id, None),
    ]
    assert entries[0].counts == expected
    assert entries[1].counts == {
        "unchanged": 0,
        "changed": 0,
        "added": 8,
        "removed": 0,
        "moved": 0,
    }
    monkeypatch.undo()  # a comparison (the diff page) still compares
    assert diffs.compare(world.db, world.second, world.first).counts == expected


def test_a_revision_based_on_an_older_one_is_counted_against_both(
    world: World,  # noqa: F811
) -> None:
    """Revision 3 copies revision 1: the history compares it with its base, or with
    revision 2 for a reader who may not read revision 1; both counts are stored."""
    publish_changed_second(world)
    third = drafts.copy_revision(world.db, world.first.id, actor=world.editor)
    drafts.publish(world.db, third.id, actor=world.editor)
    stored = {
        (r.revision_id, r.compared_to_id): r for r in world.db.scalars(select(RevisionChange))
    }
    assert set(stored) == {
        (world.second.id, world.first.id),
        (third.id, world.first.id),
        (third.id, world.second.id),
    }
    for (revision_id, other_id), row in stored.items():
        revision, other = world.db.get(Revision, revision_id), world.db.get(Revision, other_id)
        assert revision is not None and other is not None
        assert live_counts(world.db, revision, other) == {
            "unchanged": row.unchanged,
            "changed": row.changed,
            "added": row.added,
            "removed": row.removed,
            "moved": row.moved,
        }
    entries = diffs.history(world.db, world.consultation.id, actor=world.editor)
    assert entries[0].revision.id == third.id and entries[0].compared_to is world.first
    assert entries[0].counts == live_counts(world.db, third, world.first)


@pytest.fixture
def participant_of(
    world: World,  # noqa: F811
    make_user: Callable[..., User],
) -> Callable[[list[Revision]], User]:
    """A participant invited (through a working group) to a round on each revision."""

    def make(revisions: list[Revision]) -> User:
        db, editor = world.db, world.editor
        group = working_groups.create_working_group(
            db, world.consultation.id, actor=editor, name=f"AK {len(revisions)}"
        )
        user = make_user()
        consultation_service.set_member(
            db,
            world.consultation.id,
            user.id,
            actor=editor,
            role="participant",
            working_group_ids=[group.id],
        )
        now = utcnow()
        for revision in revisions:
            round_service.create_round(
                db,
                world.consultation.id,
                actor=editor,
                revision_id=revision.id,
                title=f"Runde zu Fassung {revision.number}",
                opens_at=now - timedelta(days=1),
                closes_at=now + timedelta(days=10),
                working_group_ids=[group.id],
                notify=False,
            )
        return user

    return make


def test_the_history_compares_with_what_the_reader_may_read(
    world: World,  # noqa: F811
    participant_of: Callable[[list[Revision]], User],
) -> None:
    publish_changed_second(world)
    third = drafts.copy_revision(world.db, world.first.id, actor=world.editor)
    world.db.flush()
    drafts.publish(world.db, third.id, actor=world.editor)

    # Invited to the third only: nothing to compare it with.
    only_third = participant_of([third])
    entries = diffs.history(world.db, world.consultation.id, actor=only_third)
    assert [(e.revision.id, e.compared_to) for e in entries] == [(third.id, None)]
    assert entries[0].counts == live_counts(world.db, third, None)
    assert entries[0].counts["added"] == 8

    # Invited to the second and third, not to the first (the third's base): the third
    # is compared with the second.
    later = participant_of([world.second, third])
    entries = diffs.history(world.db, world.consultation.id, actor=later)
    assert [(e.revision.id, e.compared_to.id if e.compared_to else None) for e in entries] == [
        (third.id, world.second.id),
        (world.second.id, None),
    ]
    assert entries[0].counts == live_counts(world.db, third, world.second)
    assert entries[1].counts == live_counts(world.db, world.second, None)


def test_revisions_published_without_stored_counts_are_compared_live(
    world: World,  # noqa: F811
) -> None:
    publish_changed_second(world)
    third = drafts.copy_revision(world.db, world.second.id, actor=world.editor)
    before = diffs.history(world.db, world.consultation.id, actor=world.editor)
    world.db.execute(delete(RevisionChange))
    world.db.execute(update(Revision).values(section_count=None))
    world.db.expire_all()
    after = diffs.history(world.db, world.consultation.id, actor=world.editor)
    assert [(e.revision.id, e.compared_to, e.counts) for e in after] == [
        (e.revision.id, e.compared_to, e.counts) for e in before
    ]
    assert after[0].revision.id == third.id  # the draft, compared live as ever


# --- what a session decided ------------------------------------------------------------


def test_a_role_changed_in_the_session_is_seen_at_once(
    world: World,  # noqa: F811
    make_user: Callable[..., User],
    add_member: Callable[..., Membership],
) -> None:
    db, consultation = world.db, world.consultation
    user = make_user()
    assert permissions.role_in(db, user, consultation) is None
    add_member(consultation.id, user, "observer")  # a plain flush of a new membership
    assert permissions.role_in(db, user, consultation) is Role.OBSERVER
    assert permissions.can_read_revision(db, user, world.first)
    consultation_service.set_member(
        db, consultation.id, user.id, actor=world.editor, role="participant"
    )
    assert permissions.role_in(db, user, consultation) is Role.PARTICIPANT
    assert not permissions.can_read_revision(db, user, world.first)
    consultation_service.remove_member(db, consultation.id, user.id, actor=world.editor)
    assert permissions.role_in(db, user, consultation) is None


def test_invitations_follow_groups_and_rounds_in_the_session(
    world: World,  # noqa: F811
    participant_of: Callable[[list[Revision]], User],
) -> None:
    db = world.db
    user = participant_of([world.first])
    assert permissions.can_read_revision(db, user, world.first)
    assert len(permissions.invited_round_ids(db, user, world.consultation.id)) == 1
    group = db.scalars(select(WorkingGroup).where(WorkingGroup.name == "AK 1")).one()
    # Removed from the group by a DELETE statement, not by a flush of objects.
    working_groups.set_group_members(db, group.id, actor=world.editor, user_ids=[])
    assert permissions.invited_round_ids(db, user, world.consultation.id) == set()
    assert not permissions.can_read_revision(db, user, world.first)


def test_decisions_end_with_the_transaction(
    world: World,  # noqa: F811
    make_user: Callable[..., User],
) -> None:
    db, consultation = world.db, world.consultation
    user = make_user()
    db.commit()
    assert permissions.role_in(db, user, consultation) is None
    # Another writer makes the user a member meanwhile (beside this session's ORM).
    db.connection().execute(
        insert(Membership.__table__).values(
            consultation_id=consultation.id, user_id=user.id, role="observer", created_at=utcnow()
        )
    )
    assert permissions.role_in(db, user, consultation) is None  # decided in this transaction
    db.commit()
    assert permissions.role_in(db, user, consultation) is Role.OBSERVER


def test_the_batch_checks_agree_with_the_single_ones(
    world: World,  # noqa: F811
    participant_of: Callable[[list[Revision]], User],
    make_user: Callable[..., User],
    add_member: Callable[..., Membership],
) -> None:
    db = world.db
    drafts.publish(db, world.second.id, actor=world.editor)
    third = drafts.copy_revision(db, world.second.id, actor=world.editor)
    observer = make_user()
    add_member(world.consultation.id, observer, "observer")
    people = [world.editor, participant_of([world.first]), observer, make_user()]
    revisions = [world.first, world.second, third]
    rounds = list(db.scalars(select(Round).where(Round.consultation_id == world.consultation.id)))
    for user in people:
        assert permissions.readable_revisions(db, user, revisions) == [
            r for r in revisions if permissions.can_read_revision(db, user, r)
        ]
        assert permissions.readable_rounds(db, user, rounds) == [
            r for r in rounds if permissions.can_read_round(db, user, r)
        ]
