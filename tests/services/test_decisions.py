"""Deciding on feedback (issue 11): decisions fit the kind, responses are required, the
history is kept, decisions stay internal until published, then each author is e-mailed
once; assignees and response snippets."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select

from consult.errors import Conflict, Invalid, NotFound, NotPermitted
from consult.models import (
    FeedbackDecision,
    FeedbackReview,
    OutboxMessage,
    PublicationKind,
    ResponseSnippet,
)
from consult.services import decisions, snippets
from tests.services.test_feedback import World, world  # noqa: F401  (the fixture)


@pytest.fixture
def decided_world(world: World, app: Flask) -> World:  # noqa: F811
    world.open_round()
    return world


def count(w: World, model: type) -> int:
    w.db.expire_all()
    return w.db.scalar(select(func.count()).select_from(model)) or 0


def test_comments_and_suggestions_take_their_own_decisions(decided_world: World) -> None:
    w = decided_world
    comment = w.comment(w.alice, "2", "Sprachförderung beginnt in der Kita.")
    suggestion = w.suggest(w.bob, "3", "Anerkennung", "Schnelle Anerkennung")
    done = decisions.decide(
        w.db, comment.id, actor=w.editor, decision="partly_considered", response="Teilweise."
    )
    assert (done.review.decision, done.review.response) == ("partly_considered", "Teilweise.")
    decisions.decide(w.db, suggestion.id, actor=w.editor, decision="accept")
    assert suggestion.status == "accepted"
    for item, wrong in ((comment, "accept"), (suggestion, "noted"), (comment, "maybe")):
        with pytest.raises(Invalid) as caught:
            decisions.decide(w.db, item.id, actor=w.editor, decision=wrong, response="x")
        assert caught.value.code == "invalid_decision"


def test_a_response_is_required_but_for_accept(decided_world: World) -> None:
    w = decided_world
    suggestion = w.suggest(w.bob, "3", "Anerkennung", "Schnelle Anerkennung")
    before = count(w, FeedbackDecision)
    for decision in ("reject", "accept_modified"):
        with pytest.raises(Invalid) as caught:
            decisions.decide(
                w.db, suggestion.id, actor=w.editor, decision=decision, replacement="Neu"
            )
        assert caught.value.code == "response_required"
    with pytest.raises(Invalid) as caught:
        decisions.decide(
            w.db, suggestion.id, actor=w.editor, decision="accept_modified", response="Kürzer."
        )
    assert caught.value.code == "replacement_required"
    assert count(w, FeedbackDecision) == before


def test_accept_modified_keeps_the_editors_text(decided_world: World) -> None:
    w = decided_world
    suggestion = w.suggest(w.bob, "3", "Anerkennung", "Schnelle Anerkennung")
    done = decisions.decide(
        w.db,
        suggestion.id,
        actor=w.editor,
        decision="accept_modified",
        response="Etwas anders formuliert.",
        replacement="Zügige Anerkennung",
    )
    assert done.review.replacement == "Zügige Anerkennung"
    assert suggestion.replacement == "Schnelle Anerkennung"  # the author's text stays


def test_decisions_change_and_the_history_is_kept(decided_world: World) -> None:
    w = decided_world
    comment = w.comment(w.alice, "2", "Sprachförderung beginnt in der Kita.")
    decisions.decide(w.db, comment.id, actor=w.editor, decision="noted", response="Danke.")
    decisions.decide(
        w.db, comment.id, actor=w.editor, decision="considered", response="Aufgenommen."
    )
    decisions.undecide(w.db, comment.id, actor=w.editor)
    steps = decisions.history(w.db, comment.id, actor=w.editor)
    assert [s.decision for s in steps] == ["noted", "considered", None]
    review = w.db.get(FeedbackReview, comment.id)
    assert review is not None and review.decision is None


def test_only_editors_decide(decided_world: World) -> None:
    w = decided_world
    comment = w.comment(w.alice, "2", "Sprachförderung beginnt in der Kita.")
    for user in (w.alice, w.bob, w.observer, w.mayor):
        # Those who see the comment may not decide; the others do not even find it.
        with pytest.raises((NotPermitted, NotFound)):
            decisions.decide(w.db, comment.id, actor=user, decision="noted", response="x")
    assert count(w, FeedbackDecision) == 0


def test_an_outdated_suggestion_cannot_be_accepted_as_is(decided_world: World) -> None:
    w = decided_world
    suggestion = w.suggest(w.bob, "3", "Anerkennung", "Schnelle Anerkennung")
    with pytest.raises(Conflict) as caught:
        decisions.decide(w.db, suggestion.id, actor=w.editor, decision="accept", outdated=True)
    assert caught.value.code == "outdated_suggestion"
    decisions.decide(
        w.db,
        suggestion.id,
        actor=w.editor,
        decision="accept_modified",
        response="Angepasst an den neuen Text.",
        replacement="Schnelle Anerkennung",
        outdated=True,
    )


def test_publishing_e_mails_each_author_once_and_only_once(
    decided_world: World, make_user: Callable[..., object]
) -> None:
    w = decided_world
    round_ = w.rounds[-1]
    first = w.comment(w.alice, "2", "Sprachförderung beginnt in der Kita.")
    second = w.suggest(w.alice, "3", "Anerkennung", "Schnelle Anerkennung")
    third = w.comment(w.bob, "2", "Eltern werden früh beteiligt")
    undecided = w.comment(w.anna, "2", None, body="Noch offen.")
    decisions.decide(w.db, first.id, actor=w.editor, decision="considered", response="Ja.")
    decisions.decide(w.db, second.id, actor=w.editor, decision="reject", response="Nein.")
    decisions.decide(w.db, third.id, actor=w.editor, decision="noted", response="Danke.")
    assert decisions.publication(w.db, round_.id, PublicationKind.DECISIONS) is None
    before = count(w, OutboxMessage)
    decisions.publish_decisions(w.db, round_.id, actor=w.editor)
    w.db.expire_all()
    mails = w.db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()[before:]
    assert sorted(m.to_address for m in mails) == sorted([w.alice.email, w.bob.email])
    to_alice = next(m for m in mails if m.to_address == w.alice.email)
    assert "berücksichtigt" in to_alice.body_text and "nicht übernommen" in to_alice.body_text
    assert "2 Beiträge" in to_alice.body_text
    assert undecided.body not in " ".join(m.body_text for m in mails)
    with pytest.raises(Conflict):
        decisions.publish_decisions(w.db, round_.id, actor=w.editor)
    assert count(w, OutboxMessage) == before + 2
    with pytest.raises(NotPermitted):
        decisions.publish_decisions(w.db, round_.id, actor=w.alice)


def test_assignees_are_editors(decided_world: World) -> None:
    w = decided_world
    comment = w.comment(w.alice, "2", "Sprachförderung beginnt in der Kita.")
    assert decisions.assign(w.db, [comment.id], actor=w.editor, assignee_id=w.editor.id) == 1
    review = w.db.get(FeedbackReview, comment.id)
    assert review is not None and review.assignee_id == w.editor.id
    with pytest.raises(Invalid):
        decisions.assign(w.db, [comment.id], actor=w.editor, assignee_id=w.alice.id)
    decisions.assign(w.db, [comment.id], actor=w.editor, assignee_id=None)
    assert review.assignee_id is None


def test_snippets_count_their_uses(decided_world: World) -> None:
    w = decided_world
    snippet = snippets.create_snippet(
        w.db,
        w.consultation.id,
        actor=w.editor,
        title="Schon enthalten",
        body="Das Anliegen ist in Abschnitt 2 bereits berücksichtigt.",
    )
    comment = w.comment(w.alice, "2", "Sprachförderung beginnt in der Kita.")
    decisions.decide(
        w.db,
        comment.id,
        actor=w.editor,
        decision="considered",
        response=snippet.body,
        snippet_id=snippet.id,
    )
    assert snippet.uses == 1
    listed = snippets.list_snippets(w.db, w.consultation.id, actor=w.editor)
    assert [s.title for s in listed] == ["Schon enthalten"]
    with pytest.raises(NotPermitted):
        snippets.list_snippets(w.db, w.consultation.id, actor=w.alice)
    snippets.delete_snippet(w.db, snippet.id, actor=w.editor)
    assert count(w, ResponseSnippet) == 0
