"""Decisions, their publication and merging through the API (issue 11; API.md "Decisions
and merge"): participants cannot decide, decisions stay invisible to participants until
published, an outdated suggestion cannot be accepted as is, rejected suggestions are not
applied, overlapping accepted suggestions and a stale base refuse the merge and write
nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from consult.models import ChangeProvenance, FeedbackDecision, Revision, SectionVersion
from tests.api import test_feedback_api
from tests.api.test_feedback_api import Api, assert_error, ok

api = test_feedback_api.api  # the fixture: the feedback world with a client


def snapshot(api: Api) -> tuple[int, ...]:
    db = api.world.db
    db.expire_all()
    return tuple(
        db.scalar(select(func.count()).select_from(model)) or 0
        for model in (Revision, SectionVersion, ChangeProvenance, FeedbackDecision)
    )


def test_editors_decide_participants_cannot(api: Api) -> None:
    w = api.world
    w.open_round()
    comment = w.comment(w.alice, "2", "Sprachförderung beginnt in der Kita.")
    w.db.commit()
    before = snapshot(api)
    for user in (w.alice, w.bob):
        response = api.post(
            user, f"/comments/{comment.id}/decision", {"decision": "noted", "response": "x"}
        )
        assert response.status_code in (403, 404)
    assert snapshot(api) == before
    decided = ok(
        api.post(
            w.editor,
            f"/comments/{comment.id}/decision",
            {"decision": "considered", "response": "Aufgenommen."},
        )
    )
    assert (decided["decision"], decided["response"]) == ("considered", "Aufgenommen.")
    history = ok(api.get(w.editor, f"/comments/{comment.id}/decisions"))["history"]
    assert [h["decision"] for h in history] == ["considered"]


def test_bad_decisions_are_refused_and_write_nothing(api: Api) -> None:
    w = api.world
    w.open_round()
    comment = w.comment(w.alice, "2", "Sprachförderung beginnt in der Kita.")
    suggestion = w.suggest(w.bob, "3", "Anerkennung", "Schnelle Anerkennung")
    w.db.commit()
    before = snapshot(api)
    for url, payload, code in (
        (f"/comments/{comment.id}/decision", {"decision": "accept", "response": "x"}, None),
        (f"/comments/{comment.id}/decision", {"decision": "noted", "response": ""}, None),
        (f"/comments/{comment.id}/decision", {"decision": "noted"}, "missing_field"),
        (f"/suggestions/{suggestion.id}/decision", {"decision": "reject"}, "response_required"),
        (
            f"/suggestions/{suggestion.id}/decision",
            {"decision": "accept_modified", "response": "x"},
            "replacement_required",
        ),
        (f"/suggestions/{suggestion.id}/decision", {"decision": "noted", "response": "x"}, None),
        (f"/suggestions/{comment.id}/decision", {"decision": "accept"}, "not_found"),
    ):
        error = assert_error(
            api.post(w.editor, url, payload), 404 if code == "not_found" else 422, code
        )
        assert error
    assert snapshot(api) == before


def test_decisions_are_invisible_to_participants_until_published(api: Api) -> None:
    w = api.world
    round_ = w.open_round()
    comment = w.comment(w.alice, "2", "Sprachförderung beginnt in der Kita.")
    w.db.commit()
    ok(
        api.post(
            w.editor,
            f"/comments/{comment.id}/decision",
            {"decision": "considered", "response": "Aufgenommen."},
        )
    )

    def seen_by(user: object) -> tuple[object, object]:
        shown = ok(api.get(user, f"/comments/{comment.id}"))  # type: ignore[arg-type]
        return shown["decision"], shown["response"]

    assert seen_by(w.alice) == (None, None)
    assert seen_by(w.editor) == ("considered", "Aufgenommen.")
    listed = ok(api.get(w.alice, f"/revisions/{w.revision.id}/feedback"))["comments"]
    assert all(c["decision"] is None for c in listed)
    assert_error(api.post(w.alice, f"/rounds/{round_.id}/decisions/publish"), 403)
    ok(api.post(w.editor, f"/rounds/{round_.id}/decisions/publish"))
    assert seen_by(w.alice) == ("considered", "Aufgenommen.")
    assert_error(api.post(w.editor, f"/rounds/{round_.id}/decisions/publish"), 409)


def test_an_outdated_suggestion_cannot_be_accepted_as_is(api: Api) -> None:
    w = api.world
    w.open_round()
    suggestion = w.suggest(w.bob, "3", "in mehreren Sprachen", "auf Arabisch")
    w.new_revision()  # section 3 rewritten since
    w.db.commit()
    before = snapshot(api)
    error = assert_error(
        api.post(w.editor, f"/suggestions/{suggestion.id}/decision", {"decision": "accept"}),
        409,
        "outdated_suggestion",
    )
    assert "geändert" in error["message"]
    assert snapshot(api) == before
    ok(
        api.post(
            w.editor,
            f"/suggestions/{suggestion.id}/decision",
            {
                "decision": "accept_modified",
                "response": "Angepasst.",
                "replacement": "auf Arabisch",
            },
        )
    )


def test_merge_applies_accepted_not_rejected(api: Api) -> None:
    w = api.world
    w.open_round()
    accepted = w.suggest(w.alice, "2", "Sprachförderung", "Sprachbildung")
    rejected = w.suggest(w.bob, "3", "Anerkennung", "Schnelle Anerkennung")
    w.db.commit()
    ok(api.post(w.editor, f"/suggestions/{accepted.id}/decision", {"decision": "accept"}))
    ok(
        api.post(
            w.editor,
            f"/suggestions/{rejected.id}/decision",
            {"decision": "reject", "response": "Nicht nötig."},
        )
    )
    preview = ok(api.post(w.editor, f"/revisions/{w.revision.id}/merge-preview", {"note": "x"}))
    assert preview["applied_suggestion_ids"] == [accepted.id]
    new = ok(api.post(w.editor, f"/revisions/{w.revision.id}/merge", {"note": "Einarbeitung"}), 201)
    assert new["status"] == "draft" and new["base_revision_id"] == w.revision.id
    bodies = {s["key"]: s["body"] for s in new["sections"]}
    assert "Sprachbildung" in bodies["2"] and "Schnelle Anerkennung" not in bodies["3"]
    assert ok(api.get(w.editor, f"/suggestions/{accepted.id}"))["status"] == "applied"
    assert ok(api.get(w.editor, f"/suggestions/{rejected.id}"))["status"] == "rejected"
    found = ok(api.get(w.editor, f"/revisions/{new['id']}/provenance"))["sections"]
    [(section, [range_])] = [(s, s["ranges"]) for s in found]
    assert range_["suggestion_id"] == accepted.id
    text = next(s["body"] for s in new["sections"] if s["section_id"] == section["section_id"])
    assert text[range_["start"] : range_["end"]] == "Sprachbildung"


def test_overlapping_or_stale_merges_are_refused_and_write_nothing(api: Api) -> None:
    w = api.world
    w.open_round()
    one = w.suggest(w.alice, "2", "Sprachförderung beginnt", "Bildung beginnt")
    two = w.suggest(w.bob, "2", "beginnt in der Kita", "startet in der Krippe")
    w.db.commit()
    for item in (one, two):
        ok(api.post(w.editor, f"/suggestions/{item.id}/decision", {"decision": "accept"}))
    before = snapshot(api)
    error = assert_error(
        api.post(w.editor, f"/revisions/{w.revision.id}/merge", {"note": "x"}),
        409,
        "overlapping_suggestions",
    )
    assert error["suggestion_ids"] == sorted([one.id, two.id])
    assert snapshot(api) == before
    newer = w.new_revision()
    w.db.commit()
    before = snapshot(api)
    error = assert_error(
        api.post(w.editor, f"/revisions/{w.revision.id}/merge", {"note": "x"}), 409, "stale_base"
    )
    assert error["latest_revision_id"] == newer.id
    assert snapshot(api) == before
    # A participant does not merge (nor, here, even see the newer revision).
    assert api.post(w.alice, f"/revisions/{newer.id}/merge", {"note": "x"}).status_code in (
        403,
        404,
    )
    assert snapshot(api) == before


def test_a_merge_needs_a_note(api: Api) -> None:
    w = api.world
    before = snapshot(api)
    assert_error(api.post(w.editor, f"/revisions/{w.revision.id}/merge", {}), 422, "missing_field")
    assert_error(
        api.post(w.editor, f"/revisions/{w.revision.id}/merge", {"note": " "}),
        422,
        "note_required",
    )
    assert snapshot(api) == before


def test_snippets_and_assignees(api: Api) -> None:
    w = api.world
    w.open_round()
    comment = w.comment(w.alice, "2", "Sprachförderung beginnt in der Kita.")
    w.db.commit()
    base = f"/consultations/{w.consultation.id}"
    snippet = ok(
        api.post(
            w.editor, f"{base}/snippets", {"title": "Danke", "body": "Danke für den Hinweis."}
        ),
        201,
    )
    ok(
        api.post(
            w.editor,
            f"/comments/{comment.id}/decision",
            {"decision": "noted", "response": snippet["body"], "snippet_id": snippet["id"]},
        )
    )
    assert ok(api.get(w.editor, f"{base}/snippets"))["snippets"][0]["uses"] == 1
    assigned = ok(
        api.post(
            w.editor,
            f"{base}/feedback/assign",
            {"feedback_ids": [comment.id], "assignee_id": w.editor.id},
        )
    )
    assert assigned == {"assigned": 1}
    assert_error(
        api.post(
            w.editor,
            f"{base}/feedback/assign",
            {"feedback_ids": [comment.id], "assignee_id": w.alice.id},
        ),
        422,
        "invalid_assignee",
    )
    assert_error(api.get(w.alice, f"{base}/snippets"), 403)
