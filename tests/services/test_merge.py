"""Merging accepted suggestions into a new revision (issue 11, item 6; TEXT.md §5)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from consult.errors import Conflict, NotFound, NotPermitted
from consult.models import ChangeProvenance, FeedbackLocation, Revision, SectionVersion
from consult.services import decisions, drafts, merge
from consult.services import revisions as revision_service
from tests.services.test_feedback import World, world  # noqa: F401  (the fixture)


@pytest.fixture
def w(world: World, app: Flask) -> World:  # noqa: F811
    world.open_round()
    return world


def count(w: World, model: type) -> int:
    w.db.expire_all()
    return w.db.scalar(select(func.count()).select_from(model)) or 0


def accept(w: World, feedback_id: int, **kwargs: str) -> None:
    decision = "accept_modified" if "replacement" in kwargs else "accept"
    decisions.decide(w.db, feedback_id, actor=w.editor, decision=decision, **kwargs)


def test_a_merge_applies_the_accepted_suggestions_with_their_provenance(w: World) -> None:
    first = w.suggest(w.alice, "2", "Sprachförderung", "Sprachbildung")
    second = w.suggest(w.bob, "3", "Anerkennung", "Schnelle Anerkennung")
    rejected = w.suggest(w.anna, "2", "Kita", "Krippe")
    undecided = w.comment(w.anna, "2", "Eltern werden früh beteiligt")
    accept(w, first.id)
    accept(w, second.id, replacement="Zügige Anerkennung", response="Kürzer.")
    decisions.decide(w.db, rejected.id, actor=w.editor, decision="reject", response="Nein.")

    new = merge.merge(w.db, w.revision.id, actor=w.editor, note="Einarbeitung Runde 1")
    assert new.is_draft and new.base_revision_id == w.revision.id
    assert "Sprachbildung" in w.body("2", new) and "Kita" in w.body("2", new)
    assert "Zügige Anerkennung" in w.body("3", new)
    assert (first.status, second.status, rejected.status) == ("applied", "applied", "rejected")
    rows = w.db.scalars(select(ChangeProvenance).where(ChangeProvenance.revision_id == new.id))
    written = {
        r.feedback_id: w.body("2" if r.feedback_id == first.id else "3", new)[r.start : r.end]
        for r in rows
    }
    assert written == {first.id: "Sprachbildung", second.id: "Zügige Anerkennung"}
    # Untouched sections share their versions; undecided feedback is located in the draft.
    old, fresh = w.placements(w.revision), w.placements(new)
    assert old["1"].version_id == fresh["1"].version_id
    assert old["2"].version_id != fresh["2"].version_id
    located = w.db.get(FeedbackLocation, (undecided.id, fresh["2"].version_id))
    assert located is not None and located.state in ("exact", "moved")


def test_overlapping_accepted_suggestions_refuse_the_merge_and_write_nothing(w: World) -> None:
    one = w.suggest(w.alice, "2", "Sprachförderung beginnt", "Bildung beginnt")
    two = w.suggest(w.bob, "2", "beginnt in der Kita", "startet in der Krippe")
    accept(w, one.id)
    accept(w, two.id)
    before = (count(w, Revision), count(w, SectionVersion), count(w, ChangeProvenance))
    with pytest.raises(Conflict) as caught:
        merge.merge(w.db, w.revision.id, actor=w.editor, note="Einarbeitung")
    assert caught.value.code == "overlapping_suggestions"
    assert caught.value.details["suggestion_ids"] == sorted([one.id, two.id])
    assert (count(w, Revision), count(w, SectionVersion), count(w, ChangeProvenance)) == before
    assert (one.status, two.status) == ("accepted", "accepted")


def test_only_the_latest_revision_is_merged(w: World) -> None:
    suggestion = w.suggest(w.alice, "2", "Sprachförderung", "Sprachbildung")
    accept(w, suggestion.id)
    newer = w.new_revision()
    with pytest.raises(Conflict) as caught:
        merge.merge(w.db, w.revision.id, actor=w.editor, note="Zu spät")
    assert caught.value.code == "stale_base"
    assert caught.value.details["latest_revision_id"] == newer.id


def test_an_accepted_suggestion_whose_text_changed_is_refused(w: World) -> None:
    suggestion = w.suggest(w.alice, "3", "in mehreren Sprachen", "auf Arabisch")
    accept(w, suggestion.id)
    newer = w.new_revision()  # section 3 rewritten: the quote is no longer there as it was
    with pytest.raises(Conflict) as caught:
        merge.merge(w.db, newer.id, actor=w.editor, note="Einarbeitung")
    assert caught.value.code == "outdated_suggestions"
    assert caught.value.details["suggestion_ids"] == [suggestion.id]


def test_the_editors_own_edits_go_in_the_same_merge_with_their_provenance(w: World) -> None:
    suggestion = w.suggest(w.alice, "2", "Sprachförderung", "Sprachbildung")
    accept(w, suggestion.id)
    section = w.placements()["2"]
    planned = merge.plan(w.db, w.revision.id, actor=w.editor)
    edited = "Vorab: " + planned.sections[section.section_id].new_body
    new = merge.merge(
        w.db,
        w.revision.id,
        actor=w.editor,
        note="Einarbeitung und Redaktion",
        edits={section.section_id: edited},
    )
    body = w.body("2", new)
    assert body == edited
    rows = list(
        w.db.scalars(select(ChangeProvenance).where(ChangeProvenance.revision_id == new.id))
    )
    assert {(r.feedback_id, body[r.start : r.end]) for r in rows} == {
        (suggestion.id, "Sprachbildung"),
        (None, "Vorab: "),
    }


def test_the_preview_writes_nothing(w: World) -> None:
    suggestion = w.suggest(w.alice, "2", "Sprachförderung", "Sprachbildung")
    accept(w, suggestion.id)
    before = (count(w, Revision), count(w, SectionVersion))
    planned = merge.plan(w.db, w.revision.id, actor=w.editor)
    assert [f.id for f in planned.applied] == [suggestion.id]
    assert (count(w, Revision), count(w, SectionVersion)) == before
    assert suggestion.status == "accepted"


def test_participants_do_not_merge(w: World) -> None:
    with pytest.raises((NotPermitted, NotFound)):
        merge.merge(w.db, w.revision.id, actor=w.alice, note="Ich auch")


def test_decisions_cannot_change_once_applied(w: World) -> None:
    suggestion = w.suggest(w.alice, "2", "Sprachförderung", "Sprachbildung")
    accept(w, suggestion.id)
    new = merge.merge(w.db, w.revision.id, actor=w.editor, note="Einarbeitung")
    with pytest.raises(Conflict) as caught:
        decisions.decide(w.db, suggestion.id, actor=w.editor, decision="reject", response="x")
    assert caught.value.code == "already_applied"
    # The merged draft can be published; the history shows it.
    drafts.publish(w.db, new.id, actor=w.editor)
    assert revision_service.latest_revision(w.db, w.consultation.id) is not None
