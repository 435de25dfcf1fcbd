"""The editors' overview of a round (Eingangsliste) and deciding several items at once
(issue 11, items 1, 2, 5): filters, sorting, counts, numbers as in the response table,
"next undecided", outdated and overlapping suggestions flagged as the merge would refuse
them, a constant number of queries, and steps over several items that are all or nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from sqlalchemy import Connection, event, func, select

from consult.errors import Conflict, Invalid, NotFound, NotPermitted
from consult.models import Feedback, FeedbackDecision, FeedbackReview
from consult.services import deciding, decisions, feedback, merge, responses, snippets
from consult.services import inbox as service
from consult.services.inbox import InboxFilters
from tests.services.test_feedback import World, world  # noqa: F401  (the fixture)


@pytest.fixture
def w(world: World, app: Flask) -> World:  # noqa: F811
    world.open_round()
    return world


def overview(w: World, **filters: object) -> service.Inbox:
    return service.inbox(
        w.db,
        w.rounds[-1].id,
        actor=w.editor,
        filters=InboxFilters(**filters),  # type: ignore[arg-type]
    )


def ids(found: service.Inbox) -> list[int]:
    return [item.feedback_id for item in found.items]


def count(w: World, model: type) -> int:
    w.db.expire_all()
    return w.db.scalar(select(func.count()).select_from(model)) or 0


def test_every_item_with_number_section_author_status_and_decision(w: World) -> None:
    first = w.comment(w.alice, "3", "Anerkennung", "Bitte schneller.")
    gone = w.comment(w.anna, "2", None, body="Doch nicht.")
    second = w.suggest(w.bob, "2", "Kita", "Krippe", "Früher anfangen.")
    feedback.withdraw(w.db, gone.id, actor=w.anna)
    decisions.decide(w.db, first.id, actor=w.editor, decision="noted", response="Danke.")
    decisions.assign(w.db, [second.id], actor=w.editor, assignee_id=w.editor.id)

    found = overview(w)
    assert ids(found) == [first.id, gone.id, second.id]
    one, withdrawn, two = found.items
    assert (one.number, withdrawn.number, two.number) == (1, None, 2)
    table = responses.response_table(w.db, w.rounds[-1].id, actor=w.editor)
    assert {r.feedback_id: r.number for r in table.rows} == {first.id: 1, second.id: 2}
    assert (one.section_key, one.section_title) == ("3", "Arbeit")
    assert (one.author, one.organisation) == ("Alice Arendt", "Caritas Siegtal")
    assert (one.decision, one.response, one.status) == ("noted", "Danke.", "open")
    assert (withdrawn.status, withdrawn.is_decidable, withdrawn.location) == (
        "withdrawn",
        False,
        None,
    )
    assert (two.kind, two.quote, two.replacement, two.body) == (
        "suggestion",
        "Kita",
        "Krippe",
        "Früher anfangen.",
    )
    assert (two.assignee_id, two.assignee, two.location) == (w.editor.id, w.editor.name, "exact")
    # Counts leave the withdrawn item out.
    assert (found.total, found.decided, found.undecided) == (2, 1, 1)
    # Whoever can be assigned: the editors (the admin started the consultation).
    assert {c.name for c in found.editors} == {w.editor.name, w.admin.name}
    assert {o.name for o in found.organisations} == {
        "Caritas Siegtal",
        "Elternverein Siegburg",
        "Jobcenter Siegtal",
    }


def test_filters(w: World) -> None:
    alice = w.comment(w.alice, "2", "Kita", "Alice zu 2.")
    bob = w.suggest(w.bob, "3", "Anerkennung", "Schnelle Anerkennung")
    anna = w.comment(w.anna, "3", None, body="Anna zu 3.")
    decisions.decide(w.db, alice.id, actor=w.editor, decision="considered", response="Ja.")
    decisions.assign(w.db, [anna.id], actor=w.editor, assignee_id=w.editor.id)
    section_3 = w.section_id("3")
    assert ids(overview(w)) == [alice.id, bob.id, anna.id]
    assert ids(overview(w, undecided=True)) == [bob.id, anna.id]
    assert ids(overview(w, kind="suggestion")) == [bob.id]
    assert ids(overview(w, kind="comment")) == [alice.id, anna.id]
    assert ids(overview(w, organisation_id=w.bob.organisation_id)) == [bob.id]
    assert ids(overview(w, group_id=w.groups["a"].id)) == [alice.id, anna.id]  # alice, anna
    assert ids(overview(w, group_id=w.groups["c"].id)) == [alice.id]
    assert ids(overview(w, section_id=section_3)) == [bob.id, anna.id]
    assert ids(overview(w, assignee_id=w.editor.id)) == [anna.id]
    assert ids(overview(w, unassigned=True)) == [alice.id, bob.id]
    assert ids(overview(w, outdated=True)) == []
    assert ids(overview(w, kind="comment", undecided=True)) == [anna.id]
    # The counts stay those of the round.
    found = overview(w, kind="suggestion")
    assert (found.total, found.decided) == (3, 1)


def test_sorting(w: World) -> None:
    later_section = w.comment(w.alice, "3", "Anerkennung", "Zu 3.")  # Caritas
    earlier_section = w.suggest(w.bob, "2", "Kita", "Krippe")  # Jobcenter
    start_of_2 = w.comment(w.anna, "2", "Sprachförderung", "Zu 2.")  # Elternverein
    decisions.decide(w.db, earlier_section.id, actor=w.editor, decision="reject", response="Nein.")
    assert ids(overview(w, sort="number")) == [
        later_section.id,
        earlier_section.id,
        start_of_2.id,
    ]
    assert ids(overview(w, sort="section")) == [
        start_of_2.id,
        earlier_section.id,
        later_section.id,
    ]
    assert ids(overview(w, sort="organisation")) == [
        later_section.id,
        start_of_2.id,
        earlier_section.id,
    ]
    assert ids(overview(w, sort="kind")) == [later_section.id, start_of_2.id, earlier_section.id]
    # Status: the open ones first (the rejected suggestion's status is "rejected").
    assert ids(overview(w, sort="status")) == [
        later_section.id,
        start_of_2.id,
        earlier_section.id,
    ]
    assert ids(overview(w, sort="nonsense")) == ids(overview(w))


def test_next_undecided_follows_the_order_and_the_filters_and_wraps(w: World) -> None:
    a = w.comment(w.alice, "2", "Kita", "a")
    b = w.suggest(w.bob, "3", "Anerkennung", "Schnelle Anerkennung")
    c = w.comment(w.anna, "3", None, body="c")
    d = w.comment(w.alice, "1", None, body="d")
    decisions.decide(w.db, c.id, actor=w.editor, decision="noted", response="Ok.")
    found = overview(w)
    assert service.next_undecided(found) is not None
    assert service.next_undecided(found).feedback_id == a.id  # type: ignore[union-attr]
    assert service.next_undecided(found, a.id).feedback_id == b.id  # type: ignore[union-attr]
    assert service.next_undecided(found, b.id).feedback_id == d.id  # type: ignore[union-attr]
    assert service.next_undecided(found, d.id).feedback_id == a.id  # type: ignore[union-attr]
    # Under the "undecided" filter the decided item is gone from the list; after it
    # (by its place in the order) comes the next undecided one.
    only_open = overview(w, undecided=True)
    assert service.next_undecided(only_open, c.id).feedback_id == d.id  # type: ignore[union-attr]
    comments = overview(w, kind="comment")
    assert service.next_undecided(comments, a.id).feedback_id == d.id  # type: ignore[union-attr]
    for item in (a, b, d):
        decisions.decide(w.db, item.id, actor=w.editor, decision=_fitting(item), response="x")
    assert service.next_undecided(overview(w)) is None


def _fitting(item: Feedback) -> str:
    return "reject" if item.kind == "suggestion" else "noted"


def test_outdated_items_are_told_apart_in_the_latest_revision(w: World) -> None:
    moved = w.suggest(w.alice, "2", "Eltern werden früh beteiligt", "Eltern werden beteiligt")
    changed = w.suggest(w.bob, "2.1", "drei Monaten", "vier Wochen")
    whole_gone = w.comment(w.anna, "5", "Monitoring", "Zum Monitoring.")
    fine = w.comment(w.alice, "1", "Der Kreis", "Gut.")
    w.new_revision(publish=False)  # a draft after the round's revision: 2.1 changes, 5 goes
    found = overview(w)
    where = {item.feedback_id: item.location for item in found.items}
    assert where[fine.id] == "exact"
    assert where[whole_gone.id] == "section_gone"
    assert where[changed.id] in ("fuzzy", "orphaned")
    assert where[moved.id] in ("fuzzy", "orphaned")  # "früh" became "sehr früh"
    assert ids(overview(w, outdated=True)) == [moved.id, changed.id, whole_gone.id]
    page = deciding.decision_page(w.db, changed.id, actor=w.editor)
    assert page.is_outdated
    assert merge.applies_as_is(w.db, changed.id, actor=w.editor) is False
    fine_page = deciding.decision_page(w.db, fine.id, actor=w.editor)
    assert not fine_page.is_outdated and fine_page.current_text == "Der Kreis"


def test_the_current_text_of_an_outdated_suggestion_is_offered(w: World) -> None:
    suggestion = w.suggest(w.alice, "3", "in mehreren Sprachen", "in vielen Sprachen")
    w.new_revision(publish=False)  # 3: "in vielen Sprachen und digital"
    page = deciding.decision_page(w.db, suggestion.id, actor=w.editor)
    assert page.is_outdated
    assert page.location == "fuzzy"
    assert page.current_text is not None and "Sprachen" in page.current_text


def test_overlapping_accepted_suggestions_are_flagged_as_the_merge_refuses_them(
    w: World,
) -> None:
    one = w.suggest(w.alice, "2", "Sprachförderung beginnt", "Bildung beginnt")
    two = w.suggest(w.bob, "2", "beginnt in der Kita", "startet in der Krippe")
    apart = w.suggest(w.anna, "3", "Anerkennung", "Schnelle Anerkennung")
    for item in (one, two, apart):
        decisions.decide(w.db, item.id, actor=w.editor, decision="accept")
    found = overview(w)
    assert found.overlaps == [(one.id, two.id)]
    flags = {item.feedback_id: item.overlaps for item in found.items}
    assert flags == {one.id: (two.id,), two.id: (one.id,), apart.id: ()}
    with pytest.raises(Conflict) as caught:
        merge.plan(w.db, w.revision.id, actor=w.editor)
    assert caught.value.details["suggestion_ids"] == [one.id, two.id]
    page = deciding.decision_page(w.db, one.id, actor=w.editor)
    assert page.overlaps == [(two.id, 2)]
    # Resolved by deciding anew on one of them: no flag, and the merge plans.
    decisions.decide(
        w.db,
        two.id,
        actor=w.editor,
        decision="accept_modified",
        response="Ohne Überschneidung.",
        replacement="in der Krippe",
    )
    assert overview(w).overlaps == [(one.id, two.id)]  # its range still overlaps
    decisions.decide(w.db, two.id, actor=w.editor, decision="reject", response="Doppelt.")
    assert overview(w).overlaps == []
    assert {f.id for f in merge.plan(w.db, w.revision.id, actor=w.editor).applied} == {
        one.id,
        apart.id,
    }


def test_only_editors_see_the_overview(w: World) -> None:
    w.comment(w.alice, "2", "Kita", "Zu 2.")
    for user in (w.alice, w.observer, w.mayor, w.outsider):
        with pytest.raises((NotPermitted, NotFound)):
            service.inbox(w.db, w.rounds[-1].id, actor=user)
    with pytest.raises(NotPermitted):
        service.inbox(w.db, w.rounds[-1].id, actor=w.alice)
    assert service.inbox(w.db, w.rounds[-1].id, actor=w.admin).total == 1


@contextmanager
def counting(connection: Connection) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", record)


def test_the_overview_takes_as_many_queries_for_60_items_as_for_6(
    w: World, connection: Connection
) -> None:
    def add(n: int) -> None:
        users = (w.alice, w.bob, w.anna, w.carla)
        for i in range(n):
            author = users[i % len(users)]
            if i % 3 == 0:
                item = w.suggest(author, "3", "Anerkennung", f"Anerkennung {i}")
                decisions.decide(w.db, item.id, actor=w.editor, decision="reject", response="x")
            else:
                item = w.comment(author, ("1", "2", "3")[i % 3], None, body=f"Nr {i}")
                decisions.assign(w.db, [item.id], actor=w.editor, assignee_id=w.editor.id)
        w.db.commit()

    def queries() -> int:
        w.db.expire_all()
        with counting(connection) as statements:
            found = service.inbox(w.db, w.rounds[-1].id, actor=w.editor)
        assert found.items
        return len(statements)

    add(6)
    few = queries()
    add(54)
    many = queries()
    assert few == many, (few, many)
    assert many <= 16


# --- several items at once -----------------------------------------------------------


def test_bulk_decisions_give_each_item_its_own_row_and_history(w: World) -> None:
    a = w.comment(w.alice, "2", "Kita", "a")
    b = w.comment(w.bob, "3", None, body="b")
    snippet = snippets.create_snippet(
        w.db, w.consultation.id, actor=w.editor, title="Danke", body="Vielen Dank."
    )
    done = deciding.decide_many(
        w.db,
        w.rounds[-1].id,
        [b.id, a.id, a.id],
        actor=w.editor,
        decision="considered",
        response="Vielen Dank.",
        snippet_id=snippet.id,
    )
    assert done == 2
    for item in (a, b):
        review = w.db.get(FeedbackReview, item.id)
        assert review is not None and (review.decision, review.response) == (
            "considered",
            "Vielen Dank.",
        )
        assert [s.decision for s in decisions.history(w.db, item.id, actor=w.editor)] == [
            "considered"
        ]
    assert snippet.uses == 2


def test_bulk_decisions_are_all_or_nothing_and_name_the_item(w: World) -> None:
    a = w.comment(w.alice, "2", "Kita", "a")
    s = w.suggest(w.bob, "3", "Anerkennung", "Schnelle Anerkennung")
    before = count(w, FeedbackDecision)
    with pytest.raises(Invalid) as caught:
        deciding.decide_many(
            w.db, w.rounds[-1].id, [a.id, s.id], actor=w.editor, decision="noted", response="Ok."
        )
    assert caught.value.message.startswith("Nr. 2: ")
    assert caught.value.code == "invalid_decision"
    with pytest.raises(Invalid) as caught:
        deciding.decide_many(
            w.db, w.rounds[-1].id, [a.id], actor=w.editor, decision="noted", response=""
        )
    assert caught.value.code == "response_required"
    assert caught.value.message.startswith("Nr. 1: ")
    assert caught.value.fields["response"].startswith("Nr. 1: ")
    assert count(w, FeedbackDecision) == before
    assert w.db.get(FeedbackReview, a.id) is None or w.db.get(FeedbackReview, a.id).decision is None  # type: ignore[union-attr]
    with pytest.raises(Invalid) as caught:
        deciding.decide_many(
            w.db, w.rounds[-1].id, [], actor=w.editor, decision="noted", response="x"
        )
    assert caught.value.code == "nothing_selected"
    other_round = w.open_round(title="Zweite Runde", groups=("c",))
    elsewhere = w.comment(w.carla, "2", "Kita", "anderswo")
    assert elsewhere.round_id == other_round.id
    with pytest.raises(NotFound):
        deciding.decide_many(
            w.db,
            w.rounds[0].id,
            [a.id, elsewhere.id],
            actor=w.editor,
            decision="noted",
            response="x",
        )
    with pytest.raises(NotPermitted):
        deciding.decide_many(
            w.db, w.rounds[0].id, [a.id], actor=w.alice, decision="noted", response="x"
        )
    assert count(w, FeedbackDecision) == before


def test_an_outdated_suggestion_is_not_accepted_in_a_bulk_step(w: World) -> None:
    fine = w.suggest(w.alice, "3", "Anerkennung", "Schnelle Anerkennung")
    outdated = w.suggest(w.bob, "2.1", "drei Monaten", "vier Wochen")
    w.new_revision(publish=False)
    with pytest.raises(Conflict) as caught:
        deciding.decide_many(
            w.db,
            w.rounds[-1].id,
            [fine.id, outdated.id],
            actor=w.editor,
            decision="accept",
            response="",
        )
    assert caught.value.code == "outdated_suggestion"
    assert caught.value.message.startswith("Nr. 2: ")
    w.db.expire_all()
    assert w.db.get(Feedback, fine.id).status == "open"  # type: ignore[union-attr]


def test_bulk_assignment(w: World) -> None:
    a = w.comment(w.alice, "2", "Kita", "a")
    b = w.comment(w.bob, "3", None, body="b")
    assert (
        deciding.assign_many(
            w.db, w.rounds[-1].id, [a.id, b.id], actor=w.editor, assignee_id=w.editor.id
        )
        == 2
    )
    assert ids(overview(w, assignee_id=w.editor.id)) == [a.id, b.id]
    with pytest.raises(Invalid):
        deciding.assign_many(w.db, w.rounds[-1].id, [a.id], actor=w.editor, assignee_id=w.alice.id)
    deciding.assign_many(w.db, w.rounds[-1].id, [a.id], actor=w.editor, assignee_id=None)
    assert ids(overview(w, unassigned=True)) == [a.id]


def test_the_decision_page_has_history_snippets_and_editors(w: World) -> None:
    comment = w.comment(w.alice, "2", "Kita", "a")
    snippets.create_snippet(w.db, w.consultation.id, actor=w.editor, title="T", body="B")
    decisions.decide(w.db, comment.id, actor=w.editor, decision="noted", response="Erst.")
    decisions.decide(w.db, comment.id, actor=w.editor, decision="considered", response="Dann.")
    page = deciding.decision_page(w.db, comment.id, actor=w.editor)
    assert [s.decision for s in page.history] == ["noted", "considered"]
    assert [s.title for s in page.snippets] == ["T"]
    assert {e.id for e in page.editors} == {w.editor.id, w.admin.id}
    assert (page.number, page.section_key, page.published, page.can_decide) == (1, "2", False, True)
    with pytest.raises(NotPermitted):
        deciding.decision_page(w.db, comment.id, actor=w.alice)
    decisions.publish_decisions(w.db, w.rounds[-1].id, actor=w.editor)
    assert deciding.decision_page(w.db, comment.id, actor=w.editor).published
