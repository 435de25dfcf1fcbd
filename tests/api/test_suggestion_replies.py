"""Suggestions can be discussed like comments (issue 10, item 7; API.md: `POST
/suggestions/{id}/replies`, "suggestions carry replies too"), before the editors decide."""

from __future__ import annotations

import pytest

from consult.db import utcnow
from consult.models import Reply
from tests.api import test_feedback_api
from tests.api.test_feedback_api import Api, assert_error, ok
from tests.services.test_feedback import World

api = test_feedback_api.api  # the fixture: the feedback world with a client


def suggestion_of(w: World) -> int:
    return w.suggest(w.alice, "2", "Sprachförderung", "Sprachbildung", "Weiter gefasst.").id


def test_a_suggestion_gets_replies_and_carries_them(api: Api) -> None:
    w = api.world
    w.open_round()
    suggestion = suggestion_of(w)
    w.db.commit()
    answer = ok(
        api.post(w.bob, f"/suggestions/{suggestion}/replies", {"body": "Einverstanden."}), 201
    )
    assert answer["body"] == "Einverstanden." and answer["author"]["id"] == w.bob.id
    shown = ok(api.get(w.alice, f"/suggestions/{suggestion}"))
    assert [r["body"] for r in shown["replies"]] == ["Einverstanden."]
    listed = ok(api.get(w.alice, f"/revisions/{w.revision.id}/feedback"))
    [entry] = [s for s in listed["suggestions"] if s["id"] == suggestion]
    assert [r["id"] for r in entry["replies"]] == [answer["id"]]
    # Comments carry theirs as before.
    assert all("replies" in c for c in listed["comments"])


def test_a_suggestion_is_not_answered_as_a_comment_nor_the_other_way_round(api: Api) -> None:
    w = api.world
    w.open_round()
    suggestion = suggestion_of(w)
    comment = w.comment(w.alice, "2", "Sprachförderung beginnt in der Kita.").id
    w.db.commit()
    before = api.counts()
    assert_error(api.post(w.bob, f"/comments/{suggestion}/replies", {"body": "x"}), 404)
    assert_error(api.post(w.bob, f"/suggestions/{comment}/replies", {"body": "x"}), 404)
    assert api.counts() == before


@pytest.mark.parametrize("body", [{"body": ""}, {"body": "a\x00b"}, {}])
def test_bad_replies_to_a_suggestion_are_refused(api: Api, body: dict[str, str]) -> None:
    w = api.world
    w.open_round()
    suggestion = suggestion_of(w)
    w.db.commit()
    before = api.counts()
    assert_error(api.post(w.bob, f"/suggestions/{suggestion}/replies", body), 422)
    assert api.counts() == before


def test_after_the_round_only_editors_answer_a_suggestion(api: Api) -> None:
    w = api.world
    round_ = w.open_round()
    suggestion = suggestion_of(w)
    round_.closed_early_at = utcnow()
    w.db.commit()
    assert_error(
        api.post(w.bob, f"/suggestions/{suggestion}/replies", {"body": "Zu spät?"}),
        409,
        "round_closed",
    )
    ok(api.post(w.editor, f"/suggestions/{suggestion}/replies", {"body": "Wird geprüft."}), 201)
    w.db.expire_all()
    assert w.db.query(Reply).filter_by(feedback_id=suggestion).count() == 1
