"""Working groups, rounds, comments, suggestions, replies and feedback lists via /api/v1.

Every request carries a bearer token. Rejected requests are checked for the error shape
(API.md) and for writing nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.domain.textdiff import DELETE, EQUAL, INSERT
from consult.models import (
    Feedback,
    FeedbackEdit,
    FeedbackLocation,
    Membership,
    Organisation,
    Reply,
    Revision,
    Round,
    RoundExtension,
    User,
    WorkingGroup,
    WorkingGroupMember,
)
from consult.services import working_groups
from tests import support
from tests.conftest import CSRFClient
from tests.services.test_feedback import World, build_world

JSON = dict[str, Any]
COUNTED = (
    Feedback,
    FeedbackLocation,
    FeedbackEdit,
    Reply,
    Revision,
    Round,
    RoundExtension,
    WorkingGroup,
    WorkingGroupMember,
    Membership,
)


#: One app for the module, on each test's own rolled-back transaction (tests/support.py);
#: every request gets its own app context, as in production.
module_app = pytest.fixture(scope="module")(support.module_app)
app = pytest.fixture(support.app)


class Api:
    """The world plus a client that sends each user's token."""

    def __init__(
        self, world: World, client: CSRFClient, token_for: Callable[[User], dict[str, str]]
    ) -> None:
        self.world = world
        self.client = client
        self._token_for = token_for
        self._tokens: dict[int, dict[str, str]] = {}

    def headers(self, user: User) -> dict[str, str]:
        if user.id not in self._tokens:
            self._tokens[user.id] = self._token_for(user)
        return self._tokens[user.id]

    def get(self, user: User, url: str) -> Any:
        return self.client.get(f"/api/v1{url}", headers=self.headers(user))

    def post(self, user: User, url: str, payload: Any = None, **kwargs: Any) -> Any:
        return self.client.post(
            f"/api/v1{url}",
            json=payload if payload is not None else {},
            headers=self.headers(user),
            **kwargs,
        )

    def put(self, user: User, url: str, payload: Any) -> Any:
        return self.client.put(f"/api/v1{url}", json=payload, headers=self.headers(user))

    def counts(self) -> dict[str, int]:
        db = self.world.db
        db.expire_all()
        return {
            model.__tablename__: db.scalar(select(func.count()).select_from(model)) or 0
            for model in COUNTED
        }

    # --- shortcuts -------------------------------------------------------------------

    def section_url(self, key: str, kind: str = "comments", revision_id: int | None = None) -> str:
        revision_id = revision_id or self.world.revision.id
        revision = self.world.db.get(Revision, revision_id)
        assert revision is not None
        section_id = self.world.placements(revision)[key].section_id
        return f"/revisions/{revision_id}/sections/{section_id}/{kind}"

    def comment(self, user: User, key: str, phrase: str | None, body: str = "Bitte prüfen.") -> Any:
        anchor = self.world.anchor(key, phrase) if phrase else None
        return self.post(user, self.section_url(key), {"body": body, "anchor": anchor})

    def feedback(self, user: User, revision_id: int | None = None) -> JSON:
        return ok(self.get(user, f"/revisions/{revision_id or self.world.revision.id}/feedback"))


@pytest.fixture
def api(
    db: Session,
    admin: User,
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
    add_member: Callable[..., Membership],
    client: CSRFClient,
    token_for: Callable[[User], dict[str, str]],
) -> Api:
    world = build_world(db, admin, make_user, make_org, add_member)
    db.commit()
    return Api(world, client, token_for)


def assert_error(response: Any, status: int, code: str | None = None) -> JSON:
    text = response.get_data(as_text=True)
    assert response.status_code == status, text[:800]
    assert response.mimetype == "application/json", text[:300]
    body = response.get_json()
    assert set(body) == {"error"}
    error: JSON = body["error"]
    assert re.fullmatch(r"[a-z][a-z0-9_]*", error["code"]), error
    assert isinstance(error["message"], str) and error["message"].strip()
    assert "Traceback" not in error["message"]
    if code is not None:
        assert error["code"] == code, error
    return error


def ok(response: Any, status: int = 200) -> JSON:
    assert response.status_code == status, response.get_data(as_text=True)[:800]
    data: JSON = response.get_json()
    return data


def iso(delta: timedelta) -> str:
    return (utcnow() + delta).isoformat()


# --- working groups and members -----------------------------------------------------------


def test_create_working_groups(api: Api) -> None:
    w = api.world
    url = f"/consultations/{w.consultation.id}/working-groups"
    sections = [w.section_id("2"), w.section_id("3")]
    data = ok(api.post(w.editor, url, {"name": "AK Gesundheit", "section_ids": sections}), 201)
    assert isinstance(data["id"], int) and data["name"] == "AK Gesundheit"
    assert data["section_ids"] == sorted(sections) and data["consultation_id"] == w.consultation.id
    listed = ok(api.get(w.alice, url))["working_groups"]
    assert "AK Gesundheit" in [g["name"] for g in listed]
    before = api.counts()
    assert_error(api.post(w.editor, url, {"name": "AK Gesundheit"}), 409, "duplicate_name")
    assert_error(
        api.post(w.editor, url, {"name": "AK Neu", "section_ids": [999_999]}),
        422,
        "unknown_section",
    )
    assert_error(api.post(w.editor, url, {"name": "AK Neu", "section_ids": "3"}), 422)
    assert_error(api.post(w.editor, url, {}), 422, "missing_field")
    assert_error(api.post(w.alice, url, {"name": "AK Neu"}), 403)
    assert_error(
        api.post(w.outsider, f"/consultations/{999_999}/working-groups", {"name": "X"}), 404
    )
    assert api.counts() == before


def test_put_member_with_working_groups(api: Api) -> None:
    w = api.world
    a, b = w.groups["a"].id, w.groups["b"].id
    url = f"/consultations/{w.consultation.id}/members/{w.alice.id}"
    data = ok(api.put(w.editor, url, {"role": "participant", "working_group_ids": [b, a]}))
    assert data["role"] == "participant" and data["working_group_ids"] == sorted([a, b])
    data = ok(api.put(w.editor, url, {"role": "participant", "working_group_ids": [b]}))
    assert data["working_group_ids"] == [b]
    data = ok(api.put(w.editor, url, {"role": "participant"}))
    assert data["working_group_ids"] == [b]
    before = api.counts()
    # An unknown group refuses the whole request: the role does not change either.
    assert_error(
        api.put(w.editor, url, {"role": "observer", "working_group_ids": [b, 999_999]}),
        422,
        "unknown_working_group",
    )
    assert_error(api.put(w.editor, url, {"role": "participant", "working_group_ids": "b"}), 422)
    assert_error(api.put(w.alice, url, {"role": "editor", "working_group_ids": []}), 403)
    assert api.counts() == before
    w.db.expire_all()
    membership = w.db.scalar(
        select(Membership).where(
            Membership.consultation_id == w.consultation.id, Membership.user_id == w.alice.id
        )
    )
    assert membership is not None and membership.role == "participant"
    assert working_groups.user_group_ids(w.db, w.consultation.id, w.alice.id) == [b]


# --- rounds --------------------------------------------------------------------------------


def round_payload(api: Api, **overrides: Any) -> JSON:
    w = api.world
    payload: JSON = {
        "revision_id": w.revision.id,
        "title": "Erste Runde",
        "opens_at": iso(timedelta(hours=-1)),
        "closes_at": iso(timedelta(days=14)),
        "working_group_ids": [w.groups["a"].id, w.groups["b"].id],
        "visibility": "round",
    }
    payload.update(overrides)
    return payload


def test_create_extend_and_close_a_round(api: Api) -> None:
    w = api.world
    url = f"/consultations/{w.consultation.id}/rounds"
    payload = round_payload(api, municipalities=True, visibility="group")
    data = ok(api.post(w.editor, url, payload), 201)
    assert data["revision_id"] == w.revision.id and data["title"] == "Erste Runde"
    assert data["status"] == "open" and data["visibility"] == "group"
    assert data["municipalities"] is True and data["extensions"] == []
    assert sorted(data["working_group_ids"]) == sorted([w.groups["a"].id, w.groups["b"].id])
    round_id = data["id"]
    assert ok(api.get(w.alice, f"/rounds/{round_id}"))["id"] == round_id
    assert_error(api.get(w.outsider, f"/rounds/{round_id}"), 404)
    # Extend with a reason (kept), then close early.
    new_close = iso(timedelta(days=20))
    data = ok(
        api.post(
            w.editor, f"/rounds/{round_id}/extend", {"closes_at": new_close, "reason": "Ferien."}
        )
    )
    [extension] = data["extensions"]
    assert extension["reason"] == "Ferien." and extension["closes_at"] == data["closes_at"]
    assert extension["previous_closes_at"] != extension["closes_at"]
    before = api.counts()
    assert_error(
        api.post(
            w.editor,
            f"/rounds/{round_id}/extend",
            {"closes_at": iso(timedelta(days=1)), "reason": "x"},
        ),
        422,
        "invalid_period",
    )
    assert_error(
        api.post(w.editor, f"/rounds/{round_id}/extend", {"closes_at": new_close}),
        422,
        "missing_field",
    )
    assert_error(
        api.post(
            w.alice,
            f"/rounds/{round_id}/extend",
            {"closes_at": iso(timedelta(days=30)), "reason": "x"},
        ),
        403,
    )
    assert_error(api.post(w.alice, f"/rounds/{round_id}/close"), 403)
    assert api.counts() == before
    data = ok(api.post(w.editor, f"/rounds/{round_id}/close"))
    assert data["status"] == "closed" and data["closed_early_at"] is not None
    assert_error(api.post(w.editor, f"/rounds/{round_id}/close"), 409, "round_closed")
    listed = ok(api.get(w.editor, f"/consultations/{w.consultation.id}/rounds"))["rounds"]
    assert [r["id"] for r in listed] == [round_id]


def test_round_creation_errors_write_nothing(api: Api) -> None:
    w = api.world
    url = f"/consultations/{w.consultation.id}/rounds"
    draft = w.new_revision(publish=False)
    w.db.commit()
    before = api.counts()
    for overrides, status, code in (
        ({"revision_id": draft.id}, 422, "revision_not_published"),
        ({"revision_id": 999_999}, 422, "unknown_revision"),
        ({"closes_at": iso(timedelta(hours=-2))}, 422, "invalid_period"),
        (
            {"opens_at": iso(timedelta(days=3)), "closes_at": iso(timedelta(days=2))},
            422,
            "invalid_period",
        ),
        ({"closes_at": "morgen"}, 422, "invalid_datetime"),
        ({"working_group_ids": []}, 422, "no_audience"),
        ({"working_group_ids": [999_999]}, 422, "unknown_working_group"),
        ({"visibility": "public"}, 422, "invalid_visibility"),
        ({"title": ""}, 422, None),
        ({"revision_id": "1"}, 422, "invalid_field"),
    ):
        assert_error(api.post(w.editor, url, round_payload(api, **overrides)), status, code)
    assert_error(api.post(w.alice, url, round_payload(api)), 403)
    assert_error(api.post(w.outsider, url, round_payload(api)), 403)
    assert_error(api.post(w.make_user(), url, round_payload(api)), 404)
    assert api.counts() == before


def test_a_new_round_mails_its_people(api: Api) -> None:
    from consult.models import OutboxMessage

    w = api.world
    w.db.expire_all()
    before = w.db.scalar(select(func.count()).select_from(OutboxMessage)) or 0
    ok(api.post(w.editor, f"/consultations/{w.consultation.id}/rounds", round_payload(api)), 201)
    w.db.expire_all()
    addresses = w.db.scalars(select(OutboxMessage.to_address).order_by(OutboxMessage.id)).all()[
        before:
    ]
    assert sorted(addresses) == sorted(u.email for u in (w.alice, w.anna, w.bob, w.carla))


# --- comments and suggestions --------------------------------------------------------------


def test_comment_suggestion_and_reply(api: Api) -> None:
    w = api.world
    w.open_round(visibility="round")
    w.db.commit()
    anchor = w.anchor("2", "in der Kita")
    data = ok(api.post(w.alice, api.section_url("2"), {"body": "Gut!", "anchor": anchor}), 201)
    assert data["anchor"] == {**anchor, "state": "exact"}
    assert data["body"] == "Gut!" and data["status"] == "open"
    assert data["author"] == {
        "id": w.alice.id,
        "name": "Alice Arendt",
        "organisation": "Caritas Siegtal",
    }
    assert data["origin_revision_id"] == w.revision.id and data["replies"] == []
    whole = ok(api.post(w.bob, api.section_url("3"), {"body": "Zu vage.", "anchor": None}), 201)
    assert whole["anchor"] is None
    replace = w.anchor("3", "mehreren")
    suggestion = ok(
        api.post(
            w.bob,
            api.section_url("3", "suggestions"),
            {"anchor": replace, "replacement": "vielen", "reason": "Genauer."},
        ),
        201,
    )
    assert suggestion["replacement"] == "vielen" and suggestion["anchor"]["quote"] == "mehreren"
    at = w.body("2").index(" in der Kita")
    insertion = ok(
        api.post(
            w.anna,
            api.section_url("2", "suggestions"),
            {"anchor": {"start": at, "end": at, "quote": ""}, "replacement": " schon"},
        ),
        201,
    )
    assert insertion["anchor"] == {"start": at, "end": at, "quote": "", "state": "exact"}
    deletion = ok(
        api.post(
            w.anna,
            api.section_url("3", "suggestions"),
            {"anchor": w.anchor("3", " in mehreren Sprachen"), "replacement": ""},
        ),
        201,
    )
    assert deletion["replacement"] == ""
    answer = ok(api.post(w.bob, f"/comments/{data['id']}/replies", {"body": "Stimme zu."}), 201)
    assert answer["body"] == "Stimme zu." and answer["author"]["id"] == w.bob.id
    # Replies go to comments only.
    assert_error(api.post(w.bob, f"/comments/{suggestion['id']}/replies", {"body": "x"}), 404)
    assert_error(api.post(w.bob, f"/comments/{data['id']}/replies", {"body": ""}), 422)


def test_bad_anchors_are_refused_and_write_nothing(api: Api) -> None:
    w = api.world
    w.open_round()
    w.db.commit()
    body = w.body("2")
    url = api.section_url("2")
    before = api.counts()
    for anchor, code in (
        ({"start": 0, "end": 5, "quote": "Falsch"}, "quote_mismatch"),
        ({"start": 1, "end": 6, "quote": body[0:5]}, "quote_mismatch"),
        ({"start": 6, "end": 2, "quote": ""}, "invalid_anchor"),
        ({"start": 0, "end": len(body) + 1, "quote": body + "!"}, "anchor_out_of_range"),
        ({"start": -3, "end": 2, "quote": "Sp"}, "anchor_out_of_range"),
        ({"start": 3, "end": 3, "quote": ""}, "invalid_anchor"),
        ({"start": 0, "end": 5}, "invalid_anchor"),
        ({"start": 0, "end": 2**80, "quote": "x"}, None),
        ("0:5", "invalid_anchor"),
    ):
        assert_error(api.post(w.alice, url, {"body": "x", "anchor": anchor}), 422, code)
    assert_error(api.post(w.alice, url, {"body": "x"}), 422, "missing_field")
    assert_error(api.post(w.alice, url, {"body": "", "anchor": None}), 422)
    assert_error(api.post(w.alice, url, {"body": "x" * 10_001, "anchor": None}), 422)
    assert_error(api.post(w.alice, url, {"body": "a\u0000b", "anchor": None}), 422)
    suggestions = api.section_url("2", "suggestions")
    for payload, code in (
        (
            {"anchor": {"start": 0, "end": 5, "quote": "Falsch"}, "replacement": "x"},
            "quote_mismatch",
        ),
        ({"anchor": {"start": 6, "end": 2, "quote": ""}, "replacement": "x"}, "invalid_anchor"),
        (
            {"anchor": {"start": 0, "end": 999, "quote": ""}, "replacement": "x"},
            "anchor_out_of_range",
        ),
        ({"anchor": None, "replacement": "x"}, "missing_field"),
        ({"anchor": {"start": 0, "end": 5, "quote": body[:5]}}, "missing_field"),
        (
            {"anchor": {"start": 0, "end": 5, "quote": body[:5]}, "replacement": body[:5]},
            "no_change",
        ),
    ):
        assert_error(api.post(w.alice, suggestions, payload), 422, code)
    # Unknown section or revision: 404.
    rid = w.revision.id
    assert_error(
        api.post(
            w.alice, f"/revisions/{rid}/sections/999999/comments", {"body": "x", "anchor": None}
        ),
        404,
    )
    assert_error(
        api.post(
            w.alice,
            f"/revisions/999999/sections/{w.section_id('2')}/comments",
            {"body": "x", "anchor": None},
        ),
        404,
    )
    assert_error(
        api.post(
            w.alice,
            f"/revisions/{rid}/sections/999999/suggestions",
            {"anchor": {"start": 0, "end": 0, "quote": ""}, "replacement": "x"},
        ),
        404,
    )
    assert_error(api.post(w.alice, "/comments/999999/replies", {"body": "x"}), 404)
    # Malformed requests.
    response = api.client.post(
        f"/api/v1{url}",
        data="{nicht json",
        content_type="application/json",
        headers=api.headers(w.alice),
    )
    assert_error(response, 400)
    assert_error(api.client.post(f"/api/v1{url}", json={"body": "x", "anchor": None}), 401)
    assert api.counts() == before


def test_uninvited_people_cannot_read_or_write(api: Api) -> None:
    w = api.world
    w.open_round(groups=("a",), visibility="round")
    item = w.comment(w.alice, "2", "Kita")
    w.db.commit()
    rid = w.revision.id
    before = api.counts()
    # Bob's group is not invited and he cannot read the revision at all.
    for user in (w.bob, w.outsider):
        assert_error(api.get(user, f"/revisions/{rid}/feedback"), 404)
        assert_error(api.comment(user, "2", "Kita"), 404)
        assert_error(api.post(user, f"/comments/{item.id}/replies", {"body": "x"}), 404)
        assert_error(api.get(user, f"/comments/{item.id}"), 404)
    # The observer reads the revision but sees no feedback and may not write.
    assert api.feedback(w.observer) == {
        "revision_id": rid,
        "comments": [],
        "suggestions": [],
        "remarks": [],
    }
    assert_error(api.comment(w.observer, "2", "Kita"), 403)
    assert_error(api.post(w.observer, f"/comments/{item.id}/replies", {"body": "x"}), 404)
    assert_error(api.get(w.observer, f"/comments/{item.id}"), 404)
    assert api.counts() == before
    assert [c["id"] for c in api.feedback(w.anna)["comments"]] == [item.id]


def test_group_feedback_is_hidden_from_other_working_groups(api: Api) -> None:
    w = api.world
    w.open_round(groups=("a", "b"), visibility="group")
    w.db.commit()
    mine = ok(api.comment(w.alice, "2", "Kita", "Von Alice."), 201)["id"]
    theirs = ok(api.comment(w.bob, "3", "Jobcenter", "Von Bob."), 201)["id"]

    def ids(user: User) -> set[int]:
        return {c["id"] for c in api.feedback(user)["comments"]}

    assert ids(w.alice) == ids(w.anna) == {mine}
    assert ids(w.bob) == {theirs}
    # Carla shares group c with alice, which is not part of the round.
    assert ids(w.carla) == {theirs}
    assert ids(w.editor) == {mine, theirs}
    assert ids(w.observer) == set()
    assert_error(api.get(w.bob, f"/comments/{mine}"), 404)
    assert_error(api.post(w.bob, f"/comments/{mine}/replies", {"body": "Ich sehe das."}), 404)
    assert ok(api.get(w.anna, f"/comments/{mine}"))["id"] == mine


def test_after_close_409_and_after_an_extension_accepted_again(api: Api) -> None:
    w = api.world
    round_ = w.open_round()
    w.db.commit()
    item = ok(api.comment(w.alice, "2", "Kita"), 201)
    ok(api.post(w.editor, f"/rounds/{round_.id}/close"))
    before = api.counts()
    assert_error(api.comment(w.alice, "2", "Eltern"), 409, "round_closed")
    assert_error(
        api.post(
            w.alice,
            api.section_url("2", "suggestions"),
            {"anchor": w.anchor("2", "Kita"), "replacement": "Kindertagesstätte"},
        ),
        409,
        "round_closed",
    )
    assert_error(api.post(w.bob, f"/comments/{item['id']}/replies", {"body": "Spät."}), 409)
    assert api.counts() == before
    # Editors still answer.
    ok(api.post(w.editor, f"/comments/{item['id']}/replies", {"body": "Danke."}), 201)
    ok(
        api.post(
            w.editor,
            f"/rounds/{round_.id}/extend",
            {"closes_at": iso(timedelta(days=3)), "reason": "Nachfrist für Nachzügler."},
        )
    )
    ok(api.comment(w.alice, "2", "Eltern"), 201)
    ok(api.post(w.bob, f"/comments/{item['id']}/replies", {"body": "Jetzt doch."}), 201)


def test_not_yet_open_is_409_too(api: Api) -> None:
    w = api.world
    w.open_round(opens=timedelta(days=1), closes=timedelta(days=5))
    w.db.commit()
    assert_error(api.comment(w.alice, "2", "Kita"), 409, "round_not_open")


def test_edit_withdraw_resolve(api: Api) -> None:
    w = api.world
    w.open_round()
    w.db.commit()
    comment = ok(api.comment(w.alice, "2", "Kita", "Erst."), 201)["id"]
    data = ok(
        api.client.patch(
            f"/api/v1/comments/{comment}", json={"body": "Dann."}, headers=api.headers(w.alice)
        )
    )
    assert data["body"] == "Dann." and data["updated_at"] is not None
    assert_error(
        api.client.patch(
            f"/api/v1/comments/{comment}", json={"body": "Meins."}, headers=api.headers(w.bob)
        ),
        403,
    )
    assert ok(api.post(w.editor, f"/comments/{comment}/resolve"))["status"] == "resolved"
    assert ok(api.post(w.alice, f"/comments/{comment}/reopen"))["status"] == "open"
    assert_error(api.post(w.bob, f"/comments/{comment}/resolve"), 403)
    assert ok(api.post(w.alice, f"/comments/{comment}/withdraw"))["withdrawn"] is True
    assert comment not in {c["id"] for c in api.feedback(w.bob)["comments"]}
    assert comment in {c["id"] for c in api.feedback(w.editor)["comments"]}
    w.db.expire_all()
    assert [
        e.body
        for e in w.db.scalars(select(FeedbackEdit).where(FeedbackEdit.feedback_id == comment))
    ] == ["Erst."]


# --- the feedback list ---------------------------------------------------------------------

FEEDBACK_KEYS = {"id", "section_id", "author", "body", "status", "origin_revision_id", "anchor"}


def test_feedback_list_shape(api: Api) -> None:
    w = api.world
    w.open_round(visibility="round")
    comment = w.comment(w.alice, "2", "in der Kita", body="Gut so.")
    whole = w.comment(w.bob, "3", None, body="Allgemein.")
    suggestion = w.suggest(w.bob, "3", "mehreren", "vielen", reason="Genauer.")
    from consult.services import feedback as feedback_service

    feedback_service.reply(w.db, comment.id, actor=w.editor, body="Danke.", notify=False)
    w.db.commit()
    data = api.feedback(w.anna)
    assert set(data) >= {"comments", "suggestions"}
    by_id = {c["id"]: c for c in data["comments"]}
    assert set(by_id) == {comment.id, whole.id}
    first = by_id[comment.id]
    assert FEEDBACK_KEYS | {"replies"} <= set(first)
    assert first["section_id"] == w.section_id("2")
    assert first["author"] == {
        "id": w.alice.id,
        "name": "Alice Arendt",
        "organisation": "Caritas Siegtal",
    }
    assert (first["body"], first["status"], first["origin_revision_id"]) == (
        "Gut so.",
        "open",
        w.revision.id,
    )
    assert first["anchor"] == {**w.anchor("2", "in der Kita"), "state": "exact"}
    [answer] = first["replies"]
    assert answer["body"] == "Danke." and answer["author"]["id"] == w.editor.id
    assert set(answer["author"]) == {"id", "name", "organisation"}
    assert by_id[whole.id]["anchor"] is None and by_id[whole.id]["replies"] == []
    [sg] = data["suggestions"]
    assert FEEDBACK_KEYS | {"replacement"} <= set(sg)
    assert sg["id"] == suggestion.id and sg["replacement"] == "vielen" and sg["body"] == "Genauer."
    assert sg["anchor"] == {**w.anchor("3", "mehreren"), "state": "exact"}
    # API.md: "suggestions carry replies too" (issue 10 item 7 made it so).
    assert sg["replies"] == []


def test_feedback_is_located_in_the_revision_asked_about(api: Api) -> None:
    w = api.world
    w.open_round(visibility="round")
    moved = w.comment(w.alice, "2", "Sprachförderung beginnt in der Kita.")
    fuzzy = w.suggest(w.bob, "3", "in mehreren Sprachen", "auf Arabisch")
    orphaned = w.comment(w.anna, "2.1", "drei Monaten")
    emoji = w.comment(w.anna, "4", "Sprachkurse für alle Familien")
    gone = w.comment(w.carla, "5", "Monitoring")
    second = w.new_revision()
    w.db.commit()
    data = api.feedback(w.editor, second.id)
    located = {f["id"]: f for f in data["comments"] + data["suggestions"]}
    bodies = {key: w.body(key, second) for key in ("2", "3", "4")}
    a = located[moved.id]["anchor"]
    assert a["state"] == "moved" and bodies["2"][a["start"] : a["end"]] == a["quote"] == moved.quote
    a = located[fuzzy.id]["anchor"]
    assert (
        a["state"] == "fuzzy"
        and a["quote"] == bodies["3"][a["start"] : a["end"]] == "in vielen Sprachen"
    )
    assert located[orphaned.id]["anchor"] == {
        "start": None,
        "end": None,
        "quote": "drei Monaten",
        "state": "orphaned",
    }
    a = located[emoji.id]["anchor"]
    assert a["state"] == "moved" and a["start"] == bodies["4"].index("Sprachkurse")
    # A deleted section: still listed, orphaned, with its original quote.
    assert located[gone.id]["anchor"] == {
        "start": None,
        "end": None,
        "quote": "Monitoring",
        "state": "orphaned",
    }
    assert located[gone.id]["section_id"] == w.section_id("5")
    for item in (moved, fuzzy, orphaned, emoji, gone):
        assert located[item.id]["origin_revision_id"] == w.revision.id
    # In the origin revision everything is exact where it was made.
    data = api.feedback(w.editor)
    origin = {f["id"]: f for f in data["comments"] + data["suggestions"]}
    assert origin[orphaned.id]["anchor"]["state"] == "exact"
    assert origin[gone.id]["anchor"]["start"] == w.body("5").index("Monitoring")


def test_feedback_on_an_unknown_revision(api: Api) -> None:
    assert_error(api.get(api.world.editor, "/revisions/999999/feedback"), 404)


# --- diff preview --------------------------------------------------------------------------


def test_diff_preview(api: Api) -> None:
    w = api.world
    old, new = (
        "Sprachförderung beginnt in der Kita.",
        "Sprachförderung beginnt schon in der Krippe. 🙂",
    )
    ops = ok(api.post(w.alice, "/diff-preview", {"old": old, "new": new}))["ops"]
    assert all(op in (EQUAL, INSERT, DELETE) and isinstance(text, str) for op, text in ops)
    assert "".join(t for op, t in ops if op != INSERT) == old
    assert "".join(t for op, t in ops if op != DELETE) == new
    assert ops[0] == [EQUAL, "Sprachförderung beginnt "]
    # Word level: no op boundary inside "Kita"/"Krippe".
    assert [DELETE, "Kita."] in ops or any(op == DELETE and "Kita" in t for op, t in ops)
    assert ok(api.post(w.alice, "/diff-preview", {"old": "", "new": ""}))["ops"] == []
    assert_error(api.post(w.alice, "/diff-preview", {"old": "x"}), 422, "missing_field")
    assert_error(api.post(w.alice, "/diff-preview", {"old": 1, "new": "x"}), 422)
    error = assert_error(api.post(w.alice, "/diff-preview", {"old": "a\x00", "new": "x"}), 422)
    assert error["message"].startswith("Der bisherige Text enthält")
    assert_error(api.client.post("/api/v1/diff-preview", json={"old": "a", "new": "b"}), 401)
