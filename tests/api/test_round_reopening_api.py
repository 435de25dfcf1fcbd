"""POST /api/v1/rounds/{id}/reopen (a closed round opened again, with a reason) and the
restoring of a withdrawn comment or suggestion, via the API (issue 10, item 3).

Every refusal is checked for the error shape and for writing nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from consult.models import Membership, Organisation, User
from tests import support
from tests.api.test_feedback_api import Api, assert_error, iso, ok
from tests.conftest import CSRFClient
from tests.services.test_feedback import build_world

module_app = pytest.fixture(scope="module")(support.module_app)
app = pytest.fixture(support.app)


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


def rows(db: Session) -> dict[str, list[tuple[object, ...]]]:
    """Every row (support.snapshot) but the tokens' own bookkeeping (last use)."""
    found = support.snapshot(db)
    found.pop("api_tokens")
    return found


def closed_round(api: Api) -> int:
    w = api.world
    round_ = w.open_round()
    w.db.commit()
    ok(api.post(w.editor, f"/rounds/{round_.id}/close"))
    return round_.id


def test_reopening_a_closed_round_with_a_reason(api: Api) -> None:
    w = api.world
    round_id = closed_round(api)
    assert_error(api.comment(w.alice, "2", "Kita"), 409, "round_closed")
    new_close = iso(timedelta(days=4))
    data = ok(
        api.post(
            w.editor,
            f"/rounds/{round_id}/reopen",
            {"closes_at": new_close, "reason": "Versehentlich geschlossen."},
        )
    )
    assert data["status"] == "open" and data["closed_early_at"] is None
    [record] = data["extensions"]
    assert record["kind"] == "reopening"
    assert record["reason"] == "Versehentlich geschlossen."
    assert record["closes_at"] == data["closes_at"]
    # A comment is accepted again.
    ok(api.comment(w.alice, "2", "Kita"), 201)
    # An extension after it is one.
    data = ok(
        api.post(
            w.editor,
            f"/rounds/{round_id}/extend",
            {"closes_at": iso(timedelta(days=9)), "reason": "Ferien."},
        )
    )
    assert [e["kind"] for e in data["extensions"]] == ["reopening", "extension"]


def test_refusals_write_nothing(api: Api) -> None:
    w = api.world
    round_id = closed_round(api)
    url = f"/rounds/{round_id}/reopen"
    good = {"closes_at": iso(timedelta(days=4)), "reason": "Nachfrist."}
    before = rows(w.db)
    # Editors only: the invited are refused, who may not see the round does not find it.
    for user in (w.alice, w.anna):
        assert_error(api.post(user, url, good), 403)
    for user in (w.observer, w.outsider):
        assert_error(api.post(user, url, good), 404)
    # A reason is required.
    assert_error(api.post(w.editor, url, {"closes_at": good["closes_at"]}), 422, "missing_field")
    error = assert_error(api.post(w.editor, url, {**good, "reason": "  "}), 422)
    assert "reason" in error.get("fields", {})
    # A new deadline in the future.
    assert_error(api.post(w.editor, url, {**good, "closes_at": iso(timedelta(days=-1))}), 422)
    assert_error(api.post(w.editor, url, {**good, "closes_at": "bald"}), 422)
    assert rows(w.db) == before
    # Only a closed round: reopened once, the second is a conflict.
    ok(api.post(w.editor, url, good))
    after = rows(w.db)
    assert_error(api.post(w.editor, url, good), 409, "round_not_closed")
    assert rows(w.db) == after


def test_an_open_round_is_not_reopened(api: Api) -> None:
    w = api.world
    round_ = w.open_round()
    w.db.commit()
    before = rows(w.db)
    response = api.post(
        w.editor,
        f"/rounds/{round_.id}/reopen",
        {"closes_at": iso(timedelta(days=20)), "reason": "Zu früh."},
    )
    assert_error(response, 409, "round_not_closed")
    assert rows(w.db) == before


def test_restoring_a_withdrawn_comment_and_suggestion(api: Api) -> None:
    w = api.world
    w.open_round()
    w.db.commit()
    comment = ok(api.comment(w.alice, "2", "Kita"), 201)
    suggestion = ok(
        api.post(
            w.alice,
            api.section_url("3", "suggestions"),
            {"anchor": w.anchor("3", "mehreren"), "replacement": "vielen"},
        ),
        201,
    )
    for kind, item in (("comments", comment), ("suggestions", suggestion)):
        url = f"/{kind}/{item['id']}"
        assert_error(api.post(w.alice, f"{url}/restore"), 409, "not_withdrawn")
        assert ok(api.post(w.alice, f"{url}/withdraw"))["withdrawn"] is True
        before = rows(w.db)
        assert_error(api.post(w.editor, f"{url}/restore"), 403)
        assert rows(w.db) == before
        restored = ok(api.post(w.alice, f"{url}/restore"))
        assert restored["withdrawn"] is False and restored["status"] == "open"
