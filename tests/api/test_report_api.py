"""The procedure report through the API (API.md, Exports): ``GET /rounds/{id}/report`` gives
``{body, edited}`` (and the generated text, who edited it, when); ``PUT`` saves the
editors' text; ``DELETE`` returns to the generated one. A bad body is 422 and nothing is
written; participants get 403, those who may not see the round 404."""

from __future__ import annotations

from sqlalchemy import func, select

from consult.models import RoundReport
from tests.api import test_feedback_api
from tests.api.test_feedback_api import Api, assert_error, ok

api = test_feedback_api.api  # the fixture: the feedback world with a client


def saved_reports(api: Api) -> int:
    api.world.db.expire_all()
    return api.world.db.scalar(select(func.count()).select_from(RoundReport)) or 0


def test_get_put_delete(api: Api) -> None:
    w = api.world
    round_ = w.open_round(title="1. Stufe")
    w.comment(w.alice, "2", None, body="Gut so.")
    w.db.commit()
    url = f"/rounds/{round_.id}/report"
    first = ok(api.get(w.editor, url))
    assert first["edited"] is False and first["edited_by"] is None and first["edited_at"] is None
    assert first["body"] == first["generated"]
    assert "In der Beteiligungsrunde „1. Stufe“ wurde der Entwurf (Fassung 1" in first["body"]
    assert "Es ging 1 Kommentar von einer Organisation ein" in first["body"]
    assert ok(api.get(w.editor, url)) == first  # reproducible

    saved = ok(api.put(w.editor, url, {"body": "Eigener Text 🙂\r\n\r\nZweiter Absatz.  "}))
    assert saved["edited"] is True
    assert saved["body"] == "Eigener Text 🙂\n\nZweiter Absatz."
    assert saved["generated"] == first["generated"]
    assert saved["edited_by"] == {"id": w.editor.id, "name": w.editor.name}
    assert saved["edited_at"]
    assert ok(api.get(w.editor, url))["body"] == saved["body"]

    back = ok(api.client.delete(f"/api/v1{url}", headers=api.headers(w.editor)))
    assert back["edited"] is False and back["body"] == first["body"]
    assert saved_reports(api) == 0


def test_a_bad_body_is_422_and_nothing_is_written(api: Api) -> None:
    w = api.world
    round_ = w.open_round()
    w.db.commit()
    url = f"/rounds/{round_.id}/report"
    for payload in (
        {},
        {"body": ""},
        {"body": "  \n "},
        {"body": 42},
        {"body": None},
        {"body": ["Text"]},
        {"body": "Mit\u0000NUL"},
        {"body": "Mit\u001bEscape"},
        {"body": "x" * 200_001},
    ):
        error = assert_error(api.put(w.editor, url, payload), 422)
        assert "body" in error.get("fields", {}), (payload, error)
    assert saved_reports(api) == 0
    assert ok(api.get(w.editor, url))["edited"] is False
    response = api.client.put(
        f"/api/v1{url}",
        data="kein JSON",
        headers={**api.headers(w.editor), "Content-Type": "application/json"},
    )
    assert_error(response, 400)
    assert saved_reports(api) == 0


def test_participants_403_others_404(api: Api) -> None:
    w = api.world
    round_ = w.open_round(groups=("a",))
    w.db.commit()
    url = f"/rounds/{round_.id}/report"
    for user, status in ((w.alice, 403), (w.observer, 404), (w.outsider, 404), (w.bob, 404)):
        assert_error(api.get(user, url), status)
        assert_error(api.put(user, url, {"body": "Mein Bericht"}), status)
        assert_error(api.client.delete(f"/api/v1{url}", headers=api.headers(user)), status)
    assert_error(api.get(w.editor, "/rounds/2000000000/report"), 404)
    assert saved_reports(api) == 0


def test_the_operations_are_in_the_openapi_document(api: Api) -> None:
    document = ok(api.client.get("/api/v1/openapi.json"))
    operations = document["paths"]["/rounds/{round_id}/report"]
    assert set(operations) >= {"get", "put", "delete"}
    assert "requestBody" in operations["put"]
